"""`netdoc import oxidized|rancid ROUTER_DB`: another tool's device list becomes a site's devices.

An MSP moving from Oxidized or RANCID brings its router.db. Each line becomes a
`devices:` entry whose platform is the netdoc profile the model (Oxidized) or
device type (RANCID) stands for; what cannot be mapped is reported with its line
number and left without platform; plaintext passwords are never carried over.
With --merge the devices join a site of netdoc.yaml, comments kept, a backup of the
previous file beside it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netdoc.app.cli import main
from netdoc.config import load_config
from netdoc.errors import UsageError
from netdoc.app.importers import (devices_yaml, merge_devices, parse_field_map, parse_oxidized,
                              parse_rancid)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "router_db"


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _platforms(result: object) -> dict[str, str]:
    return {d.host: d.platform for d in result.devices}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- Oxidized

def test_oxidized_name_model_maps_each_model_to_its_profile() -> None:
    result = parse_oxidized(_read("oxidized_name_model.db"), "router.db")
    assert _platforms(result) == {
        "192.0.2.1": "cisco_ios", "192.0.2.2": "cisco_nxos", "192.0.2.3": "aruba_aoscx",
        "192.0.2.10": "fortinet_fortigate", "192.0.2.11": "juniper_junos",
        "192.0.2.12": "cisco_asa",  # model names are matched whatever their case
        "192.0.2.20": "hp_procurve", "192.0.2.21": "mikrotik_routeros",
        "192.0.2.30": "pfsense", "192.0.2.31": "opnsense", "192.0.2.32": "vyos",
        "192.0.2.40": "",  # unknown model: imported, platform left unset
    }
    assert all(d.name == "" for d in result.devices)  # the name was only the address


def test_oxidized_problems_are_reported_per_line() -> None:
    result = parse_oxidized(_read("oxidized_name_model.db"), "router.db")
    assert any(w.startswith("router.db line 16: 192.0.2.40: Oxidized model 'acmeos' is unknown")
               and "platform: left unset" in w for w in result.warnings)
    assert any(w.startswith("router.db line 17: 'backup-sw.example.net' is a name") and
               "--resolve" in w for w in result.warnings)
    assert result.skipped == ["router.db line 18: 192.0.2.1 repeats line 3; not imported twice"]


def test_oxidized_names_are_resolved_only_when_asked() -> None:
    table = {"backup-sw.example.net": "198.51.100.7"}
    result = parse_oxidized(_read("oxidized_name_model.db"), "router.db",
                            resolver=table.get)
    device = next(d for d in result.devices if d.host == "198.51.100.7")
    assert device.name == "backup-sw.example.net" and device.platform == "hp_comware"


def test_oxidized_passwords_are_never_imported_but_flagged() -> None:
    text = _read("oxidized_credentials.db")
    result = parse_oxidized(text, "router.db")
    assert [(d.name, d.host, d.platform) for d in result.devices] == [
        ("core-sw1", "192.0.2.1", "cisco_ios"), ("core-sw2", "192.0.2.2", "cisco_ios"),
        ("dist-fw", "192.0.2.254", "cisco_asa"), ("ups-1", "192.0.2.50", "apc_ups")]
    assert result.passwords == 3 and result.usernames == {"netadmin": 2, "fwadmin": 1}
    assert [w.split(":")[0] for w in result.warnings if "plaintext password" in w] == \
        ["router.db line 2", "router.db line 3", "router.db line 4"]
    printed = devices_yaml(result)
    for secret in ("Hunter2-core", "Fw-Pass-99", "En4ble-99", "netadmin"):
        assert secret not in printed
        assert not any(secret in w for w in result.warnings)


def test_oxidized_delimiter_and_field_map_as_in_oxidized_config() -> None:
    result = parse_oxidized(_read("oxidized_semicolon.db"), "cmdb.db",
                            field_map=parse_field_map("name=0,model=1,ip=2"))
    assert [(d.name, d.host, d.platform) for d in result.devices] == [
        ("core-sw1", "192.0.2.1", "arista_eos"), ("wan-rt1", "192.0.2.2", "huawei_vrp"),
        ("mgmt-sw", "192.0.2.3", "ubiquiti_edgeswitch")]
    assert not [w for w in result.warnings if "unknown" in w or "skipped" in w]


@pytest.mark.parametrize("spec", ["name=0", "model=1", "name=x,model=1", "nam=0,model=1"])
def test_a_bad_field_map_is_a_usage_error(spec: str) -> None:
    with pytest.raises(UsageError, match="--map"):
        parse_field_map(spec)


def test_printed_devices_are_a_valid_site_block() -> None:
    result = parse_oxidized(_read("oxidized_credentials.db"), "router.db")
    block = yaml.safe_load(devices_yaml(result))
    assert block["devices"][0] == {"host": "192.0.2.1", "name": "core-sw1",
                                   "platform": "cisco_ios"}


def test_hostile_fields_are_cleaned_before_they_reach_terminal_or_config() -> None:
    text = "sw\x1b[2J\x1b]0;pwned\x07-1:192.0.2.9:ios\n../../etc:192.0.2.10:ios\n"
    result = parse_oxidized(text, "router.db")
    names = [d.name for d in result.devices]
    assert names == ["sw-1", "etc"]
    assert not any("\x1b" in w for w in result.warnings)


# ---------------------------------------------------------------- RANCID

def test_rancid3_types_map_through_the_profiles_rancid_aliases() -> None:
    result = parse_rancid(_read("rancid3.db"), "router.db")
    assert _platforms(result) == {
        "192.0.2.1": "cisco_ios", "192.0.2.2": "cisco_nxos", "192.0.2.3": "juniper_junos",
        "192.0.2.5": "arista_eos", "192.0.2.6": "fortinet_fortigate",
        "192.0.2.7": "mikrotik_routeros", "192.0.2.8": ""}
    assert any(w.startswith("router.db line 9: 192.0.2.8: RANCID device type 'acme-widget' "
                            "is unknown") for w in result.warnings)
    # down (and any state but up) is skipped, and said so
    assert [s.split(":")[0] for s in result.skipped] == ["router.db line 5", "router.db line 10"]


def test_rancid2_colon_format() -> None:
    result = parse_rancid(_read("rancid2.db"), "router.db")
    assert _platforms(result) == {"192.0.2.1": "cisco_ios", "192.0.2.2": "hp_procurve"}


def test_a_malformed_rancid_line_is_reported_and_skipped() -> None:
    result = parse_rancid("192.0.2.1;cisco;up\njust-a-host\n", "router.db")
    assert len(result.devices) == 1
    assert result.warnings[0].startswith("router.db line 2: expected host;type;state")


# ---------------------------------------------------------------- merge into netdoc.yaml

CONFIG = """\
# ACME's netdoc configuration (hand-written; this comment must survive the import)
credentials:
  acme-ssh: {ssh: {username: netdoc, password: "env:ACME_SSH"}}
