"""The topology stage: inventory snapshot -> graph, exports, changes.

    inventory/<client>/topology.graphml   for yEd / Gephi (stable bytes)
    inventory/<client>/topology.json      node-link JSON; the next run diffs against it

Input is the inventory stage's result (netdoc.models.InventorySnapshot, read with
netdoc.inventory.store.read_snapshot); output is a TopologyResult for the render
stage, which draws it and never builds a graph itself. The exports are part of the
network's history: they are committed to the inventory repository when they change.
`read_topology` is the reader for anyone who wants the last published graph.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import networkx as nx

from netdoc.app.pipeline import StageOutcome
from netdoc.config import Client, Config
from netdoc.errors import StoreError
from netdoc.facts.manual import apply_roles
from netdoc.fsutil import atomic_write
from netdoc.models import Device, Event, EventKind, InventorySnapshot
from netdoc.textsafe import clamp_device
from netdoc.topology.changes import TopologyChange, topology_changes
from netdoc.topology.export import graph_from_node_link, graphml_text, node_link_text, safe_graph
from netdoc.topology.graph import build_topology
from netdoc.workspace import TOPOLOGY_GRAPHML, TOPOLOGY_JSON, Workspace

log = logging.getLogger("netdoc.topology")


@dataclass
class TopologyResult:
    """What the topology stage hands to the render stage."""

    client: str
    graph: nx.MultiGraph[str]
    devices: dict[str, Device]          # node id -> the device as placed (role overrides on)
    changes: list[TopologyChange] = field(default_factory=list)  # since the last run
    commit: str = ""                    # the inventory commit of the exports, "" unchanged
    timings: dict[str, float] = field(default_factory=dict)  # topology, export (seconds)
    outputs: dict[str, str] = field(default_factory=dict)    # graphml, topology_json

    @property
    def events(self) -> list[Event]:
        return [Event(EventKind.ENDPOINT_MOVED if c.kind == "endpoint-moved"
                      else EventKind.LINK_CHANGED,
                      c.subject, c.detail or c.kind.replace("-", " ")) for c in self.changes]

    def counts(self) -> dict[str, int]:
        """network devices, endpoints and cables (l2 links) on the graph."""
        found = {"device": 0, "endpoint": 0, "l2": 0}
        for _, data in self.graph.nodes(data=True):
            kind = str(data.get("kind"))
            found[kind] = found.get(kind, 0) + 1
        found["l2"] = sum(1 for *_, d in self.graph.edges(data=True) if d.get("kind") == "l2")
        return found


def build_client_topology(files: Workspace, ids: list[str],
                          devices: list[Device]) -> TopologyResult:
    """Build the graph of the devices (node ids `ids`), write and commit the exports,
    and say what changed since the exports of the last run."""
    started = time.monotonic()
    devices = [clamp_device(device) for device in devices]  # device-supplied text: clean
    devices = apply_roles(devices, files.docs)  # role overrides written by hand
    graph = safe_graph(build_topology(devices, files.client, ids=ids))
    result = TopologyResult(client=files.client, graph=graph, devices=dict(zip(ids, devices)))
    result.timings["topology"] = time.monotonic() - started
    result.changes = _changes_since_last_run(files, graph)
    mark = time.monotonic()
    atomic_write(files.topology_graphml, graphml_text(graph), mode=0o644)
    atomic_write(files.topology_json, node_link_text(graph), mode=0o644)
    result.timings["export"] = time.monotonic() - mark
    result.commit = _commit_exports(files, result.changes)
    result.outputs = {"graphml": str(files.topology_graphml),
                      "topology_json": str(files.topology_json)}
    return result


def topology_from_snapshot(files: Workspace, snapshot: InventorySnapshot) -> TopologyResult:
    return build_client_topology(files, snapshot.ids, snapshot.devices)


def topology_client(config: Config, client: Client) -> StageOutcome:
    """The topology stage on its own (`pipeline.STAGES["topology"]`): the render stage
    runs it first, so a normal cycle never needs it separately."""
    from netdoc.inventory.store import read_snapshot

    files = Workspace.of(config, client.name)
    snapshot = read_snapshot(files, history=False)
    if not snapshot.entries:
        return StageOutcome(stage="topology", client=client.name,
                            summary="no inventory yet: run `netdoc discover` first")
    result = topology_from_snapshot(files, snapshot)
    counts = result.counts()
    return StageOutcome(stage="topology", client=client.name,
                        summary=f"{counts['device']} network devices, {counts['endpoint']} "
                                f"endpoints, {counts['l2']} links",
                        changes=[str(c) for c in result.changes], events=result.events,
                        outputs=result.outputs)


def read_topology(files: Workspace) -> nx.MultiGraph[str] | None:
    """The graph the topology stage published last (topology.json), None when there is
    none; a damaged file raises StoreError naming it."""
    path = files.topology_json
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    return graph_from_node_link(text, str(path))


def _changes_since_last_run(files: Workspace, graph: nx.MultiGraph[str]) -> list[TopologyChange]:
    try:
        previous = read_topology(files)
    except StoreError as exc:
        log.warning("%s; topology changes are not reported this run", exc)
        return []
    return topology_changes(previous, graph) if previous is not None else []


def _commit_exports(files: Workspace, changes: list[TopologyChange]) -> str:
    """The exports are part of the network's history: commit them when they change."""
    from netdoc.inventory.store import InventoryStore

    store = InventoryStore(files.inventory)
    if not store.git.exists():
        return ""
    lines = [f"- {c}" for c in changes]
    message = f"Topology: {len(changes)} change(s)" if changes else "Topology updated"
    return store.commit_files(
        [TOPOLOGY_GRAPHML, TOPOLOGY_JSON], message + ("\n\n" + "\n".join(lines) if lines else ""))
