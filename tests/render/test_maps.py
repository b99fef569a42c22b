"""Graphviz maps: what they must show, in every format, the same bytes every run."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from netdoc.render import RenderError
from netdoc.render.maps import load_pins, render_maps, render_neighbourhoods, run_graphviz
from netdoc.render.dot import MapOptions, layer2_dot
from netdoc.topology import build_topology

from conftest import office_devices  # type: ignore[import-not-found]

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def office() -> nx.MultiGraph:
    return build_topology(office_devices(), client="acme")


def svg_nodes_and_edges(path: Path) -> tuple[set[str], set[frozenset[str]]]:
    """Graphviz writes each node and edge as <g class=node|edge><title>id</title>;
    edges come back as {end, end} (which end is drawn on top is the layout's choice)."""
    root = ET.parse(path).getroot()
    found: dict[str, set[str]] = {"node": set(), "edge": set()}
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class")
        if kind in found:
            found[kind].add(group.find(f"{SVG}title").text or "")  # type: ignore[union-attr]
    return found["node"], {frozenset(title.split("--")) for title in found["edge"]}


def cables(*pairs: str) -> set[frozenset[str]]:
    return {frozenset(pair.split("--")) for pair in pairs}


def svg_text(path: Path) -> str:
    return " ".join(t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text"))


def test_layer2_map_has_every_device_cable_and_endpoint_table(office: nx.MultiGraph,
                                                              scratch: Path) -> None:
    maps = {m.name: m for m in render_maps(office, scratch)}
    nodes, edges = svg_nodes_and_edges(maps["site-hq-l2"].svg)
    assert {"core", "acc1", "acc2", "acc3", "rtr1"} <= nodes
    assert {"endpoints:acc1", "endpoints:acc2", "endpoints:acc3", "endpoints:rtr1",
            "legend"} <= nodes
    # hubs with only endpoints behind them are folded into their switch's table
    assert "hub:acc2:Gi0/5" not in nodes and "hub:rtr1:Gi0/1" not in nodes
    assert cables("core--acc1", "core--acc2", "core--acc3", "rtr1--core") <= edges
    text = svg_text(maps["site-hq-l2"].svg)
    for label in ("Gi0/24", "Fa0/1", "pc1", "printer1", "hub: 3 endpoints", "hub: b1, b2",
                  "Legend"):
        assert label in text


def test_client_map_clusters_sites_and_draws_the_wan_link(office: nx.MultiGraph,
                                                           scratch: Path) -> None:
    maps = {m.name: m for m in render_maps(office, scratch)}
    assert set(maps) == {"client-l2", "client-l3", "site-hq-l2", "site-hq-l3",
                         "site-branch-l2", "site-branch-l3"}
    nodes, edges = svg_nodes_and_edges(maps["client-l2"].svg)
    assert {"cluster_site_hq", "cluster_site_branch"} <= {
        g.find(f"{SVG}title").text for g in ET.parse(maps["client-l2"].svg).getroot().iter(f"{SVG}g")
        if g.get("class") == "cluster"}
    assert cables("rtr1--rtr2") <= edges
    assert "WAN 203.0.113.0/30" in svg_text(maps["client-l2"].svg)


def test_layer3_map_shows_subnets_and_the_routers_joining_them(office: nx.MultiGraph,
                                                                scratch: Path) -> None:
    maps = {m.name: m for m in render_maps(office, scratch)}
    nodes, edges = svg_nodes_and_edges(maps["client-l3"].svg)
    assert {"rtr1", "rtr2", "subnet:192.0.2.0/24", "subnet:198.51.100.0/24",
            "subnet:203.0.113.0/30", "subnet:203.0.113.64/26"} <= nodes
    assert "core" not in nodes  # switches are hosts in their subnet, not drawn
    assert cables("rtr1--subnet:192.0.2.0/24", "rtr1--subnet:198.51.100.0/24") <= edges
    assert "2 hosts" in svg_text(maps["client-l3"].svg)  # b1, b2 on 198.51.100.0/24


def test_png_and_drawio_come_from_the_same_layout(office: nx.MultiGraph, scratch: Path) -> None:
    [hq] = [m for m in render_maps(office, scratch) if m.name == "site-hq-l2"]
    assert hq.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    root = ET.parse(hq.drawio).getroot()
    assert root.tag == "mxfile"
    cells = {c.get("id"): c for c in root.iter("mxCell")}
    vertices = {c.get("value", "") for c in cells.values() if c.get("vertex") == "1"}
    assert any(v.startswith("core") for v in vertices)
    links = [(c.get("source"), c.get("target"), c.get("value")) for c in cells.values()
             if c.get("edge") == "1"]
    assert ("n-core", "n-acc1", "Gi0/1 — Gi0/24") in links
    for cell in cells.values():  # every edge joins two vertices that exist
        if cell.get("edge") == "1":
            assert cell.get("source") in cells and cell.get("target") in cells


def test_same_network_gives_the_same_bytes(office: nx.MultiGraph, scratch: Path) -> None:
    first = render_maps(office, scratch / "a")
    second = render_maps(office, scratch / "b")
    for one, two in zip(first, second):
        for attr in ("svg", "png", "drawio"):
            assert getattr(one, attr).read_bytes() == getattr(two, attr).read_bytes(), \
                f"{one.name}.{attr}"


def test_pinned_positions_are_respected(office: nx.MultiGraph, scratch: Path) -> None:
    pins_file = scratch / "pins.yaml"
    pins_file.write_text("site-hq-l2:\n  core: [100, 700]\n  acc1: [400, 200]\n",
                         encoding="utf-8")
    maps = {m.name: m for m in render_maps(office, scratch / "maps", load_pins(pins_file))}
    assert maps["site-hq-l2"].engine == "neato"
    positions = (scratch / "maps" / "site-hq-l2.positions.yaml").read_text(encoding="utf-8")
    offset = _offset(positions)
    assert f'"core": [{100 + offset[0]:g}, {700 + offset[1]:g}]' in positions
    assert f'"acc1": [{400 + offset[0]:g}, {200 + offset[1]:g}]' in positions
    assert maps["client-l2"].engine == "dot"  # pins are per map


def _offset(positions: str) -> tuple[float, float]:
    """neato translates the drawing so it starts at the margin; pins keep their distances."""
    lines = {line.split(":")[0].strip('"'): json.loads(line.split(": ", 1)[1])
             for line in positions.splitlines() if line.startswith('"')}
    return lines["core"][0] - 100, lines["core"][1] - 700


def test_a_broken_pin_file_names_the_entry(scratch: Path) -> None:
    pins_file = scratch / "pins.yaml"
    pins_file.write_text("site-hq-l2:\n  core: [100]\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"site-hq-l2\.core: expected \[x, y\]"):
        load_pins(pins_file)


def test_neighbourhood_view_of_a_device(office: nx.MultiGraph, scratch: Path) -> None:
    views = render_neighbourhoods(office, ["acc2"], scratch)
    nodes, edges = svg_nodes_and_edges(views["acc2"])
    assert {"acc2", "core", "endpoints:acc2"} <= nodes
    assert "acc1" not in nodes and "rtr1" not in nodes  # two hops away
    assert cables("core--acc2") <= edges


def test_graphviz_failure_is_a_render_error(scratch: Path) -> None:
    with pytest.raises(RenderError, match="Graphviz dot failed"):
        run_graphviz("graph { this is not dot", "dot", {"svg": scratch / "x.svg"})


def test_large_maps_switch_to_counts(office: nx.MultiGraph) -> None:
    detailed = layer2_dot(office, MapOptions(title="t"))
    overview = layer2_dot(office, MapOptions(title="t", overview=True))
    assert "endpoints:acc1" in detailed and "endpoints:acc1" not in overview
    assert "4 endpoints" in overview  # acc1: pc1, pc2, the phone, pc6, counted on its label
