"""Platform names: what a technician may write as `platform:` and what netdoc makes of it.

`platform:` accepts a netdoc profile name, an alias, or a netmiko device_type. The
Oxidized model names are aliases, so each line of an Oxidized router.db maps one to
one onto a netdoc profile. A name netdoc does not know fails that device alone,
before any connection, with the closest names and where to look.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from backup_helpers import BackupSite, failure_for  # type: ignore[import-not-found]
from netdoc.backup.platforms import plan_for, platform_problem, resolve
from netdoc.app.cli import main
from netdoc.errors import BackupError
from support.replay_server import ReplayServer
from netdoc.platforms import load_profiles, platform_names, profile_for_rancid_type

# Oxidized model (lib/oxidized/model/NAME.rb) -> (netdoc profile, vendor of whichever
# profile claims the name if that profile is named differently). Profiles that do not
# exist yet are skipped, not failed; a profile that exists must claim its model name.
OXIDIZED = {
    "ios": ("cisco_ios", "Cisco"), "iosxe": ("cisco_xe", "Cisco"),
    "nxos": ("cisco_nxos", "Cisco"), "asa": ("cisco_asa", "Cisco"),
    "firelinuxos": ("cisco_ftd", "Cisco"), "ciscosmb": ("cisco_sb", "Cisco"),
    "iosxr": ("cisco_xr", "Cisco"), "aireos": ("cisco_wlc", "Cisco"),
    "eos": ("arista_eos", "Arista"), "junos": ("juniper_junos", "Juniper"),
    "screenos": ("juniper_screenos", "Juniper"),
    "routeros": ("mikrotik_routeros", "MikroTik"), "fortios": ("fortinet_fortigate", "Fortinet"),
    "aoscx": ("aruba_aoscx", "Aruba|HPE"), "aosw": ("aruba_aos", "Aruba|HPE"),
    "arubainstant": ("aruba_instant", "Aruba|HPE"),
    "procurve": ("hp_procurve", "HP|Aruba"), "aoss": ("hp_procurve", "HP|Aruba"),
    "comware": ("hp_comware", "HP|H3C"), "h3c": ("hp_comware", "HP|H3C"),
    "pfsense": ("pfsense", "Netgate"), "opnsense": ("opnsense", "Deciso|OPNsense"),
    "tnsr": ("netgate_tnsr", "Netgate"), "vyos": ("vyos", "VyOS"), "vyatta": ("vyos", "VyOS"),
    "edgeos": ("ubiquiti_edgeos", "Ubiquiti"), "edgeswitch": ("ubiquiti_edgeswitch", "Ubiquiti"),
    "unifiap": ("ubiquiti_unifi", "Ubiquiti"), "airos": ("ubiquiti_airos", "Ubiquiti"),
    "tplink": ("tplink_jetstream", "TP-Link"), "netgear": ("netgear", "Netgear|NETGEAR"),
    "dlink": ("dlink", "D-Link"), "zynos": ("zyxel_zynos", "Zyxel|ZyXEL"),
    "vrp": ("huawei_vrp", "Huawei"), "os10": ("dell_os10", "Dell"),
    "os6": ("dell_os6", "Dell"), "ftos": ("dell_os9", "Dell|Force10"),
    "dnos": ("dell_os9", "Dell|Force10"),
    "powerconnect": ("dell_powerconnect", "Dell"), "panos": ("paloalto_panos", "Palo Alto"),
    "sonicos": ("sonicwall_sonicos", "SonicWall|SonicWALL"),
    "firewareos": ("watchguard_fireware", "WatchGuard"), "gaiaos": ("checkpoint_gaia", "Check"),
    "ironware": ("ruckus_fastiron", "Brocade|Ruckus|Foundry|Extreme"),
    "fastiron": ("ruckus_fastiron", "Brocade|Ruckus|Foundry|Extreme"),
    "awplus": ("allied_awplus", "Allied"), "xos": ("extreme_exos", "Extreme"),
    "voss": ("extreme_voss", "Extreme|Avaya"), "mlnxos": ("mellanox_onyx", "Mellanox|NVIDIA"),
    "cumulus": ("cumulus_linux", "Cumulus|NVIDIA"), "saos": ("ciena_saos", "Ciena"),
    "efos": ("broadcom_fastpath", "Broadcom"), "fsos": ("fs_fsos", "FS|Fiberstore"),
    "quantaos": ("quanta", "Quanta"), "garderos": ("garderos", "Garderos"),
    "apc_aos": ("apc_ups", "APC|Schneider"), "apcaos": ("apc_ups", "APC|Schneider"),
    "apcos": ("apc_ups", "APC|Schneider"), "saos10": ("ciena_saos10", "Ciena"),
    "cnos": ("fs_cnos", "FS|Fiberstore|Centec"), "vsololt": ("vsolution_olt", "V-SOL|V-Solution"), "eatonnetwork": ("eaton_ups", "Eaton"),
    "linuxgeneric": ("linux", "Linux|net-snmp|"), "fortiswitch": ("fortinet_fortiswitch", "Fortinet"),
    "perle": ("perle", "Perle"), "acos": ("a10_acos", "A10"), "tmos": ("f5_bigip", "F5"),
    "netscaler": ("citrix_netscaler", "Citrix"), "sros": ("nokia_sros", "Nokia|Alcatel"),
    "enterasys": ("extreme_enterasys", "Extreme|Enterasys"), "swos": ("mikrotik_swos", "MikroTik"),
    "ocnos": ("ipinfusion_ocnos", "IP Infusion"), "lancom": ("lancom_lcos", "LANCOM"),
}
# RANCID router.db device type -> netdoc profile (the profiles' `rancid:TYPE` aliases)
RANCID = {"cisco": "cisco_ios", "cisco-nx": "cisco_nxos", "cisco-xr": "cisco_xr",
          "cisco-sb": "cisco_sb", "cisco-wlc5": "cisco_wlc", "juniper": "juniper_junos",
          "juniper-srx": "juniper_junos", "netscreen": "juniper_screenos", "hp": "hp_procurve",
          "h3c": "hp_comware", "arista": "arista_eos", "fortigate": "fortinet_fortigate",
          "mikrotik": "mikrotik_routeros", "paloalto": "paloalto_panos", "force10": "dell_os9",
          "dell": "dell_powerconnect", "foundry": "ruckus_fastiron", "extreme": "extreme_exos",
          "a10": "a10_acos", "bigip": "f5_bigip", "netscaler": "citrix_netscaler",
          "sros": "nokia_sros", "brocade": "brocade_fabos"}


@pytest.mark.parametrize("model", sorted(OXIDIZED))
def test_oxidized_model_name_is_a_platform(model: str) -> None:
    expected, vendor = OXIDIZED[model]
    profiles = load_profiles()
    found, _, _ = resolve(model)
    if found is None:
        if expected in profiles:
            pytest.fail(f"profile {expected} exists but does not claim Oxidized model "
                        f"{model!r}: add it to its aliases:")
        pytest.skip(f"no netdoc profile for Oxidized model {model!r} yet")
    if expected in profiles:
        assert found.name == expected
    else:  # the profile got another name than this table guessed: same vendor at least
        assert re.search(vendor, found.vendor), (model, found.name, found.vendor)


def test_oxidized_names_are_matched_whatever_their_case() -> None:
    assert resolve("IOS")[0] is resolve("ios")[0] is not None


def test_every_name_points_at_exactly_one_profile() -> None:
    owner: dict[str, str] = {}
    for profile in load_profiles().values():
        for name in (profile.name, *profile.aliases):
            assert owner.setdefault(name.lower(), profile.name) == profile.name, name
    assert "ios" in platform_names() and "rancid:cisco" not in platform_names()


@pytest.mark.parametrize("device_type", sorted(RANCID))
def test_rancid_type_maps_to_its_profile(device_type: str) -> None:
    expected = RANCID[device_type]
    found = profile_for_rancid_type(device_type)
    if found is None and expected not in load_profiles():
        pytest.skip(f"no profile {expected} yet")
    assert found is not None, f"profile {expected} should list rancid:{device_type} in aliases:"
    assert found.name == expected


def test_rancid_types_are_profile_data() -> None:
    assert profile_for_rancid_type("cisco").name == "cisco_ios"  # type: ignore[union-attr]
    assert profile_for_rancid_type("cisco-nx").name == "cisco_nxos"  # type: ignore[union-attr]
    assert profile_for_rancid_type("no-such-type") is None
    # written as a platform it works too (a whole name wins over NAME:VARIANT)
    assert plan_for("192.0.2.1", "rancid:cisco").profile.name == "cisco_ios"


def test_variants_still_follow_the_colon() -> None:
    plan = plan_for("192.0.2.1", "junos:set")
    assert (plan.profile.name, plan.variant) == ("juniper_junos", "set")


def test_an_unknown_platform_says_what_to_set() -> None:
    with pytest.raises(BackupError) as caught:
        plan_for("192.0.2.9", "cisco_iox")
    message = str(caught.value)
    assert "unknown platform 'cisco_iox'" in message
    assert re.search(r"did you mean [^?]*'cisco_ios'", message)
    assert "netdoc platforms" in message and "leave platform: out" in message


def test_an_unknown_alias_suggests_what_it_is_close_to() -> None:
    message = platform_problem("fortgate") or ""
    assert "fortigate (fortinet_fortigate)" in message


def test_a_rancid_type_written_as_platform_names_the_profile() -> None:
    assert "RANCID type 'cisco' is platform 'cisco_ios'" in (platform_problem("cisco") or "")


def test_known_platforms_have_no_problem() -> None:
    assert platform_problem("ios") is None and platform_problem("cisco_xe") is None
    assert "no backup recipe" in (platform_problem("windows") or "")


def test_the_unknown_platform_fails_alone_and_before_connecting(site: BackupSite) -> None:
    site.add("cisco_ios", "good", platform="ios")  # the Oxidized name works
    bad = site.add("cisco_ios", "typo", platform="cisco_iox")
    site.server.stop(bad.served)  # nothing listens: only the platform check can answer
    started = time.monotonic()
    outcome = site.run()
    reason = failure_for(outcome, "typo")
    assert "unknown platform 'cisco_iox'" in reason
    assert [f.name for f in outcome.failures] == ["hq/typo"]
    assert site.stored("good") is not None
    assert time.monotonic() - started < 60


def test_check_reports_an_unknown_platform(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "netdoc.yaml"
    path.write_text(yaml.safe_dump({"clients": {"acme": {"sites": {"hq": {"devices": [
        {"host": "192.0.2.1", "name": "core", "platform": "nxos"},
        {"host": "192.0.2.2", "name": "edge", "platform": "sonicwal"}]}}}}}), encoding="utf-8")
    code = main(["--config", str(path), "check"])
    out = capsys.readouterr().out
    assert code == 0
    assert "warning: client acme, site hq, device edge: unknown platform 'sonicwal'" in out
    assert "device core" not in out.split("warning:", 1)[-1]


def test_platforms_command_lists_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["platforms"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("cisco_ios "))
    assert "ios" in line and "rancid: cisco" in line


def test_every_fortinet_box_backs_up_under_oxidized_fortios_name(tmp_path: Path) -> None:
    """Oxidized files FortiGates, FortiManagers and FortiSwitches alike under `fortios`:
    netdoc's FortiOS recipe answers the pager instead of relying on a FortiGate-only
    session set-up, so each of them backs up under that one name."""
    boxes = ["fortinet_fortigate", "fortinet_fortimanager", "fortinet_fortiswitch"]
    with pytest.MonkeyPatch.context() as patch, ReplayServer() as server:
        patch.setenv("NETDOC_TEST_SSH", "lab-pass")
        patch.setenv("NETDOC_TEST_ENABLE", "lab-enable")
        site = BackupSite(tmp_path, server)
        for box in boxes:
            site.add(box, box, "fortios")
        outcome = site.run()
    assert outcome.failures == []
    for box in boxes:
        stored = site.stored(box) or ""
        assert stored.startswith("#config-version=") or "config system" in stored, box
        assert "config system global" in stored, box
