"""Topology inference from recorded LLDP/CDP, MAC and ARP tables (small_office.json)."""
from __future__ import annotations

import networkx as nx
import pytest

from netdoc.models import Device
from netdoc.topology import build_topology


@pytest.fixture
def graph(office: list[Device]) -> nx.MultiGraph:
    return build_topology(office, client="acme")


def cables(graph: nx.MultiGraph) -> set[tuple[str, str, str, str]]:
    """Every layer-2 cable as (node, port, node, port), one entry per cable."""
    return {(d["node_a"], d["port_a"], d["node_b"], d["port_b"])
            for _, _, d in graph.edges(data=True) if d["kind"] == "l2"}


def cable(graph: nx.MultiGraph, a: str, b: str) -> list[dict[str, object]]:
    return [d for _, other, d in graph.edges(a, data=True) if other == b and d["kind"] == "l2"]


def location(graph: nx.MultiGraph, node: str) -> tuple[str, str, str]:
    data = graph.nodes[node]
    return data["switch"], data["port"], data["via"]


def test_every_cable_is_found_once_and_nothing_else(graph: nx.MultiGraph) -> None:
    assert cables(graph) == {
        ("acc1", "Gi0/24", "core", "Gi0/1"),       # LLDP from both ends
        ("acc2", "Gi0/24", "core", "Gi0/3"),       # LLDP from the core only
        ("acc3", "Gi0/24", "core", "Gi0/4"),       # no LLDP: from MAC tables
        ("core", "Gi0/2", "rtr1", "Gi0/0"),        # LLDP one way, CDP the other
        ("acc2", "Gi0/5", "hub:acc2:Gi0/5", ""),   # inferred unmanaged switch
        ("hub:rtr1:Gi0/1", "", "rtr1", "Gi0/1"),   # unmanaged bridge known from ARP
    }


def test_lldp_seen_from_both_ends_with_different_spellings_is_one_edge(graph: nx.MultiGraph) \
        -> None:
    [link] = cable(graph, "core", "acc1")
    assert link["seen_from"] == "both"
    assert link["source"] == "lldp"


def test_lldp_from_one_end_and_cdp_from_the_other_is_one_edge(graph: nx.MultiGraph) -> None:
    [link] = cable(graph, "core", "rtr1")
    assert link["source"] == "cdp,lldp"
    assert link["seen_from"] == "both"


def test_a_neighbour_seen_from_one_side_only_still_counts(graph: nx.MultiGraph) -> None:
    [link] = cable(graph, "core", "acc2")
    assert link["seen_from"] == "core"
    assert (link["port_a"], link["port_b"]) == ("Gi0/24", "Gi0/3")


def test_a_trunk_carrying_many_macs_is_not_an_endpoint_port(graph: nx.MultiGraph) -> None:
    uplinks = {("core", "Gi0/1"), ("core", "Gi0/3"), ("core", "Gi0/4"),
               ("acc1", "Gi0/24"), ("acc2", "Gi0/24"), ("acc3", "Gi0/24")}
    placed_on = {(d["switch"], d["port"]) for _, d in graph.nodes(data=True)
                 if d["kind"] in ("endpoint", "hub")}
    assert not placed_on & uplinks
    assert not any(n.startswith("hub:core") for n in graph)  # core Gi0/4: many MACs, a switch


def test_endpoints_are_on_their_access_ports(graph: nx.MultiGraph) -> None:
    assert location(graph, "pc1") == ("acc1", "Fa0/1", "")
    assert location(graph, "pc2") == ("acc1", "Fa0/2", "")
    assert location(graph, "printer1") == ("acc2", "Gi0/3", "")
    assert location(graph, "pc7") == ("acc3", "Gi0/1", "")


