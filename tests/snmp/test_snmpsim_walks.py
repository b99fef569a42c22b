"""netdoc's own recorded walks served over real UDP by snmpsim (community = file name),
polled end to end: identification, CDP/LLDP neighbours, per-VLAN FDB, ARP."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from netdoc.discover.collectors.snmp import poll_device
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
from netdoc.secrets import Secret
from support.snmp_agents import Agent

WALKS = Path(__file__).resolve().parents[1] / "fixtures" / "walks"
SETTINGS = SnmpSettings(timeout=2.0, retries=1, max_repetitions=25, device_budget=60)


def poll(agent: Agent, community: str):  # type: ignore[no-untyped-def]
    sets = [CredentialSet(community, snmp=SnmpCredential(version="2c",
                                                         community=Secret(community)))]
    return asyncio.run(poll_device("127.0.0.1", agent.port, sets, SETTINGS, site="lab"))


@pytest.mark.parametrize("walk", ["cisco_ios_cdp", "junos_ex", "mikrotik", "fortigate",
                                  "printer_hp"])
def test_polling_a_recorded_device_over_udp_gives_the_expected_record(
        snmpsim_agent: Agent, walk: str) -> None:
    result = poll(snmpsim_agent, walk)
    assert result.error == "" and result.warnings == []
    assert result.device is not None
    got = result.device.to_dict()
    expected = json.loads((WALKS / f"{walk}.expected.json").read_text())
    for key in ("hostname", "sys_object_id", "vendor", "os", "version", "model", "serial",
                "role", "platform", "neighbors", "arp", "fdb"):
        assert got[key] == expected[key], key
    assert [{k: i[k] for k in expected["interfaces"][0]} for i in got["interfaces"]] \
        == expected["interfaces"]


def test_cisco_per_vlan_fdb_comes_from_community_at_vlan(snmpsim_agent: Agent) -> None:
    result = poll(snmpsim_agent, "cisco_ios_cdp")
    assert result.device is not None
    fdb = {(f.mac, f.port, f.vlan) for f in result.device.fdb}
    # VLAN 20 is only visible as community "cisco_ios_cdp@20"; 1002-1005 are never asked
    assert ("d8:c4:97:00:00:20", "Te1/1/1", 20) in fdb
    assert ("3c:52:82:11:22:33", "Gi1/0/3", 10) in fdb
    assert not any(mac == "00:1b:d4:aa:00:40" for mac, _, _ in fdb)  # the switch's own MAC


def test_cdp_neighbours_are_named_by_local_interface(snmpsim_agent: Agent) -> None:
    result = poll(snmpsim_agent, "cisco_ios_cdp")
    assert result.device is not None
    cdp = {n.local_port: n for n in result.device.neighbors if n.protocol == "cdp"}
    assert cdp["Te1/1/1"].remote_name == "sw-dist-02.example.net"
    assert cdp["Te1/1/1"].remote_mgmt_ip == "192.0.2.11"
    assert cdp["Gi1/0/1"].remote_platform == "cisco ISR4331/K9"
