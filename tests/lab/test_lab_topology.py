"""The lab topologies are data, and the data keeps the lab safe and realistic."""
from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import yaml

from netdoc.errors import LabError
from netdoc.lab.running_config import ios_port_name, render_running_config
from netdoc.lab.topology import (BRIDGE, HOST_PORT, LAB_DIR, TEST_NETS, Port,
                                 available_topologies, load_topology, parse_topology)

TOPOLOGIES = available_topologies()


def raw(name: str) -> dict[str, Any]:
    data = yaml.safe_load((LAB_DIR / f"{name}.yaml").read_text())
    assert isinstance(data, dict)
    return data


def in_test_net(address: ipaddress.IPv4Interface | ipaddress.IPv4Address) -> bool:
    ip = address.ip if isinstance(address, ipaddress.IPv4Interface) else address
    return any(ip in net for net in TEST_NETS)


def test_default_and_large_topologies_ship() -> None:
    assert {"default", "large"} <= set(TOPOLOGIES)


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_every_address_gateway_and_route_is_in_test_net(name: str) -> None:
    topology = load_topology(name)
    for subnet in topology.subnets:
        assert any(subnet.network.subnet_of(net) for net in TEST_NETS), subnet
    for node in topology.nodes.values():
        for address in node.addresses.values():
            assert in_test_net(address), (node.name, address)
        if node.gateway:
            assert in_test_net(node.gateway), node.name
        for network, via in node.routes.items():
            assert any(network.subnet_of(net) for net in TEST_NETS) and in_test_net(via)


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_port_names_are_unique_per_node_and_fit_linux(name: str) -> None:
    topology = load_topology(name)
    for node in topology.nodes:
        ports = topology.ports(node)
        assert len(ports) == len(set(ports)), node
        assert all(len(p) <= 15 and "/" not in p and " " not in p for p in ports), ports
        assert BRIDGE not in ports


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_addresses_are_unique_and_every_endpoint_has_a_gateway_in_its_subnet(name: str) -> None:
    topology = load_topology(name)
    seen = [a.ip for n in topology.nodes.values() for a in n.addresses.values()]
    assert len(seen) == len(set(seen))
    for node in topology.nodes.values():
        if node.addresses and not node.spec.forwards:
            first = next(iter(node.addresses.values()))
            assert node.gateway is not None and node.gateway in first.network, node.name


def test_default_topology_has_the_site_the_issue_asks_for() -> None:
    topology = load_topology("default")
    kinds = [n.kind for n in topology.nodes.values()]
    assert kinds.count("probe") == 1 and kinds.count("switch") == 3
    assert kinds.count("router") == 1 and kinds.count("firewall") == 1
    assert {"printer", "ap", "pc", "unmanaged-switch"} <= set(kinds)
    hq = ipaddress.IPv4Network("192.0.2.0/24")
    hq_endpoints = [n for n in topology.nodes.values() if not n.spec.bridge
                    and not n.spec.forwards and n.kind != "probe"
                    and any(a.ip in hq for a in n.addresses.values())]
    assert len(hq_endpoints) >= 12
    # access-sw2 hangs off access-sw1, not off the core: reached through the other.
    assert topology.peer(Port("access-sw2", "Gi1-0-25")).node == "access-sw1"
    # The router joins two subnets; the branch switch runs nothing (unmanaged).
    router = topology.nodes["router"]
    assert len({topology.subnet_of(a).name for a in router.addresses.values()}) == 2  # type: ignore[union-attr]
    assert not topology.nodes["branch-sw"].managed
    assert topology.nodes["probe"].gateway == ipaddress.IPv4Address("192.0.2.1")


