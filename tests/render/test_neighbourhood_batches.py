"""Neighbourhood maps at scale (issue 18): each is the device and what is within `hops`
cables, found by walking from the device; Graphviz lays them out in batches, and a
map it cannot draw still fails alone."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

import netdoc.render.maps as maps
from netdoc.render import RenderError
from netdoc.render.dot import MapOptions, layer2_dot
from netdoc.render.maps import render_neighbourhoods
from netdoc.topology import build_topology
from netdoc.topology.views import L2_EDGES, edge_view, neighbourhood

from conftest import office_devices

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def office() -> nx.MultiGraph[str]:
    return build_topology(office_devices(), client="acme")


def network(graph: nx.MultiGraph[str]) -> list[str]:
    return sorted(n for n, d in graph.nodes(data=True) if d.get("kind") == "device")


def drawn_nodes(path: Path) -> set[str]:
    root = ET.parse(path).getroot()
    return {(g.find(f"{SVG}title").text or "") for g in root.iter(f"{SVG}g")  # type: ignore[union-attr]
            if g.get("class") == "node"}


@pytest.mark.parametrize("hops", [1, 2])
def test_a_neighbourhood_is_the_ego_graph_of_the_layer2_view(office: nx.MultiGraph[str],
                                                             hops: int) -> None:
    layer2 = edge_view(office, L2_EDGES)
    for node in office.nodes:
        mine = neighbourhood(office, node, hops)
        if node not in layer2:
            assert mine.number_of_nodes() == 0
            continue
        expected = layer2.subgraph(nx.ego_graph(layer2, node, radius=hops).nodes)
        assert set(mine.nodes) == set(expected.nodes), node
        assert sorted((min(a, b), max(a, b), k) for a, b, k in mine.edges(keys=True)) == \
            sorted((min(a, b), max(a, b), k) for a, b, k in expected.edges(keys=True)), node
        assert all(mine.nodes[n] == office.nodes[n] for n in mine.nodes)


def test_batched_maps_each_show_their_own_device(office: nx.MultiGraph[str], scratch: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maps, "BATCH", 2)  # several batches even for a small office
    devices = network(office)
    drawn = render_neighbourhoods(office, devices, scratch)
    assert sorted(drawn) == devices
    for node, path in drawn.items():
        assert node in drawn_nodes(path), node  # no map landed under another's name
    assert not list(scratch.glob(".batch-*"))  # the batch folders are gone


def test_a_map_graphviz_cannot_draw_fails_alone_in_its_batch(office: nx.MultiGraph[str],
                                                             scratch: Path,
                                                             monkeypatch: pytest.MonkeyPatch) \
        -> None:
    devices = network(office)
    broken = devices[0]
    title = f"{office.nodes[broken].get('name', broken)} and its neighbours"

    def one_broken(view: nx.MultiGraph[str], options: MapOptions) -> str:
        return "graph { this is not dot" if options.title == title else layer2_dot(view, options)

    monkeypatch.setattr(maps, "layer2_dot", one_broken)
    failed: list[str] = []
    drawn = render_neighbourhoods(office, devices, scratch, failed=failed)
    assert sorted(drawn) == devices[1:]
    assert len(failed) == 1 and failed[0].startswith(f"neighbourhood map of {broken}:")
    with pytest.raises(RenderError, match="Graphviz dot failed"):
        render_neighbourhoods(office, devices, scratch / "strict")  # no failed list: raise
