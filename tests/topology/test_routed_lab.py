"""Topology truth in the routed lab (netdoc/lab/routed.yaml), discovered for real.

The lab has what a default lab lacks: a routed subnet with its own managed switch
full of quiet hosts (they send nothing until asked), a host that drops ICMP, one
that answers nothing but ARP, servers announcing LLDP (one with another NIC's MAC
as chassis ID), two VLANs on a trunk and a router-on-a-stick. Every endpoint that
answers anything must be on its true port, no box may appear twice, VLANs must
match per port and per site, and port names keep their '/'.
"""
from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import networkx as nx
import pytest

from support.lab_fixtures import own_lab

pytestmark = pytest.mark.lab


@dataclass
class Run:
    graph: nx.MultiGraph
    truth: dict[str, Any]
    config: Path
    inventory: Path
    seconds: str


@pytest.fixture(scope="module")
def routed() -> Iterator[Any]:
    with own_lab("routed", "r") as lab:
        yield lab


def discover(lab: Any, config: Path) -> None:
    done = lab.exec(lab.probe, [sys.executable, "-m", "netdoc.app.cli", "--config", str(config),
                                "discover"], timeout=600)
    assert done.returncode in (0, 1), done.stderr  # 1: a device failed, the run went on


def topology(inventory: Path) -> nx.MultiGraph:
    from netdoc.inventory.store import InventoryStore
    from netdoc.topology import build_topology

    records = InventoryStore(inventory).records()
    return build_topology([r.device for r in records], "lab", ids=[r.id for r in records])


@pytest.fixture(scope="module")
def first(routed: Any) -> Iterator[Run]:
    scratch = Path(tempfile.mkdtemp(prefix="netdoc-routed-lab-"))
    try:
        config = scratch / "netdoc.yaml"
        config.write_text(routed.config_path.read_text(encoding="utf-8"), encoding="utf-8")
        discover(routed, config)
        inventory = scratch / "inventory" / routed.ground_truth["client"]
        report = json.loads((inventory / "last-run.json").read_text(encoding="utf-8"))
        yield Run(topology(inventory), routed.ground_truth, config, inventory,
                  str(report.get("seconds", "")))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def nodes_with_mac(graph: nx.MultiGraph, mac: str) -> list[str]:
    return [n for n, d in graph.nodes(data=True) if mac in str(d.get("macs", "")).split(",")]


def test_every_endpoint_that_answers_anything_is_on_its_true_port(first: Run) -> None:
    graph, truth = first.graph, first.truth
    wrong = []
    for endpoint in truth["endpoints"]:
        [node] = nodes_with_mac(graph, endpoint["mac"])
        data = graph.nodes[node]
        switch = graph.nodes[data["switch"]]["name"] if data["switch"] in graph else ""
        if (switch, data["port"], data["via"]) != (endpoint["switch"], endpoint["port_name"], ""):
            wrong.append((endpoint["node"], switch, data["port"]))
    assert wrong == []
    # the hard ones are there: quiet hosts of the routed subnet, ICMP-dropping, ARP-only
    hard = [e for e in truth["endpoints"] if e["quiet"] or e["drop"]]
    assert len(hard) >= 7 and {e["drop"] for e in hard} >= {"icmp", "all"}


def test_no_box_appears_twice(first: Run) -> None:
    from netdoc.inventory.store import InventoryStore

    graph, truth = first.graph, first.truth
    endpoints = [n for n, d in graph.nodes(data=True) if d["kind"] == "endpoint"]
    assert len(endpoints) == len(truth["endpoints"])
    assert not [n for n in graph if str(n).startswith(("lldp:", "mac:"))]
    records = InventoryStore(first.inventory).records()
    macs = [r.device.base_mac for r in records if r.device.base_mac]
    assert len(macs) == len(set(macs))
    by_mac = {r.device.base_mac: r.device for r in records}
    for server in (e for e in truth["endpoints"] if e["announces_lldp"]):
        device = by_mac[server["mac"]]
        assert device.role == "server", server["node"]
        assert device.hostname.split(".")[0] == server["node"]
        assert any("LLDP neighbour" in why for why in device.merged_because), device


