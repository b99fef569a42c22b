"""Cuts of the client graph that maps and pages draw: one site, layer 2, layer 3,
the neighbourhood of one device."""
from __future__ import annotations

import networkx as nx

L2_EDGES = frozenset({"l2", "attach", "wan"})
L3_EDGES = frozenset({"l3", "wan"})


def site_names(graph: nx.MultiGraph[str]) -> list[str]:
    return sorted({str(d.get("site", "")) for _, d in graph.nodes(data=True)} - {""})


def site_view(graph: nx.MultiGraph[str], site: str) -> nx.MultiGraph[str]:
    """The nodes of one site, plus subnets it shares with others (WAN)."""
    keep = [n for n, d in graph.nodes(data=True)
            if d.get("site") == site or site in str(d.get("sites", "")).split(",")]
    view: nx.MultiGraph[str] = graph.subgraph(keep)
    return view


def edge_view(graph: nx.MultiGraph[str], kinds: frozenset[str]) -> nx.MultiGraph[str]:
    """Only edges of the given kinds, and the nodes they touch or that belong with them."""
    out: nx.MultiGraph[str] = nx.MultiGraph()
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


def layer3_view(graph: nx.MultiGraph[str]) -> nx.MultiGraph[str]:
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


def neighbourhood(graph: nx.MultiGraph[str], node: str, hops: int = 1) -> nx.MultiGraph[str]:
    """`node` and everything within `hops` cables of it (layer 2).

    Walks the cables from `node` only: the cost is the size of the neighbourhood,
    not of the client (a page per switch in a 10,000-device client stays linear)."""
    out: nx.MultiGraph[str] = nx.MultiGraph()
    if node not in graph or not (graph.nodes[node].get("kind") in _L2_NODES
                                 or _layer2_neighbours(graph, node)):
        return out
    out.graph.update(graph.graph)
    near = {node}
    frontier = [node]
    for _ in range(hops):
        frontier = [o for n in frontier for o in _layer2_neighbours(graph, n) if o not in near]
        near.update(frontier)
    ordered = [n for n in graph if n in near]  # the client graph's order: stable output
    for member in ordered:
        out.add_node(member, **graph.nodes[member])
    for member in ordered:
        for other, keyed in graph.adj[member].items():
            if other in near:
                for key, data in keyed.items():
                    if data.get("kind") in L2_EDGES and not out.has_edge(member, other, key):
                        out.add_edge(member, other, key=key, **data)
    return out


_L2_NODES = frozenset({"device", "hub", "endpoint"})


def _layer2_neighbours(graph: nx.MultiGraph[str], node: str) -> list[str]:
    return [other for other, keyed in graph.adj[node].items()
            if any(data.get("kind") in L2_EDGES for data in keyed.values())]
