"""`netdoc import csv FILE`: a technician's device spreadsheet becomes seeds and manual fields.

An MSP's first inventory of a client is often a spreadsheet: a row per device with its
name, address, type, site, where it sits and who owns it, and too often its password.
netdoc reads the columns by their header (in the words technicians use), maps the
type/platform to a netdoc profile, keeps role/location/owner/notes as the client's
manual documentation, and never carries a plaintext password over: a `vault:` reference
becomes a credential set, anything else is reported by file and line.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from netdoc.app.cli import main
from netdoc.app.importers import csv_yaml, manual_docs, merge_sites, parse_csv
from netdoc.config import load_config
from netdoc.errors import UsageError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spreadsheets"
SECRETS = ("Hunter2-core",)


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _technician(client: str = "") -> object:
    return parse_csv(_read("technician.csv"), "technician.csv", client=client)


def test_columns_are_read_by_their_header_and_types_map_to_platforms() -> None:
    result = _technician()
    rows = {d.name: (d.host, d.site, d.platform) for d in result.devices}  # type: ignore[attr-defined]
    assert rows == {
        "core-sw1": ("192.0.2.2", "hq", "cisco_ios"),
        "fw1": ("192.0.2.1", "hq", "fortinet_fortigate"),
        "nas1": ("192.0.2.9", "hq", ""),            # "NAS" is a role, not a platform
        "br-rt1": ("198.51.100.1", "branch", "mikrotik_routeros"),
        "gx-fw": ("203.0.113.1", "hq", "pfsense"),  # no --client: every client's rows
        "ap-lobby": ("192.0.2.30", "hq", ""),       # platform 'acmeos' is unknown
    }


def test_role_location_owner_and_notes_become_manual_fields() -> None:
    docs = manual_docs(_technician("acme"))["devices"]  # type: ignore[arg-type]
    assert docs["hq/core-sw1"] == {"location": "Rack A, U20", "owner": "ACME IT",
                                   "notes": "stacked pair", "role": "switch"}
    assert docs["hq/fw1"]["notes"] == 'the "router" is the firewall'
    assert docs["hq/nas1"]["role"] == "server"           # the type word, in netdoc's roles
    assert docs["hq/ap-lobby"] == {"location": "Lobby ceiling", "role": "wireless"}


def test_a_plaintext_password_is_never_imported_and_named_by_file_and_line() -> None:
    result = _technician("acme")
    printed = csv_yaml(result)  # type: ignore[arg-type]
    for secret in SECRETS:
        assert secret not in printed
        assert not any(secret in w for w in result.warnings)  # type: ignore[attr-defined]
    assert result.passwords == 1  # type: ignore[attr-defined]
    assert any(w.startswith("technician.csv line 2: core-sw1: Password holds a plaintext "
                            "secret; it was NOT imported") and "netdoc vault set" in w
               for w in result.warnings)  # type: ignore[attr-defined]
    assert "technician.csv line 1: column(s) 'Password' hold secrets" in \
        result.warnings[0]  # type: ignore[attr-defined]


def test_a_vault_reference_becomes_a_credential_set_and_a_set_name_is_kept() -> None:
    result = _technician("acme")
    assert result.credential_sets == {  # type: ignore[attr-defined]
        "acme-fw1-admin": {"ssh": {"username": "fwadmin", "password": "vault:acme/fw1-admin"}}}
    devices = {d.name: d for d in result.devices}  # type: ignore[attr-defined]
    assert devices["fw1"].credentials == ["acme-fw1-admin"]
    assert devices["br-rt1"].credentials == ["acme-ssh"]
    assert devices["fw1"].as_yaml_dict() == {"host": "192.0.2.1", "name": "fw1",
                                             "platform": "fortinet_fortigate",
                                             "credentials": ["acme-fw1-admin"]}


def test_bad_rows_are_reported_with_file_and_line_and_the_rest_is_imported() -> None:
    result = _technician("acme")
    warnings = result.warnings  # type: ignore[attr-defined]
    assert "technician.csv line 6: br-sw1: '198.51.100.300' is not an IPv4 address; " \
           "device skipped" in warnings
    assert "technician.csv line 12: no device name or address in this row; row skipped" \
        in warnings
    assert any(w.startswith("technician.csv line 8: ap-lobby: platform/type 'acmeos' is "
                            "unknown") for w in warnings)
    assert "technician.csv line 9: core-sw1-b (192.0.2.2) repeats line 2; not imported twice" \
        in result.skipped  # type: ignore[attr-defined]
    assert "technician.csv line 7: client 'globex', not 'acme'; not imported" \
        in result.skipped  # type: ignore[attr-defined]
    assert "technician.csv line 1: column(s) not read: Serial" \
        in result.skipped  # type: ignore[attr-defined]


def test_an_address_written_with_its_prefix_length_is_the_address() -> None:
    result = parse_csv("Device Name;Mgmt IP\nsw1;192.0.2.5/24\n", "d.csv")
    assert [(d.name, d.host) for d in result.devices] == [("sw1", "192.0.2.5")]


def test_a_row_with_more_fields_than_the_header_is_flagged() -> None:
    result = parse_csv("name,ip\nsw1,192.0.2.5,oops\n", "d.csv")
    assert result.warnings == ["d.csv line 2: 3 fields but the header names 2; the extra "
                               "fields are ignored (a delimiter inside an unquoted value?)"]
    assert [d.host for d in result.devices] == ["192.0.2.5"]


@pytest.mark.parametrize("text, message", [
    ("", r"d\.csv: no header line"),
    ("# only a comment\n", r"d\.csv: no header line"),
    ("serial,owner\nX1,IT\n", r"d\.csv line 1: no column for the device's address or name "
                              r"\(found: serial, owner\)"),
])
def test_a_file_without_a_usable_header_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_csv(text, "d.csv")


def test_an_excel_csv_in_windows_1252_with_semicolons_and_german_headers() -> None:
    from netdoc.app.importers import decode_spreadsheet

    text, encoding = decode_spreadsheet((FIXTURES / "excel_semicolon_cp1252.csv").read_bytes())
    assert encoding == "cp1252"
    result = parse_csv(text, "excel.csv")
    assert [(d.name, d.host) for d in result.devices] == [("router-küche", "192.0.2.77"),
                                                          ("sw-büro", "192.0.2.78")]
    assert manual_docs(result)["devices"]["sw-büro"] == {"location": "Büro 2",
                                                        "role": "switch"}


def test_hostile_cells_are_cleaned_before_they_reach_terminal_config_or_docs() -> None:
    text = ('name,ip,notes,site\n"sw\x1b[2J\x1b]0;pwned\x07-1",192.0.2.9,"<script>x</script>",'
            '../../etc\n')
    result = parse_csv(text, "d.csv")
    device = result.devices[0]
    assert device.name == "sw-1" and device.site == "etc"
    assert "\x1b" not in csv_yaml(result)
    # notes are text: kept as written, escaped where the site shows them
    assert device.manual == {"notes": "<script>x</script>"}


def test_printed_output_is_yaml_a_technician_can_paste() -> None:
    documents = list(yaml.safe_load_all(csv_yaml(_technician("acme"))))  # type: ignore[arg-type]
    sites, credentials, docs = documents
    assert [d["name"] for d in sites["sites"]["hq"]["devices"]] == ["core-sw1", "fw1", "nas1",
                                                                  "ap-lobby"]
    assert list(credentials["credentials"]) == ["acme-fw1-admin"]
    assert "hq/fw1" in docs["devices"]


# ---------------------------------------------------------------- merge

CONFIG = """\
# ACME (hand-written; this comment must survive)
credentials:
  acme-ssh: {ssh: {username: netdoc, password: "env:ACME_SSH"}}