def test_vlans_per_port_per_site_and_on_the_trunk(first: Run) -> None:
    from netdoc.inventory.store import InventoryStore

    truth = first.truth
    records = {r.device.hostname: r.device for r in InventoryStore(first.inventory).records()}
    checked = 0
    for name, node in truth["nodes"].items():
        if node["kind"] != "switch" or not node["managed"]:
            continue
        device = records[name]
        assert device.vlans == truth["vlans"], name
        ports = {i.name: i for i in device.interfaces}
        for interface in node["interfaces"]:
            if "vlan_mode" not in interface:
                continue
            found = ports[interface["ifname"]]
            allowed = ",".join(map(str, interface["allowed_vlans"])) \
                if interface["vlan_mode"] == "trunk" else ""
            assert (found.vlan_mode, found.vlan, found.allowed_vlans) == \
                (interface["vlan_mode"], interface["vlan"], allowed), (name, interface["ifname"])
            checked += 1
    assert checked >= 15
    trunks = [d for *_, d in first.graph.edges(data=True) if d.get("vlan_mode") == "trunk"]
    assert trunks and all(d["vlans"] == "1,20" for d in trunks)
    for endpoint in truth["endpoints"]:
        [node] = nodes_with_mac(first.graph, endpoint["mac"])
        assert first.graph.nodes[node]["vlan"] == endpoint["vlan"], endpoint["node"]


def test_the_site_shows_vlans_and_port_names_as_the_device_writes_them(first: Run) -> None:
    from netdoc.config import load_config
    from netdoc.render.stage import render_client

    config = load_config(first.config)
    outcome = render_client(config, config.client(first.truth["client"]))
    site = Path(outcome.outputs["site"]).parent
    index = site.joinpath("index.html").read_text(encoding="utf-8")
    assert "<td>voice</td>" in index and "<td>default</td>" in index
    svg = html.unescape((site / "maps" / "client-l2.svg").read_text(encoding="utf-8"))
    assert "Gi1/0/25" in svg and "trunk 1,20" in svg and "VLAN 20 voice" in svg
    assert "Gi1-0-" not in svg
    drawio = html.unescape((site / "maps" / "client-l2.drawio").read_text(encoding="utf-8"))
    assert "Gi1/0/25" in drawio and "Gi1-0-" not in drawio
    graphml = (first.inventory / "topology.graphml").read_text(encoding="utf-8")
    assert "Gi1/0/25" in graphml and "Gi1-0-" not in graphml


def test_an_unplugged_pc_is_found_where_it_was_last(routed: Any, first: Run) -> None:
    """Runs last: it changes the lab."""
    history = json.loads((first.inventory / "port-history.json").read_text(encoding="utf-8"))
    pc = next(e for e in first.truth["endpoints"] if e["node"] == "bpc-03")
    first_seen = next(p["last_seen"] for entry in history["endpoints"].values()
                      if entry["mac"] == pc["mac"] for p in entry["ports"])
    routed.exec(pc["switch"], ["ip", "link", "del", pc["port"]], check=True)  # cable pulled
    discover(routed, first.config)
    done = subprocess.run([sys.executable, "-m", "netdoc.app.cli", "--config", str(first.config),
                           "where", pc["mac"], "--json"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    [match] = json.loads(done.stdout)["matches"]
    assert match["plugged_in_now"] is False
    assert (match["port"]["switch_name"], match["port"]["port"], match["port"]["last_seen"]) == \
        (pc["switch"], pc["port_name"], first_seen)
    text = subprocess.run([sys.executable, "-m", "netdoc.app.cli", "--config", str(first.config),
                           "where", "bpc-03"], capture_output=True, text=True, timeout=60).stdout
    assert f"last: {pc['switch']} {pc['port_name']}" in text and first_seen in text
