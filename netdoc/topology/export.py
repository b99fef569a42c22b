"""Topology files: GraphML (yEd, Gephi) and node-link JSON, byte-stable per input.

Both are written from `sorted_graph`, so the same network gives the same bytes
and `git diff` of inventory/<client>/ shows only real changes.
"""
from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

import networkx as nx

from netdoc.errors import StoreError
from netdoc.fsutil import stable_json
from netdoc.textsafe import NAME_LIMIT, TEXT_LIMIT, clean
from netdoc.topology.graph import sorted_graph
from netdoc.workspace import TOPOLOGY_JSON

NODE_ID_LIMIT = 300  # characters of a node id ("lldp:" + a 255-character neighbour name fits)


def safe_graph(graph: nx.MultiGraph[str]) -> nx.MultiGraph[str]:
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
    safe: nx.MultiGraph[str] = nx.MultiGraph()
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


def graphml_text(graph: nx.MultiGraph[str]) -> str:
    ready = sorted_graph(safe_graph(graph))
    fast = _graphml(ready)
    if fast is not None:
        return fast
    lines = nx.generate_graphml(ready, prettyprint=True, named_key_ids=True)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- GraphML, written directly

_XML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_ROOT = ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
         'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">')


class _Unsupported(Exception):
    """A value networkx's writer handles differently: let it write the file."""


def _graphml(graph: nx.MultiGraph[str]) -> str | None:
    """The bytes networkx's `generate_graphml(prettyprint=True, named_key_ids=True)`
    writes for an undirected multigraph whose attributes are str, int, float or bool,
    written as text instead of through an ElementTree (a 10,000-device client's file
    took 4 s that way, 0.6 s this way); None for anything else.
    tests/topology/test_graphml_writer.py holds it to networkx's output."""
    if graph.is_directed() or not graph.is_multigraph() or \
            {"id", "node_default", "edge_default"} & set(graph.graph):
        return None
    keys: dict[tuple[str, str, str], None] = {}  # (name, type, scope) in first-seen order

    def data(scope: str, values: dict[Any, Any], pad: str, out: list[str]) -> None:
        for key, value in values.items():
            kind = _XML_TYPES.get(type(value))
            if kind is None:
                raise _Unsupported
            name = str(key)
            keys.setdefault((name, kind, scope), None)
            text = _cdata(str(value))
            out.append(f'{pad}<data key="{_attrib(name)}">{text}</data>' if text else
                       f'{pad}<data key="{_attrib(name)}" />')

    try:
        tail: list[str] = []
        data("graph", graph.graph, "    ", tail)  # graph data: after the edges, keys first
        body: list[str] = []
        for node, values in graph.nodes(data=True):
            if values:
                body.append(f'    <node id="{_attrib(str(node))}">')
                data("node", values, "      ", body)
                body.append("    </node>")
            else:
                body.append(f'    <node id="{_attrib(str(node))}" />')
        for a, b, key, values in graph.edges(keys=True, data=True):
            opening = f'    <edge source="{_attrib(str(a))}" target="{_attrib(str(b))}" ' \
                      f'id="{_attrib(str(key))}"'
            if values:
                body.append(opening + ">")
                data("edge", values, "      ", body)
                body.append("    </edge>")
            else:
                body.append(opening + " />")
    except _Unsupported:
        return None
    body += tail
    lines = [_ROOT]
    lines += [f'  <key id="{_attrib(n)}" for="{scope}" attr.name="{_attrib(n)}" '
              f'attr.type="{kind}" />' for n, kind, scope in reversed(list(keys))]
    if body:
        lines += ['  <graph edgedefault="undirected">', *body, "  </graph>"]
    else:
        lines.append('  <graph edgedefault="undirected" />')
    lines.append("</graphml>")
    # as ElementTree's tostring(): ASCII with character references; then split into lines
    text = "\n".join(lines).encode("ascii", "xmlcharrefreplace").decode("ascii")
    return "\n".join(text.splitlines()) + "\n"


_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _cdata(text: str) -> str:
    return escape(text)  # &, < and >, as ElementTree writes them for networkx


def _attrib(text: str) -> str:
    return escape(text, _ATTRIBUTE_ENTITIES)


def node_link_text(graph: nx.MultiGraph[str]) -> str:
    data = nx.node_link_data(sorted_graph(graph), edges="edges")
    return stable_json(data)


def graph_from_node_link(text: str, source: str = TOPOLOGY_JSON) -> nx.MultiGraph[str]:
    """Read back what node_link_text wrote (the previous run's topology)."""
    try:
        data: Any = json.loads(text)
        graph = nx.node_link_graph(data, multigraph=True, edges="edges")
    except (ValueError, KeyError, TypeError, nx.NetworkXError) as exc:
        raise StoreError(f"{source}: not a netdoc topology file ({exc}); delete it and the "
                         f"next render writes a fresh one") from None
    return nx.MultiGraph(graph)
