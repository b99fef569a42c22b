"""Profile engine features for the long tail: OID conditions, sysObjectID-relative OIDs and
MAC-formatted values.

- `match.oid_present` / `match.oid_value`: a device behind a generic agent (net-snmp's
  sysObjectID and a plain "Linux host 4.4 ..." sysDescr) is told apart by the vendor MIB
  that answers; the poller asks those OIDs in its one round of scalar GETs, and only for
  such devices.
- `{oid: '{sysObjectID}.1.10.0'}` in `snmp.get`: per-model MIBs that live under the
  device's own sysObjectID.
- `format: mac` / `format: hex`: an OCTET STRING holding a MAC (Axis cameras' serial).

All facts here are hand-written; no recorded walk of a real device is used.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Sequence

import pytest

from netdoc.discover.collectors.snmp import collect
from netdoc.discover.identify import (SYS_OBJECT_ID_REF, Facts, formatted, generic_agent, identify,
                             match_oids, match_profile, oid_conditions_hold,
                             parse_snmp_section, scalar_oids)
from netdoc.platforms import ProfileError, parse_profile
from netdoc.discover.snmp.recorded import RecordedTransport
from netdoc.discover.snmp.values import SnmpValue

NET_SNMP = "1.3.6.1.4.1.8072.3.2.10"
LINUX_DESCR = "Linux nas01 4.4.302+ #72806 SMP Thu Sep 5 13:45:09 CST 2024 x86_64"
SYNOLOGY_MODEL = "1.3.6.1.4.1.6574.1.5.1.0"      # SYNOLOGY-SYSTEM-MIB modelName
SYNOLOGY_SERIAL = "1.3.6.1.4.1.6574.1.5.2.0"
SYNOLOGY_VERSION = "1.3.6.1.4.1.6574.1.5.3.0"
UNITRENDS_ASSET = "1.3.6.1.4.1.21865.1.6.1.0"


# ---------------------------------------------------------------- the profile schema

def test_a_profile_may_name_oid_conditions_in_its_match_section() -> None:
    profile = parse_profile({
        "name": "acme_nas", "vendor": "Acme", "role": "server",
        "match": {"oid_present": [".1.3.6.1.4.1.99999.1.1.0"],
                  "oid_value": {"1.3.6.1.4.1.99999.1.2.0": "^AcmeOS"}, "priority": 10},
    }, "acme_nas.yaml")
    assert profile.match.oid_present == ("1.3.6.1.4.1.99999.1.1.0",)  # leading dot dropped
    (oid, regex), = profile.match.oid_value
    assert oid == "1.3.6.1.4.1.99999.1.2.0" and regex.search("AcmeOS 7.2")
    assert profile.match.oid_conditions()


@pytest.mark.parametrize("match, complaint", [
    ({"oid_present": ["sysDescr.0"]}, "match.oid_present[0]"),
    ({"oid_value": {"modelName": "^DS"}}, "match.oid_value.modelName"),
    ({"oid_value": {"1.3.6.1.4.1.99999.1.0": "(unclosed"}}, "match.oid_value"),
])
def test_an_oid_condition_that_is_no_numeric_oid_or_regex_is_refused_with_its_place(
        match: dict[str, object], complaint: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile({"name": "broken", "vendor": "Acme", "match": match}, "broken.yaml")
    assert "broken.yaml" in str(caught.value) and complaint in str(caught.value)


def test_snmp_get_rules_may_be_relative_to_the_sys_object_id_and_say_how_to_format() -> None:
    rules = parse_snmp_section({"get": {
        "serial": [{"oid": "{sysObjectID}.1.10.0"}, {"oid": "1.3.6.1.4.1.368.4.1.1.0",
                                                      "format": "hex"}],
        "model": "{sysObjectID}.1.2.0",
    }}, "zynos.yaml: snmp")
    relative = rules.get["serial"][0]
    assert relative.oid == f"{SYS_OBJECT_ID_REF}.1.10.0"
    assert relative.oid_for(".1.3.6.1.4.1.890.1.5.8.27") == "1.3.6.1.4.1.890.1.5.8.27.1.10.0"
    assert relative.oid_for("") == ""  # no sysObjectID: nothing to ask
    assert rules.get["serial"][1].format == "hex"
    assert rules.oids("1.3.6.1.4.1.890.1.5.8.27") == [
        "1.3.6.1.4.1.368.4.1.1.0", "1.3.6.1.4.1.890.1.5.8.27.1.10.0",
        "1.3.6.1.4.1.890.1.5.8.27.1.2.0"]


@pytest.mark.parametrize("rule, complaint", [
    ({"oid": "{sysObjectID}1.10.0"}, "{sysObjectID}.SUFFIX"),
    ({"oid": "{sysObjectID}.serial"}, "{sysObjectID}.SUFFIX"),
    ({"oid": "{ifIndex}.1.0"}, "not a numeric OID"),
    ({"oid": "1.3.6.1.4.1.368.4.1.1.0", "format": "colons"}, "format must be one of"),
])
def test_a_malformed_relative_oid_or_format_is_refused(rule: dict[str, str],
                                                       complaint: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_snmp_section({"get": {"serial": [rule]}}, "x.yaml: snmp")
    assert complaint in str(caught.value) and "x.yaml: snmp.get.serial" in str(caught.value)


# ---------------------------------------------------------------- value formats

@pytest.mark.parametrize("value, how, shown", [
    (b"\xac\xcc\x8e\xc0\xff\xee", "hex", "ACCC8EC0FFEE"),        # Axis: the MAC is the serial
    (b"\xac\xcc\x8e\xc0\xff\xee", "mac", "ac:cc:8e:c0:ff:ee"),
    (b"AC:CC:8E:C0:FF:EE", "hex", "ACCC8EC0FFEE"),               # sent as text already
    (b"00408c-123456", "mac", "00:40:8c:12:34:56"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08", "hex", "0102030405060708"),   # binary, no MAC
    (b"CS700886", "hex", "CS700886"),                           # text that is no MAC stays
    (b"CS700886", "", "CS700886"),
    (None, "mac", ""),
])
def test_a_value_rule_may_show_an_octet_string_as_a_mac(value: SnmpValue | None, how: str,
                                                        shown: str) -> None:
    assert formatted(value, how) == shown


# ---------------------------------------------------------------- matching

def test_a_linux_box_stays_linux_until_an_appliance_mib_answers() -> None:
    assert generic_agent(NET_SNMP) and generic_agent("") and generic_agent("0.0")
    assert not generic_agent("1.3.6.1.4.1.9.1.2494")
    plain = match_profile(NET_SNMP, LINUX_DESCR)
    assert plain is not None and plain.name == "linux"
    assert match_profile(NET_SNMP, LINUX_DESCR, {}) is plain
    nas = match_profile(NET_SNMP, LINUX_DESCR, {SYNOLOGY_MODEL: b"DS920+"})
    assert nas is not None and (nas.name, nas.vendor) == ("synology_dsm", "Synology")


@pytest.mark.parametrize("asset, appliance", [
    (b"UF-0c1f5f3e-51b6-4a39-9a0c-2d5b1e0f7a11", "unitrends_recoveryos"),
    (b"8040S-100-12345", "unitrends_recoveryos"),
    (b"lab-vm", "linux"),  # the Unitrends MIB answers, but not with an appliance's asset tag
])
def test_an_oid_value_condition_needs_its_regex_to_match(asset: bytes, appliance: str) -> None:
    profile = match_profile(NET_SNMP, LINUX_DESCR, {UNITRENDS_ASSET: asset})
    assert profile is not None and profile.name == appliance


def test_oid_conditions_do_not_reach_devices_whose_sys_object_id_names_their_maker() -> None:
    # an ATEN PDU (enterprise 21317, shared with Supermicro's ATEN-built BMCs) that answers
    # the same OIDs as a BMC stays out of supermicro_bmc, and a Cisco switch stays Cisco
    bmc_scalars: dict[str, SnmpValue] = {"1.3.6.1.4.1.21317.1.4.0": 1,
                                         "1.3.6.1.4.1.21317.1.5.4.0": b"3.3"}
    pdu = match_profile("1.3.6.1.4.1.21317.2.1", "Aten PE8216", bmc_scalars)
    assert pdu is None or pdu.name != "supermicro_bmc"
    cisco = match_profile("1.3.6.1.4.1.9.1.2494", "Cisco IOS Software, Version 17.3.4",
                          {SYNOLOGY_MODEL: b"DS920+"})
    assert cisco is not None and cisco.name != "synology_dsm"
    # behind net-snmp, the BMC's own MIB answering is what makes it a Supermicro BMC
    bmc = match_profile(NET_SNMP, "Linux (none) 2.6.28.9 #1 armv5tejl", bmc_scalars)
    assert bmc is not None and bmc.name == "supermicro_bmc"


def test_oid_conditions_hold_on_presence_or_on_a_matching_value_only() -> None:
    from netdoc.platforms import load_profiles

    synology = load_profiles()["synology_dsm"].match
    assert not oid_conditions_hold(synology, None) and not oid_conditions_hold(synology, {})
    assert oid_conditions_hold(synology, {SYNOLOGY_MODEL: b"DS214se"})
    assert oid_conditions_hold(synology, {"1.3.6.1.2.1.25.1.4.0": b"syno_hw_version=DS918+"})
    assert not oid_conditions_hold(synology, {"1.3.6.1.2.1.25.1.4.0": b"ro root=/dev/sda1"})


def test_the_poller_asks_condition_oids_only_of_devices_behind_a_generic_agent() -> None:
    behind_net_snmp = scalar_oids(match_profile(NET_SNMP, LINUX_DESCR), NET_SNMP, LINUX_DESCR)
    assert {SYNOLOGY_MODEL, UNITRENDS_ASSET} <= set(behind_net_snmp)
    assert set(match_oids(NET_SNMP, LINUX_DESCR)) <= set(behind_net_snmp)
    cisco = "1.3.6.1.4.1.9.1.2494"
    assert match_oids(cisco, "Cisco IOS Software") == []
    assert UNITRENDS_ASSET not in scalar_oids(match_profile(cisco, "Cisco IOS Software"), cisco,
                                              "Cisco IOS Software")


RUCKUS_SHARED = "1.3.6.1.4.1.25053.3.1.5.15"  # ZoneDirector 1200 and Unleashed <= 200.14
ZD_MODEL, UNLEASHED_MODEL = "1.3.6.1.4.1.25053.1.2.1.1.1.1.9.0", "1.3.6.1.4.1.25053.1.15.1.1.1.1.9.0"


@pytest.mark.parametrize("descr, scalars, platform", [
    ("Ruckus Wireless ZD1200", {ZD_MODEL: b"ZD1200"}, "ruckus_zonedirector"),
    ("Ruckus Wireless", {ZD_MODEL: b"ZD1200"}, "ruckus_zonedirector"),  # sysDescr names no ZD
    ("Ruckus Wireless R610", {UNLEASHED_MODEL: b"R610"}, "ruckus_unleashed"),
    ("Ruckus Wireless R610", {}, "ruckus_unleashed"),
])
def test_sibling_products_sharing_a_sys_object_id_are_told_apart_by_their_own_mib(
        descr: str, scalars: dict[str, SnmpValue], platform: str) -> None:
    assert ZD_MODEL in match_oids(RUCKUS_SHARED, descr)  # asked in the poller's first GETs
    found = match_profile(RUCKUS_SHARED, descr, scalars)
    assert found is not None and found.name == platform


def test_a_condition_never_pulls_a_device_into_a_profile_its_identity_does_not_fit() -> None:
    cisco = "1.3.6.1.4.1.9.1.2494"  # answers the ZoneDirector OID: still no ZoneDirector
    found = match_profile(cisco, "Cisco IOS Software, Version 17.3.4", {ZD_MODEL: b"ZD1200"})
    assert found is not None and found.name != "ruckus_zonedirector"


# ---------------------------------------------------------------- end to end

class AskedTransport(RecordedTransport):
    """The recorded transport, remembering every OID the poller asked with GET."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked: list[str] = []

    async def get(self, oids: Sequence[str]) -> dict[str, SnmpValue]:
        self.asked.extend(oids)
        return await super().get(oids)


