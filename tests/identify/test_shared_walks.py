"""Optional: identification against the 20 real-device walks in ../shared/snmp-walks.

Skips when ../shared is absent (it is reference data, not part of the project).
The expected values are LibreNMS's: its `os` names map to netdoc platforms below,
and values are compared by meaning (case, spacing and punctuation aside; one may
contain the other, e.g. "Juniper SRX100H2" vs "SRX100H2").
"""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from netdoc.discover.collectors.snmp import collect
from netdoc.discover.identify import usable
from netdoc.discover.snmp.recorded import RecordedTransport

SHARED = Path(__file__).resolve().parents[3] / "shared" / "snmp-walks"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent (optional "
                                                            f"reference data)")

PLATFORM_OF = {  # LibreNMS os -> netdoc profile
    "apc": "apc_ups", "arista_eos": "arista_eos", "arubaos-cx": "aruba_aoscx",
    "ciscosb": "cisco_sb", "edgeos": "ubiquiti_edgeos", "edgeswitch": "ubiquiti_edgeswitch",
    "fortigate": "fortinet_fortigate", "ios": "cisco_ios", "iosxe": "cisco_xe",
    "jetdirect": "hp_printer", "jetstream": "tplink_jetstream", "junos": "juniper_junos",
    "linux": "linux", "panos": "paloalto_panos", "pfsense": "pfsense", "procurve": "hp_procurve",
    "routeros": "mikrotik_routeros", "unifi": "ubiquiti_unifi", "vrp": "huawei_vrp",
    "windows": "windows",
}
# Values LibreNMS has that are not in the walk as data netdoc reads: names it derives from
# sysObjectID MIB symbols, or fields of other MIBs netdoc does not read; and walks whose
# anonymisation left placeholders. Each entry says why it is not counted against netdoc.
NOT_IN_WALK = {
    ("apc", "model"): "Web/SNMP Management Card: LibreNMS names the network card; netdoc "
                      "reports the device behind it (upsBasicIdentModel NBRK0200)",
    ("edgeos", "model"): "EdgeRouter Pro 8-Port: the name of sysObjectID 41112.1.5 in UBNT-MIB",
    ("iosxe", "model"): "ciscoASR1002F: the CISCO-PRODUCTS-MIB name of the sysObjectID",
    ("linux", "model"): "Generic x86 64-bit: LibreNMS's wording for the x86_64 in sysDescr",
    ("pfsense", "model"): "amd64: the CPU architecture, not a model",
    ("procurve", "model"): "Stack: the stack's entPhysicalDescr; netdoc reports the model JL074A",
    ("arubaos-cx", "model"): "Aruba 8325 1-slot Chassis: entPhysicalDescr; netdoc reports "
                             "the model number JL635A",
    ("vrp_5720", "serial"): "12345678 is an anonymised placeholder in HUAWEI MIBs; netdoc "
                            "reports the ENTITY-MIB chassis serial",
    ("windows", "version"): "Server 2008 R2 SP1 (NT 6.1): LibreNMS's product name for 6.1",
}


def _walks() -> list[str]:
    return sorted(p.name[:-len(".snmprec")] for p in SHARED.glob("*.snmprec")) \
        if SHARED.is_dir() else []


def _norm(value: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


def _words(value: str) -> set[str]:
    return {w for w in re.split(r"[\s,/]+", value.lower()) if w}


def _same(ours: str, theirs: str) -> bool:
    """Equal by meaning: one contains the other, or all our words are among theirs."""
    a, b = _norm(ours), _norm(theirs)
    return bool(a) and (a in b or b in a or _words(ours) <= _words(theirs))


def _poll(name: str):  # type: ignore[no-untyped-def]
    device, _warnings = asyncio.run(collect(RecordedTransport(SHARED / f"{name}.snmprec")))
    expected = json.loads((SHARED / f"{name}.expected.json").read_text())
    return device, expected


@pytest.mark.parametrize("name", _walks())
def test_shared_walk_platform_vendor_and_interfaces(name: str) -> None:
    device, expected = _poll(name)
    os_info = expected["os"]["discovery"]["devices"][0]
    assert device.platform == PLATFORM_OF[os_info["os"]]
    assert device.vendor and device.os
    ports = expected.get("ports", {}).get("discovery", {}).get("ports", [])
    missing = {p["ifIndex"] for p in ports} - {i.index for i in device.interfaces}
    assert not missing, f"interfaces not found: {sorted(missing)}"
    names = {i.index: i.name for i in device.interfaces}
    for port in ports:
        assert names[port["ifIndex"]] in (port.get("ifName"), port.get("ifDescr"))


@pytest.mark.parametrize("name", _walks())
@pytest.mark.parametrize("field, theirs", [("version", "version"), ("model", "hardware"),
                                           ("serial", "serial")])
def test_shared_walk_version_model_serial(name: str, field: str, theirs: str) -> None:
    device, expected = _poll(name)
    wanted = expected["os"]["discovery"]["devices"][0].get(theirs)
    if not usable(str(wanted or "")):  # absent, or an anonymised placeholder (1234567, FFFF..)
        pytest.skip(f"the walk holds no {field} for {name}")
    if (name, field) in NOT_IN_WALK:
        pytest.skip(NOT_IN_WALK[(name, field)])
    assert _same(getattr(device, field), wanted), (getattr(device, field), wanted)