clients:
  acme:
    sites:
      hq:
        subnets: [192.0.2.0/24]   # HQ LAN
        credentials: [acme-ssh]
        devices:
          - {host: 192.0.2.2, name: core, platform: cisco_xe}   # already known
output: {inventory: inventory, config_backups: config_backups}
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "netdoc.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_merge_puts_each_row_in_its_site_and_adds_the_vault_credential_set(
        tmp_path: Path) -> None:
    path = _config(tmp_path)
    result = _technician("acme")
    by_site: dict[str, list[object]] = {}
    for device in result.devices:  # type: ignore[attr-defined]
        by_site.setdefault(device.site, []).append(device)
    report = merge_sites(path, "acme", by_site, clock=lambda: 0.0,  # type: ignore[arg-type]
                         credential_sets=result.credential_sets)  # type: ignore[attr-defined]
    assert report.credential_sets == ["acme-fw1-admin"]
    assert report.kept == ["192.0.2.2: already listed in site hq; kept as is"]
    text = path.read_text(encoding="utf-8")
    assert "this comment must survive" in text and "# already known" in text
    assert "Hunter2-core" not in text
    config = load_config(path)
    assert config.credentials["acme-fw1-admin"].ssh is not None  # type: ignore[union-attr]
    sites = {s.name: s for s in config.client("acme").sites}
    assert [(d.name, d.credentials) for d in sites["hq"].devices] == [
        ("core", ()), ("fw1", ("acme-fw1-admin",)), ("nas1", ()), ("ap-lobby", ())]
    assert [(d.name, d.credentials) for d in sites["branch"].devices] == [
        ("br-rt1", ("acme-ssh",))]


