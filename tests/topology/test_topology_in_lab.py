"""The topology of the site lab, discovered for real, against the lab's ground truth.

Discovery runs inside the lab's probe namespace (as on a site probe) into a
scratch inventory; the topology is then built from what discovery stored.
"""
from __future__ import annotations

import html
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import networkx as nx
import pytest

from netdoc.topology import build_topology
from netdoc.topology.ports import port_key

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def discovered(lab: Any) -> Iterator[tuple[nx.MultiGraph, dict[str, Any]]]:
    from netdoc.inventory.store import InventoryStore

    truth = lab.ground_truth
    scratch = Path(tempfile.mkdtemp(prefix="netdoc-lab-topology-"))
    try:
        config = scratch / "netdoc.yaml"
        config.write_text(lab.config_path.read_text(encoding="utf-8"), encoding="utf-8")
        done = lab.exec(lab.probe, [sys.executable, "-m", "netdoc.app.cli", "--config", str(config),
                                    "discover"], timeout=600)
        assert done.returncode in (0, 1), done.stderr  # 1: some device failed, run went on
        records = InventoryStore(scratch / "inventory" / truth["client"]).records()
        graph = build_topology([r.device for r in records], truth["client"],
                               ids=[r.id for r in records])
        yield graph, truth | {"_scratch": str(scratch)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def named_ends(graph: nx.MultiGraph, edge: dict[str, Any]) -> dict[str, Any]:
    """An l2 edge with its ends as device names (node ids are inventory record ids)."""
    out = dict(edge)
    for side in "ab":
        node = edge[f"node_{side}"]
        out[f"node_{side}"] = node if node.startswith("hub:") else graph.nodes[node]["name"]
    return out


def name_of(graph: nx.MultiGraph, node: str) -> str:
    return str(graph.nodes[node]["name"]) if node in graph else node


def same_port(a: str, b: str) -> bool:
    return port_key(a) == port_key(b) or port_key(a.replace("-", "/")) == port_key(
        b.replace("-", "/"))


def node_by_mac(graph: nx.MultiGraph, mac: str) -> str:
    for node, data in graph.nodes(data=True):
        if mac.lower() in str(data.get("macs", "")).split(","):
            return str(node)
    return ""


def test_every_cable_of_the_ground_truth_and_no_other(
        discovered: tuple[nx.MultiGraph, dict[str, Any]]) -> None:
    graph, truth = discovered
    managed = {name for name, node in truth["nodes"].items() if node["managed"]}
    found = [named_ends(graph, d) for *_, d in graph.edges(data=True) if d["kind"] == "l2"]
    for link in truth["links"]:
        ends = [link["a"], link["b"]]
        known = [e for e in ends if e["node"] in managed]
        matches = [d for d in found if all(
            any(d[f"node_{s}"] == e["node"] and same_port(d[f"port_{s}"], e["port"])
                for s in "ab") for e in known)]
        if len(known) == 1:  # the other end is an unmanaged switch: an inferred hub
            matches = [d for d in matches if str(d["node_a"]).startswith("hub:")
                       or str(d["node_b"]).startswith("hub:")]
        assert len(matches) == 1, f"cable {link['a']} <-> {link['b']}: found {matches}"
    # an access point announcing itself over LLDP is a network device: its cable is a link
    aps = [e for e in truth["endpoints"] if e["kind"] == "ap"]
    assert len(found) == len(truth["links"]) + len(aps) == 6, found


def test_every_endpoint_is_on_its_true_switch_port(
        discovered: tuple[nx.MultiGraph, dict[str, Any]]) -> None:
    graph, truth = discovered
    scanned = {s["name"] for s in truth["subnets"] if s["scanned"]}
    cables = {(l["b"]["node"]): l["a"] for l in truth["links"]} | \
        {(l["a"]["node"]): l["b"] for l in truth["links"]}
    checked = 0
    for endpoint in truth["endpoints"]:
        if endpoint["subnet"] not in scanned or endpoint["kind"] == "probe":
            continue
        checked += 1
        node = node_by_mac(graph, endpoint["mac"])
        assert node, f"{endpoint['node']} ({endpoint['mac']}) is not in the topology"
        data = graph.nodes[node]
        if endpoint["kind"] == "ap":  # a wireless network device, cabled to its switch port
            assert data["kind"] == "device" and data["role"] == "wireless", data
            [cable] = [named_ends(graph, d) for *_, d in graph.edges(node, data=True)
                       if d["kind"] == "l2"]
            side = "a" if cable["node_a"] == endpoint["switch"] else "b"
            assert cable[f"node_{side}"] == endpoint["switch"], cable
            assert same_port(cable[f"port_{side}"], endpoint["port"]), cable
            continue
        if endpoint["switch_managed"]:
            assert (name_of(graph, data["switch"]), data["via"]) == (endpoint["switch"], ""), \
                endpoint
            assert same_port(data["port"], endpoint["port"]), (data["port"], endpoint)
        else:  # behind the unmanaged switch: on the managed port that switch hangs off
            upstream = cables[endpoint["switch"]]
            assert data["via"].startswith("hub:"), endpoint
            assert name_of(graph, data["switch"]) == upstream["node"], (data, endpoint)
            assert same_port(data["port"], upstream["port"]), (data, endpoint)
    assert checked == len([e for e in truth["endpoints"] if e["subnet"] in scanned
                           and e["kind"] != "probe"]) >= 10


def test_the_router_joins_both_subnets(discovered: tuple[nx.MultiGraph, dict[str, Any]]) -> None:
    graph, truth = discovered
    router_name = next(n for n, node in truth["nodes"].items() if node["role"] == "router")
    [router] = [n for n, d in graph.nodes(data=True) if d.get("name") == router_name]
    subnets = {str(graph.nodes[o]["name"]) for _, o, d in graph.edges(router, data=True)
               if d["kind"] == "l3"}
    scanned = {s["cidr"] for s in truth["subnets"] if s["scanned"]}
    assert scanned <= subnets


def test_the_lab_renders_to_a_map_with_every_network_device(
        discovered: tuple[nx.MultiGraph, dict[str, Any]]) -> None:
    from netdoc.config import load_config
    from netdoc.render.stage import render_client

    _, truth = discovered
    config = load_config(Path(truth["_scratch"]) / "netdoc.yaml")
    outcome = render_client(config, config.client(truth["client"]))
    svg = Path(outcome.outputs["maps"]) / "client-l2.svg"
    text = html.unescape(svg.read_text(encoding="utf-8"))  # Graphviz writes "-" as &#45;
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(svg.with_suffix(".png"), artifacts / "lab-client-l2.png")
    for name, node in truth["nodes"].items():
        if node["managed"] and node["kind"] in ("switch", "router", "firewall"):
            assert f">{name}</text>" in text, name  # node labels (ids are record ids)
