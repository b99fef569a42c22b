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
from netdoc.topology.graph import sorted_graph


def graphml_text(graph: nx.MultiGraph) -> str:
    lines = nx.generate_graphml(sorted_graph(graph), prettyprint=True, named_key_ids=True)
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