def test_a_port_with_several_devices_and_no_neighbour_is_an_unmanaged_switch(
        graph: nx.MultiGraph) -> None:
    hub = "hub:acc2:Gi0/5"
    assert graph.nodes[hub]["kind"] == "hub"
    behind = sorted(n for n, d in graph.nodes(data=True) if d.get("via") == hub)
    assert behind == ["mac:02:00:00:00:ee:01", "pc3", "pc4"]
    assert all(location(graph, n)[:2] == ("acc2", "Gi0/5") for n in behind)


def test_a_pc_behind_an_ip_phone_is_on_the_phone_port_and_no_hub_is_invented(
        graph: nx.MultiGraph) -> None:
    phone = "lldp:sep0200000000c0"
    assert graph.nodes[phone]["role"] == "phone"
    assert graph.nodes[phone]["inventoried"] is False
    assert location(graph, phone) == ("acc1", "Fa0/3", "")
    assert location(graph, "pc6") == ("acc1", "Fa0/3", "")
    assert "hub:acc1:Fa0/3" not in graph


def test_a_segment_no_switch_reports_is_placed_from_the_router_arp_table(
        graph: nx.MultiGraph) -> None:
    assert location(graph, "b1") == ("rtr1", "Gi0/1", "hub:rtr1:Gi0/1")
    assert location(graph, "b2") == ("rtr1", "Gi0/1", "hub:rtr1:Gi0/1")
    # hosts the switches already placed are not moved onto the router
    assert location(graph, "pc1")[0] == "acc1"


def test_subnets_join_the_router_and_its_hosts(graph: nx.MultiGraph) -> None:
    subnets_of_rtr1 = {other for _, other, d in graph.edges("rtr1", data=True)
                       if d["kind"] == "l3"}
    assert subnets_of_rtr1 == {"subnet:192.0.2.0/24", "subnet:198.51.100.0/24",
                               "subnet:203.0.113.0/30"}  # the /32 loopback is no subnet
    hosts = {n for n in graph.neighbors("subnet:198.51.100.0/24")}
    assert hosts == {"rtr1", "b1", "b2"}
    assert graph.nodes["subnet:192.0.2.0/24"]["site"] == "hq"


def test_routers_at_two_sites_sharing_a_point_to_point_subnet_are_a_wan_link(
        graph: nx.MultiGraph) -> None:
    [wan] = [d for _, other, d in graph.edges("rtr1", data=True)
             if d["kind"] == "wan" and other == "rtr2"]
    assert wan["subnet"] == "203.0.113.0/30"
    assert wan["inter_site"] is True
    assert graph.nodes["subnet:203.0.113.0/30"]["sites"] == "branch,hq"


def test_nodes_carry_what_a_technician_needs(graph: nx.MultiGraph) -> None:
    core = graph.nodes["core"]
    assert (core["kind"], core["role"], core["site"], core["vendor"], core["model"]) == \
        ("device", "switch", "hq", "Cisco", "C9300-24T")
    assert core["ips"] == "192.0.2.2"
    assert "02:00:00:00:01:00" in core["macs"].split(",")
    assert graph.nodes["printer1"]["role"] == "printer"
    assert graph.graph["client"] == "acme"


def test_inventory_ids_become_node_ids(office: list[Device]) -> None:
    ids = [f"rec-{i}" for i in range(len(office))]
    graph = build_topology(office, ids=ids)
    core = ids[[d.hostname for d in office].index("core")]
    assert graph.nodes[core]["name"] == "core"
    assert len([n for n, d in graph.nodes(data=True) if d["inventoried"]]) == len(office)


def test_one_device_recorded_twice_is_one_node(office: list[Device]) -> None:
    """A router found through each of its addresses may reach the inventory twice."""
    import copy
    rtr1 = next(d for d in office if d.hostname == "rtr1")
    again = copy.deepcopy(rtr1)
    again.mgmt_ip = "198.51.100.1"
    graph = build_topology(office + [again], ids=[d.hostname for d in office] + ["rtr1-2"])
    assert "rtr1-2" not in graph
    assert graph.nodes["rtr1"]["aliases"] == "rtr1-2"
    assert cables(graph) == cables(build_topology(office))
