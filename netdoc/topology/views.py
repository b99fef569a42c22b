"""Cuts of the client graph that maps and pages draw: one site, layer 2, layer 3,
the neighbourhood of one device."""
from __future__ import annotations

import networkx as nx

L2_EDGES = frozenset({"l2", "attach", "wan"})
L3_EDGES = frozenset({"l3", "wan"})


def site_names(graph: nx.MultiGraph) -> list[str]:
    return sorted({str(d.get("site", "")) for _, d in graph.nodes(data=True)} - {""})


def site_view(graph: nx.MultiGraph, site: str) -> nx.MultiGraph:
    """The nodes of one site, plus subnets it shares with others (WAN)."""
    keep = [n for n, d in graph.nodes(data=True)
            if d.get("site") == site or site in str(d.get("sites", "")).split(",")]
    view: nx.MultiGraph = graph.subgraph(keep)
    return view


def edge_view(graph: nx.MultiGraph, kinds: frozenset[str]) -> nx.MultiGraph:
    """Only edges of the given kinds, and the nodes they touch or that belong with them."""
    out = nx.MultiGraph()
    out.graph.update(graph.graph)
    node_kinds = {"device", "hub", "endpoint"} if "l2" in kinds else {"subnet", "device"}
    for node, data in graph.nodes(data=True):
        if data.get("kind") in node_kinds:
            out.add_node(node, **data)
    for a, b, key, data in graph.edges(keys=True, data=True):
        if data.get("kind") in kinds:
            for end in (a, b):
                if end not in out:
                    out.add_node(end, **graph.nodes[end])
            out.add_edge(a, b, key=key, **data)
    return out


def layer3_view(graph: nx.MultiGraph) -> nx.MultiGraph:
    """Subnets and the routers joining them; every other member is counted in the
    subnet's `hosts` attribute instead of drawn."""
    view = edge_view(graph, L3_EDGES)
    routing = {n for n, d in view.nodes(data=True) if d.get("kind") == "device" and (
        d.get("role") in ("router", "firewall") or
        sum(1 for o in view.neighbors(n) if view.nodes[o].get("kind") == "subnet") > 1)}
    for node, data in view.nodes(data=True):
        if data.get("kind") == "subnet":
            data["hosts"] = sum(1 for o in view.neighbors(node) if o not in routing)
    view.remove_nodes_from([n for n, d in view.nodes(data=True)
                            if d.get("kind") != "subnet" and n not in routing])
    return view


def neighbourhood(graph: nx.MultiGraph, node: str, hops: int = 1) -> nx.MultiGraph:
    """`node` and everything within `hops` cables of it (layer 2)."""
    layer2 = edge_view(graph, L2_EDGES)
    if node not in layer2:
        return nx.MultiGraph()
    near = nx.ego_graph(layer2, node, radius=hops)
    view: nx.MultiGraph = layer2.subgraph(near.nodes)
    return view