def test_a_nas_behind_net_snmp_is_read_with_its_own_profile_in_one_poll(tmp_path: Path) -> None:
    walk = tmp_path / "nas.snmprec"
    walk.write_text("\n".join([
        f"1.3.6.1.2.1.1.1.0|4|{LINUX_DESCR}",
        f"1.3.6.1.2.1.1.2.0|6|{NET_SNMP}",
        "1.3.6.1.2.1.1.5.0|4|nas01",
        "1.3.6.1.2.1.2.2.1.1.1|2|1",
        "1.3.6.1.2.1.2.2.1.2.1|4|eth0",
        f"{SYNOLOGY_MODEL}|4|DS920+",
        f"{SYNOLOGY_SERIAL}|4|2150QWR123456",
        f"{SYNOLOGY_VERSION}|4|DSM 7.2.2-72806",
    ]) + "\n")
    transport = AskedTransport(walk)
    device, warnings = asyncio.run(collect(transport))
    assert (device.vendor, device.platform, device.os) == ("Synology", "synology_dsm", "DSM")
    assert (device.model, device.serial, device.version) == ("DS920+", "2150QWR123456",
                                                             "7.2.2-72806")
    assert SYNOLOGY_MODEL in transport.asked and warnings == []


def test_identify_decides_on_the_scalars_in_its_facts() -> None:
    facts = Facts(sys_object_id=NET_SNMP, sys_descr=LINUX_DESCR,
                  scalars={UNITRENDS_ASSET: b"8024S-100-70043"})
    found = identify(facts)
    assert (found.vendor, found.platform) == ("Unitrends", "unitrends_recoveryos")
    assert identify(Facts(sys_object_id=NET_SNMP, sys_descr=LINUX_DESCR)).platform == "linux"