def test_an_undefined_credential_set_is_left_out_with_a_note(tmp_path: Path) -> None:
    path = _config(tmp_path)
    result = parse_csv("name,ip,credentials\nsw9,192.0.2.99,nosuchset\n", "d.csv")
    report = merge_sites(path, "acme", {"hq": result.devices})
    assert report.kept[0].startswith("192.0.2.99: credential set 'nosuchset' is not defined "
                                     "under credentials: in netdoc.yaml (defined: acme-ssh)")
    device = load_config(path).client("acme").sites[0].devices[-1]
    assert (device.host, device.credentials) == ("192.0.2.99", ())


def test_cli_merge_writes_devices_and_the_manual_fields_the_site_and_maps_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from netdoc.facts.manual import apply_roles, load_manual_docs
    from netdoc.models import Device

    path = _config(tmp_path)
    code = main(["--config", str(path), "import", "csv", str(FIXTURES / "technician.csv"),
                 "--merge", "--client", "acme"])
    out = capsys.readouterr()
    assert code == 0
    assert "merged 4 of 5 device(s) into clients.acme (sites.hq, sites.branch)" in out.out
    assert "credential sets added for vault references: acme-fw1-admin" in out.out
    docs_folder = tmp_path / "inventory" / "acme" / "docs"
    assert (docs_folder / "import-technician.yaml").is_file()
    manual = load_manual_docs(docs_folder)
    assert manual.errors == []
    roles = {d.device: d.role for d in manual.devices}
    assert roles["hq/fw1"] == "firewall"
    # core-sw1's address is listed in netdoc.yaml as "core": its fields go by address
    assert roles["192.0.2.2"] == "switch" and "hq/core-sw1" not in roles
    # the role override reaches what the maps draw: nas1 was seen as an endpoint
    nas = Device(hostname="nas1", mgmt_ip="192.0.2.9", role="endpoint", site="hq")
    assert apply_roles([nas], docs_folder)[0].role == "server"
    assert "Hunter2-core" not in out.out + out.err


def test_cli_merge_needs_a_site_for_rows_without_one(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path)
    sheet = tmp_path / "plain.csv"
    sheet.write_text("hostname,ip\nsw1,192.0.2.5\n", encoding="utf-8")
    code = main(["--config", str(path), "import", "csv", str(sheet), "--merge",
                 "--client", "acme"])
    assert code == 2
    assert "1 row(s) of plain.csv name no site (line 2 first); give --site" in \
        capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == CONFIG


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "import", "csv", str(FIXTURES / "technician.csv"),
                 "--client", "acme"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tool"] == "csv"
    assert report["devices"][1] == {"host": "192.0.2.1", "name": "fw1",
                                    "platform": "fortinet_fortigate",
                                    "credentials": ["acme-fw1-admin"], "site": "hq"}
    assert report["manual"]["hq/nas1"]["owner"] == "Jane (finance)"
    assert any("line 2: core-sw1: Password holds a plaintext secret" in w
               for w in report["warnings"])
    assert "Hunter2-core" not in json.dumps(report)


def test_cli_refuses_an_oxidized_field_map_for_a_spreadsheet(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "csv", str(FIXTURES / "technician.csv"), "--map",
                 "name=0,model=1"]) == 2
    assert "header line" in capsys.readouterr().err


def test_a_nul_byte_or_an_oversized_cell_never_crashes_the_import() -> None:
    result = parse_csv("name,ip\nsw\x002,192.0.2.6\n", "d.csv")
    assert [(d.name, d.host) for d in result.devices] == [("sw2", "192.0.2.6")]
    with pytest.raises(UsageError, match=r"d\.csv line 2: not valid CSV: field larger"):
        parse_csv("name,ip,notes\nsw1,192.0.2.5,\"" + "x" * 200_000 + "\"\n", "d.csv")
