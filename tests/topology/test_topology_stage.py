"""The topology stage: the inventory snapshot in, the graph, its committed exports and
its changes out; the render stage draws that result and builds no graph itself."""
from __future__ import annotations

from pathlib import Path

import git

from netdoc.inventory.store import InventoryStore, read_snapshot
from netdoc.models import Device, EventKind, FdbEntry
from netdoc.topology.stage import read_topology, topology_from_snapshot
from netdoc.workspace import Workspace


def inventory_of(tmp_path: Path, devices: list[Device]) -> Workspace:
    files = Workspace.of_inventory(tmp_path / "inventory" / "acme")
    InventoryStore(files.inventory).update(devices, set(), missing_after=3)
    return files


def test_the_snapshot_is_what_the_inventory_holds(tmp_path: Path,
                                                   office: list[Device]) -> None:
    files = inventory_of(tmp_path, office)
    snapshot = read_snapshot(files)
    assert snapshot.client == "acme" and len(snapshot.entries) == len(office)
    assert {e.status for e in snapshot.entries} == {"present"}
    assert all(e.first_seen and e.last_seen and e.history for e in snapshot.entries)
    assert {c["kind"] for c in snapshot.changes} == {"new"}
    assert read_snapshot(Workspace.of_inventory(tmp_path / "none")).entries == []


def test_exports_are_written_committed_once_and_read_back(tmp_path: Path,
                                                          office: list[Device]) -> None:
    files = inventory_of(tmp_path, office)
    first = topology_from_snapshot(files, read_snapshot(files))
    assert first.commit and first.changes == []
    assert files.topology_graphml.is_file() and files.topology_json.is_file()
    repo = git.Repo(files.inventory)
    assert repo.head.commit.hexsha == first.commit
    assert str(repo.head.commit.message).startswith("Topology updated")
    assert set(repo.head.commit.stats.files) == {"topology.graphml", "topology.json"}
    counts = first.counts()
    assert counts["device"] > 0 and counts["l2"] > 0
    back = read_topology(files)
    assert back is not None and set(back.nodes) == set(first.graph.nodes)
    again = topology_from_snapshot(files, read_snapshot(files))
    assert again.commit == "" and again.changes == []  # same network: no new commit


def test_a_moved_endpoint_is_a_change_and_an_event(tmp_path: Path,
                                                    office: list[Device]) -> None:
    files = inventory_of(tmp_path, office)
    topology_from_snapshot(files, read_snapshot(files))
    acc1 = next(d for d in office if d.hostname == "acc1")
    pc1_mac = next(d for d in office if d.hostname == "pc1").base_mac
    acc1.fdb = [FdbEntry(e.mac, "Fa0/9" if e.mac == pc1_mac else e.port, e.vlan)
                for e in acc1.fdb]
    InventoryStore(files.inventory).update(office, set(), missing_after=3)
    result = topology_from_snapshot(files, read_snapshot(files))
    assert [str(c) for c in result.changes] == ["endpoint moved: pc1 (acc1 Fa0/1 -> acc1 Fa0/9)"]
    assert [(e.kind, e.device) for e in result.events] == [(EventKind.ENDPOINT_MOVED, "pc1")]
    assert str(git.Repo(files.inventory).head.commit.message).startswith("Topology: ")


def test_a_damaged_export_is_no_change_and_is_replaced(tmp_path: Path,
                                                       office: list[Device]) -> None:
    files = inventory_of(tmp_path, office)
    files.topology_json.write_text("{not json", encoding="utf-8")
    result = topology_from_snapshot(files, read_snapshot(files))
    assert result.changes == []
    assert read_topology(files) is not None