def test_large_topology_is_a_loop_free_chain_with_about_sixty_endpoints() -> None:
    topology = load_topology("large")
    switches = [n for n in topology.nodes.values() if n.kind == "switch"]
    assert len(switches) >= 3
    endpoints = [n for n in topology.nodes.values() if n.kind == "pc"]
    assert 55 <= len(endpoints) <= 70
    subnets = {topology.subnet_of(n.addresses[HOST_PORT]).name  # type: ignore[union-attr]
               for n in endpoints}
    assert len(subnets) == 2


def test_segment_behind_a_port_reaches_through_chained_switches_only() -> None:
    topology = load_topology("default")
    behind = topology.segment_behind(Port("core-sw", "Gi1-0-25"))
    names = {p.node for p in behind}
    assert {"access-sw1", "access-sw2", "pc-02", "pc-09", "ap-01", "printer-01"} <= names
    assert not names & {"core-sw", "router", "probe", "pc-01", "branch-pc-01"}
    # Through the router port only the router itself: routers end the segment.
    assert [(p.node, p.name) for p in topology.segment_behind(Port("core-sw", "Gi1-0-26"))] == \
        [("router", "Gi0-0")]


def test_an_address_outside_test_net_is_refused() -> None:
    data = raw("default")
    data["nodes"]["pc-01"]["ip"] = "10.0.0.5/24"
    with pytest.raises(LabError, match=r"nodes.pc-01.ip: 10.0.0.5/24 is outside the TEST-NET"):
        parse_topology(data, "broken.yaml")


def test_a_subnet_outside_test_net_is_refused() -> None:
    data = raw("default")
    data["subnets"]["hq"]["cidr"] = "192.168.1.0/24"
    with pytest.raises(LabError, match="subnets.hq.cidr"):
        parse_topology(data, "broken.yaml")


def test_a_port_used_twice_is_refused() -> None:
    data = raw("default")
    data["nodes"]["pc-02"]["at"] = "core-sw Gi1-0-3"  # pc-01's port
    with pytest.raises(LabError, match="port core-sw Gi1-0-3 is already used"):
        parse_topology(data, "broken.yaml")


def test_a_port_name_linux_cannot_hold_is_refused() -> None:
    data = raw("default")
    data["nodes"]["pc-02"]["at"] = "access-sw1 GigabitEthernet1/0/1"
    with pytest.raises(LabError, match="not a valid Linux interface name"):
        parse_topology(data, "broken.yaml")


def test_a_layer_two_loop_is_refused() -> None:
    data = raw("default")
    data["links"].append(["access-sw2 Gi1-0-26", "core-sw Gi1-0-28"])
    with pytest.raises(LabError, match="closes a layer-2 loop"):
        parse_topology(data, "broken.yaml")


def test_a_link_to_an_unknown_node_is_refused() -> None:
    data = raw("default")
    data["nodes"]["pc-02"]["at"] = "nosuch-sw Gi1-0-1"
    with pytest.raises(LabError, match="unknown node 'nosuch-sw'"):
        parse_topology(data, "broken.yaml")


def test_unknown_topology_names_the_available_ones() -> None:
    with pytest.raises(LabError, match="available: default, hub, large"):
        load_topology("nosuch")


def test_running_config_names_interfaces_the_ios_way_and_ends_with_end() -> None:
    topology = load_topology("default")
    text = render_running_config(topology, topology.nodes["core-sw"], community="c0mm",
                                 ssh_user="netdoc", ssh_password="pw", enable_secret="en")
    lines = text.splitlines()
    assert lines[1].startswith("! Last configuration change at ")
    assert "hostname core-sw" in lines and lines[-1] == "end"
    assert "interface GigabitEthernet1/0/25" in lines
    assert " description uplink to access-sw1 Gi1/0/25" in lines
    assert " ip address 192.0.2.2 255.255.255.0" in lines
    assert "snmp-server community c0mm RO" in lines
    assert "pw" not in text.split() and "en" not in text.split()  # secrets only as hashes
    assert ios_port_name("Gi0-1") == "GigabitEthernet0/1" and ios_port_name("eth0") == "eth0"