clients:
  acme:
    sites:
      hq:
        subnets: [192.0.2.0/24]   # HQ LAN
        credentials: [acme-ssh]
        devices:
          - {host: 192.0.2.1, name: core, platform: cisco_xe}   # already known
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "netdoc.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    path.chmod(0o640)
    return path


def test_merge_adds_new_devices_keeps_comments_and_the_old_file(tmp_path: Path) -> None:
    path = _config(tmp_path)
    result = parse_oxidized(_read("oxidized_credentials.db"), "router.db")
    report = merge_devices(path, "acme", "hq", result.devices, clock=lambda: 0.0)
    assert [d.name for d in report.added] == ["core-sw2", "dist-fw", "ups-1"]
    assert report.kept == ["192.0.2.1: already listed in site hq; kept as is"]
    text = path.read_text(encoding="utf-8")
    assert "this comment must survive the import" in text and "# HQ LAN" in text
    assert "# already known" in text
    assert report.backup is not None and report.backup.read_text(encoding="utf-8") == CONFIG
    assert path.stat().st_mode & 0o777 == 0o640
    site = load_config(path).client("acme").sites[0]
    assert [(d.host, d.name, d.platform) for d in site.devices] == [
        ("192.0.2.1", "core", "cisco_xe"), ("192.0.2.2", "core-sw2", "cisco_ios"),
        ("192.0.2.254", "dist-fw", "cisco_asa"), ("192.0.2.50", "ups-1", "apc_ups")]


def test_merge_into_a_new_site_of_an_existing_client(tmp_path: Path) -> None:
    path = _config(tmp_path)
    result = parse_rancid(_read("rancid2.db"), "router.db")
    report = merge_devices(path, "acme", "branch", result.devices)
    sites = {s.name: s for s in load_config(path).client("acme").sites}
    assert [d.host for d in sites["branch"].devices] == ["192.0.2.2"]
    # one device, one site: an address the client already lists elsewhere is not repeated
    assert report.kept == ["192.0.2.1: already listed in site hq; kept as is"]


def test_merge_into_an_unknown_client_changes_nothing(tmp_path: Path) -> None:
    path = _config(tmp_path)
    result = parse_rancid(_read("rancid2.db"), "router.db")
    with pytest.raises(UsageError, match="no client 'globex'"):
        merge_devices(path, "globex", "hq", result.devices)
    assert path.read_text(encoding="utf-8") == CONFIG
    assert list(tmp_path.iterdir()) == [path]


# ---------------------------------------------------------------- the command

def test_cli_prints_devices_and_warns_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["import", "rancid", str(FIXTURES / "rancid3.db")])
    captured = capsys.readouterr()
    assert code == 0
    devices = yaml.safe_load(captured.out)["devices"]
    assert devices[0] == {"host": "192.0.2.1", "platform": "cisco_ios"}
    assert {"host": "192.0.2.8"} in devices
    assert "rancid3.db line 9: 192.0.2.8: RANCID device type 'acme-widget'" in captured.err


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["--json", "import", "oxidized", str(FIXTURES / "oxidized_credentials.db")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["devices"][2] == {"host": "192.0.2.254", "name": "dist-fw",
                                    "platform": "cisco_asa"}
    assert len([w for w in report["warnings"] if "plaintext password" in w]) == 3


def test_cli_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    code = main(["--config", str(path), "import", "oxidized",
                 str(FIXTURES / "oxidized_credentials.db"), "--merge", "--client", "acme",
                 "--site", "hq"])
    assert code == 0
    assert "merged 3 of 4 device(s) into clients.acme.sites.hq" in capsys.readouterr().out
    assert len(load_config(path).client("acme").sites[0].devices) == 4


def test_cli_merge_needs_client_and_site(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    code = main(["--config", str(path), "import", "rancid", str(FIXTURES / "rancid2.db"),
                 "--merge"])
    assert code == 2 and "--merge needs --client" in capsys.readouterr().err
