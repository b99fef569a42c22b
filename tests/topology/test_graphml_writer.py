"""The GraphML export is written directly (fast at 10,000 devices) and stays byte for
byte what networkx's GraphML writer produces, so existing topology.graphml files in
inventory repositories do not change and yEd / Gephi read them as before."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from netdoc.models import Device, device_from_dict
from netdoc.topology import build_topology, graphml_text
from netdoc.topology.export import _graphml, safe_graph
from netdoc.topology.graph import sorted_graph

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "topology"


def load_fixture(name: str) -> list[Device]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return [device_from_dict(d) for d in data["devices"]]


def networkx_text(graph: nx.MultiGraph[str]) -> str:
    return "\n".join(nx.generate_graphml(graph, prettyprint=True, named_key_ids=True)) + "\n"


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_every_topology_fixture_exports_the_bytes_networkx_writes(fixture: str) -> None:
    devices = load_fixture(fixture)
    graph = sorted_graph(safe_graph(build_topology(devices, "acme")))
    assert _graphml(graph) is not None  # the direct writer handled it, not the fallback
    assert graphml_text(graph) == networkx_text(graph)


def awkward_graph() -> nx.MultiGraph[str]:
    graph: nx.MultiGraph[str] = nx.MultiGraph()
    graph.graph.update({"client": 'Müller & "Söhne" <GmbH>', "nodes_seen": 3})
    graph.add_node("sw1", name="core\tswitch", vlan=10, up=True, speed=1.5, note="")
    graph.add_node('odd "id" & <more>')
    graph.add_node("ünïcode ☃", name="line\x0bbreak", site="hq")
    graph.add_node("n4", vlan="10")  # the same name with another type: a second key
    graph.add_edge("sw1", "ünïcode ☃", key="l2|a|b", kind="l2", port_a="Gi1/0/1\r\n")
    graph.add_edge("sw1", 'odd "id" & <more>', key=7)
    graph.add_edge("sw1", "sw1", key="self", kind="loop", weight=0.25)
    return graph


def test_escaping_types_and_empty_values_match_networkx() -> None:
    graph = awkward_graph()
    assert _graphml(graph) is not None
    assert graphml_text(graph) == networkx_text(sorted_graph(safe_graph(graph)))
    assert _graphml(graph) == networkx_text(graph)


@pytest.mark.parametrize("graph", [nx.MultiGraph(), nx.MultiGraph(client="x"),
                                   nx.MultiGraph(nx.path_graph(3))])
def test_small_and_empty_graphs_match_networkx(graph: nx.MultiGraph[str]) -> None:
    assert _graphml(graph) == networkx_text(graph)


@pytest.mark.parametrize("value", [[1, 2], None, b"bytes"])
def test_values_graphml_has_no_type_for_go_to_networkx(value: Any) -> None:
    graph: nx.MultiGraph[str] = nx.MultiGraph()
    graph.add_node("a", odd=value)
    assert _graphml(graph) is None


def test_a_graph_id_or_defaults_go_to_networkx() -> None:
    assert _graphml(nx.MultiGraph(id="g1")) is None
    assert _graphml(nx.MultiGraph(node_default={"role": "x"})) is None


def test_a_thousand_device_client_matches_networkx() -> None:
    devices = [Device(hostname=f"pc{n}", mgmt_ip=f"192.0.2.{n % 250 + 1}",
                      base_mac=f"02:00:00:00:{n >> 8:02x}:{n & 255:02x}", site="hq")
               for n in range(1000)]
    graph = sorted_graph(safe_graph(build_topology(devices, "acme")))
    assert graphml_text(graph) == networkx_text(graph)
