"""Neighbours from every common source: LLDP-MIB with LLDP-MED, LLDP-V2-MIB, FDP/ISDP, MNDP.

Each source has a small recorded walk of netdoc's own (tests/fixtures/walks, written by
generate_sources.py); the poller reads it through the recorded transport, and one case
goes over real UDP through snmpsim, so index parsing is proven on the wire too.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from netdoc.discover.collectors.snmp import collect, poll_device
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
from netdoc.models import Device, Neighbor
from netdoc.secrets import Secret
from netdoc.discover.snmp.recorded import RecordedTransport
from support.snmp_agents import Agent

WALKS = Path(__file__).resolve().parents[1] / "fixtures" / "walks"


def read(name: str) -> Device:
    device, warnings = asyncio.run(collect(RecordedTransport(WALKS / f"{name}.snmprec")))
    assert warnings == []
    return device


def by_port(device: Device) -> dict[str, Neighbor]:
    return {n.local_port: n for n in device.neighbors}


def test_lldp_med_inventory_names_an_endpoint_that_has_no_snmp() -> None:
    phone = by_port(read("neighbours_lldp_med"))["1"]
    assert (phone.protocol, phone.remote_mgmt_ip) == ("lldp", "192.0.2.50")
    assert phone.remote_capabilities == ["bridge", "telephone"]
    assert (phone.remote_manufacturer, phone.remote_model, phone.remote_serial,
            phone.remote_software, phone.remote_hardware) == \
        ("Polycom", "VVX 450", "0004F2ABCDEF", "6.4.3.5018", "Rev A")
    assert phone.remote_med_class == "endpoint-class-3"


def test_an_access_point_announcing_its_model_and_wlan_capability_keeps_both() -> None:
    ap = by_port(read("neighbours_lldp_med"))["2"]
    assert ap.remote_name == "ap-lobby" and "wlan-ap" in ap.remote_capabilities
    assert ap.remote_model == "UAP-AC-Pro" and ap.remote_software == "6.5.55"
    assert ap.remote_platform == "UAP-AC-Pro, 6.5.55.14777"  # the LLDP system description


def test_a_neighbour_without_lldp_med_has_no_inventory_fields() -> None:
    switch = by_port(read("neighbours_lldp_med"))["3"]
    assert (switch.remote_name, switch.remote_port, switch.remote_mgmt_ip) == \
        ("sw-core", "24", "192.0.2.2")
    assert (switch.remote_model, switch.remote_serial, switch.remote_med_class) == ("", "", "")


def test_lldp_v2_mib_rows_are_read_by_ifindex_with_their_management_address() -> None:
    ports = by_port(read("neighbours_lldp_v2"))
    assert set(ports) == {"ge-1/0/1", "ge-1/0/2"}
    router, nas = ports["ge-1/0/1"], ports["ge-1/0/2"]
    assert (router.remote_name, router.remote_port, router.remote_chassis_id,
            router.remote_mgmt_ip, router.remote_capabilities) == \
        ("rtr-edge", "Gi0/1", "02:00:00:00:aa:01", "192.0.2.1", ["router"])
    assert (nas.remote_name, nas.remote_mgmt_ip, nas.remote_capabilities) == \
        ("nas-01", "198.51.100.7", ["station"])


def test_fdp_and_isdp_neighbours_come_from_the_foundry_cache() -> None:
    ports = by_port(read("neighbours_fdp"))
    core, cisco = ports["ethernet1/1/1"], ports["ethernet1/1/2"]
    assert (core.protocol, core.remote_name, core.remote_port, core.remote_mgmt_ip) == \
        ("fdp", "icx-core", "ethernet1/2/1", "192.0.2.3")
    assert core.remote_capabilities == ["router", "bridge"]
    assert (cisco.remote_platform, cisco.remote_software) == \
        ("cisco WS-C2960X-48FPD-L", "Cisco IOS Software, Version 15.2(7)E4")


def test_mikrotik_mndp_neighbours_are_named_by_identity_on_their_interface() -> None:
    mndp = {n.local_port: n for n in read("neighbours_mndp").neighbors if n.protocol == "mndp"}
    assert {p: (n.remote_name, n.remote_mgmt_ip, n.remote_chassis_id)
            for p, n in mndp.items()} == {
        "ether1": ("isp-ce", "203.0.113.1", "48:8f:5a:aa:00:01"),
        "ether2": ("ap-warehouse", "192.0.2.20", "48:8f:5a:bb:00:02")}
    assert mndp["ether1"].remote_software == "7.16 (stable)"


def test_routeros_lldp_rows_on_port_0_take_the_interface_of_their_mndp_row() -> None:
    lldp = {n.local_port: n for n in read("neighbours_mndp").neighbors if n.protocol == "lldp"}
    assert {p: (n.remote_name, n.remote_chassis_id, n.remote_port) for p, n in lldp.items()} == {
        "ether1": ("isp-ce", "48:8f:5a:aa:00:01", "ether5"),  # the name ends at its NUL
        "ether2": ("ap-warehouse", "48:8f:5a:bb:00:02", "ether6")}


@pytest.mark.parametrize("walk, count", [("neighbours_lldp_v2", 2), ("neighbours_lldp_med", 3),
                                         ("neighbours_fdp", 2), ("neighbours_mndp", 4)])
def test_the_same_neighbours_come_over_udp(snmpsim_agent: Agent, walk: str, count: int) -> None:
    credential = [CredentialSet(walk, snmp=SnmpCredential(version="2c", community=Secret(walk)))]
    result = asyncio.run(poll_device("127.0.0.1", snmpsim_agent.port, credential,
                                     SnmpSettings(timeout=2.0, retries=1, device_budget=30)))
    assert result.device is not None, result.error
    assert result.warnings == []
    offline = read(walk)
    assert len(result.device.neighbors) == count
    assert result.device.neighbors == offline.neighbors
