"""Topology files: GraphML (yEd, Gephi) and node-link JSON, byte-stable per input.

Both are written from `sorted_graph`, so the same network gives the same bytes
and `git diff` of inventory/<client>/ shows only real changes.
"""
from __future__ import annotations

import json
from typing import Any

import networkx as nx

from netdoc.errors import StoreError
from netdoc.fsutil import stable_json
from netdoc.textsafe import NAME_LIMIT, TEXT_LIMIT, clean
from netdoc.topology.graph import sorted_graph

NODE_ID_LIMIT = 300  # characters of a node id ("lldp:" + a 255-character neighbour name fits)


def safe_graph(graph: nx.MultiGraph) -> nx.MultiGraph:
    """The same graph with every node id and text attribute free of control characters
    and bounded in length: what renderers (Graphviz DOT, GraphML's XML, draw.io, the
    HTML site) get, whatever LLDP neighbours or SNMP agents called themselves."""
    mapping: dict[Any, str] = {}
    taken: set[str] = set()
    for node in graph.nodes:
        wanted = clean(node, NODE_ID_LIMIT) or "unnamed"
        candidate, n = wanted, 2
        while candidate in taken:
            candidate, n = f"{wanted}~{n}", n + 1
        taken.add(candidate)
        mapping[node] = candidate
    safe = nx.MultiGraph()
    safe.graph.update(_safe_attrs(graph.graph))
    for node, data in graph.nodes(data=True):
        safe.add_node(mapping[node], **_safe_attrs(data))
    for a, b, key, data in graph.edges(keys=True, data=True):
        safe.add_edge(mapping[a], mapping[b], key=clean(key, 4 * NODE_ID_LIMIT)
                      if isinstance(key, str) else key, **_safe_attrs(data))
    return safe


def _safe_attrs(data: dict[str, Any]) -> dict[str, Any]:
    return {str(k): _safe_value(k, v) for k, v in data.items()}


def _safe_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        return clean(value, NAME_LIMIT if "name" in str(key) or "port" in str(key)
                     else TEXT_LIMIT)
    if isinstance(value, list):
        return [_safe_value(key, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_safe_value(key, v) for v in value)
    if isinstance(value, dict):
        return {k: _safe_value(k, v) for k, v in value.items()}
    return value


def graphml_text(graph: nx.MultiGraph) -> str:
    lines = nx.generate_graphml(sorted_graph(safe_graph(graph)), prettyprint=True,
                                named_key_ids=True)
    return "\n".join(lines) + "\n"


def node_link_text(graph: nx.MultiGraph) -> str:
    data = nx.node_link_data(sorted_graph(graph), edges="edges")
    return stable_json(data)


def graph_from_node_link(text: str, source: str = "topology.json") -> nx.MultiGraph:
    """Read back what node_link_text wrote (the previous run's topology)."""
    try:
        data: Any = json.loads(text)
        graph = nx.node_link_graph(data, multigraph=True, edges="edges")
    except (ValueError, KeyError, TypeError, nx.NetworkXError) as exc:
        raise StoreError(f"{source}: not a netdoc topology file ({exc}); delete it and the "
                         f"next render writes a fresh one") from None
    return nx.MultiGraph(graph)
