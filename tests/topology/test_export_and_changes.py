"""Topology files are byte-stable; changes between runs read like a technician's notes."""
from __future__ import annotations

import copy
import random
import xml.etree.ElementTree as ET

import networkx as nx

from netdoc.models import Device, FdbEntry, Neighbor
from netdoc.topology import (build_topology, graph_from_node_link, graphml_text,
                             node_link_text, topology_changes)

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def test_same_network_gives_byte_identical_exports_whatever_the_input_order(
        office: list[Device]) -> None:
    shuffled = copy.deepcopy(office)
    random.Random(7).shuffle(shuffled)
    for device in shuffled:
        random.Random(3).shuffle(device.fdb)
        random.Random(5).shuffle(device.neighbors)
    first, second = build_topology(office, "acme"), build_topology(shuffled, "acme")
    assert graphml_text(first) == graphml_text(second)
    assert node_link_text(first) == node_link_text(second)


def test_graphml_is_readable_by_graph_tools(office: list[Device]) -> None:
    text = graphml_text(build_topology(office, "acme"))
    root = ET.fromstring(text)
    names = {k.get("attr.name") for k in root.iter(f"{GRAPHML}key")}
    assert {"name", "role", "site", "kind", "port_a", "port_b"} <= names
    back = nx.read_graphml(__import__("io").BytesIO(text.encode()))
    assert back.nodes["core"]["model"] == "C9300-24T"
    assert back.number_of_nodes() == build_topology(office).number_of_nodes()


def test_node_link_json_round_trips(office: list[Device]) -> None:
    graph = build_topology(office, "acme")
    again = graph_from_node_link(node_link_text(graph))
    assert node_link_text(again) == node_link_text(graph)


def _device(devices: list[Device], name: str) -> Device:
    return next(d for d in devices if d.hostname == name)


def test_unchanged_network_reports_no_change(office: list[Device]) -> None:
    assert topology_changes(build_topology(office), build_topology(office)) == []


def test_an_endpoint_moving_port_is_reported_once(office: list[Device]) -> None:
    moved = copy.deepcopy(office)
    acc1 = _device(moved, "acc1")
    pc1_mac = _device(moved, "pc1").base_mac
    acc1.fdb = [FdbEntry(e.mac, "Fa0/9" if e.mac == pc1_mac else e.port, e.vlan)
                for e in acc1.fdb]
    changes = topology_changes(build_topology(office), build_topology(moved))
    assert [str(c) for c in changes] == ["endpoint moved: pc1 (acc1 Fa0/1 -> acc1 Fa0/9)"]


def test_links_appearing_and_disappearing_are_reported(office: list[Device]) -> None:
    changed = copy.deepcopy(office)
    core = _device(changed, "core")
    # acc2 unplugged from core Gi0/3 and re-cabled to acc1 Fa0/2 (pc2's port, pc2 gone)
    core.neighbors = [n for n in core.neighbors if n.remote_name != "acc2"]
    core.fdb = [e for e in core.fdb if e.port != "Gi0/3"]
    acc1 = _device(changed, "acc1")
    acc1.neighbors.append(Neighbor(protocol="lldp", local_port="Fa0/2", remote_name="acc2",
                                   remote_port="Gi0/24"))
    changes = [str(c) for c in topology_changes(build_topology(office),
                                                build_topology(changed))]
    assert "link appeared: acc1 Fa0/2 <-> acc2 Gi0/24" in changes
    assert "link disappeared: acc2 Gi0/24 <-> core Gi0/3" in changes


def test_a_cable_confirmed_by_lldp_after_mac_tables_is_no_change(office: list[Device]) -> None:
    changed = copy.deepcopy(office)
    _device(changed, "core").neighbors.append(
        Neighbor(protocol="lldp", local_port="Gi0/4", remote_name="acc3", remote_port="Gi0/24"))
    assert topology_changes(build_topology(office), build_topology(changed)) == []
