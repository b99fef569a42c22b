"""The render stage: inventory -> topology -> exports, maps, documentation site.

    inventory/<client>/topology.graphml   for yEd / Gephi (stable bytes)
    inventory/<client>/topology.json      node-link JSON; next run diffs against it
    inventory/<client>/site/              maps and HTML pages (see netdoc.render.site)
    inventory/index.html                  every client

The site is built in a temporary folder and swapped in whole, so a failed
render leaves the previous site as it was.
"""
from __future__ import annotations

import logging
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import networkx as nx

from netdoc.config import Client, Config
from netdoc.errors import NetdocError, StoreError
from netdoc.facts.manual import apply_roles
from netdoc.facts.store import changes_between
from netdoc.fsutil import atomic_write, read_json
from netdoc.gitstore import GitStore, LogEntry
from netdoc.models import Device
from netdoc.app.pipeline import DeviceFailure, StageOutcome
from netdoc.models import Event, EventKind
from netdoc.render.maps import load_pins, render_maps, render_neighbourhoods
from netdoc.render.site import (BackupInfo, DeviceRecord, SiteInput, render_clients_index,
                                render_site)
from netdoc.topology import (build_topology, graph_from_node_link, graphml_text,
                             node_link_text, topology_changes)
from netdoc.textsafe import clamp_device
from netdoc.topology.export import safe_graph

log = logging.getLogger("netdoc.render")
HISTORY_COMMITS = 500


def render_client(config: Config, client: Client) -> StageOutcome:
    folder = config.inventory_dir(client.name)
    ids, devices, records = _inventory(folder)
    if not devices:
        return StageOutcome(stage="render", client=client.name,
                            summary="nothing to render yet: run `netdoc discover` first")
    return render_devices(config, client, devices, ids, records)


def render_devices(config: Config, client: Client, devices: list[Device], ids: list[str],
                   records: dict[str, DeviceRecord]) -> StageOutcome:
    """Everything after reading the inventory (tests and benchmarks call this directly)."""
    folder = config.inventory_dir(client.name)
    timings: dict[str, float] = {}
    started = time.monotonic()
    devices = [clamp_device(device) for device in devices]  # device-supplied text: clean
    devices = apply_roles(devices, folder / "docs")  # role overrides written by hand
    graph = safe_graph(build_topology(devices, client.name, ids=ids))
    timings["topology"] = time.monotonic() - started
    changes = _changes_since_last_run(folder / "topology.json", graph)
    mark = time.monotonic()
    atomic_write(folder / "topology.graphml", graphml_text(graph), mode=0o644)
    atomic_write(folder / "topology.json", node_link_text(graph), mode=0o644)
    timings["export"] = time.monotonic() - mark
    _commit_exports(folder, changes)
    failed: list[str] = []  # maps that failed alone
    site = _build_site(config, client, graph, dict(zip(ids, devices)), records, changes,
                       timings, failed)
    index = render_clients_index(config.output.inventory, sorted(config.clients),
                                 config.output.templates)
    counts: dict[str, int] = defaultdict(int)
    for _, data in graph.nodes(data=True):
        counts[str(data.get("kind"))] += 1
    summary = (f"{counts['device']} network devices, {counts['endpoint']} endpoints, "
               f"{sum(1 for *_, d in graph.edges(data=True) if d.get('kind') == 'l2')} links; "
               + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return StageOutcome(
        stage="render", client=client.name,
        summary=summary + (f"; {len(failed)} map(s) failed" if failed else ""),
        failures=[DeviceFailure(host="-", name=reason.split(":", 1)[0],
                                reason=reason.split(": ", 1)[-1]) for reason in failed],
        changes=[str(c) for c in changes],
        events=[Event(kind=EventKind.ENDPOINT_MOVED if c.kind == "endpoint-moved"
                      else EventKind.LINK_CHANGED,
                      device=c.subject, detail=c.detail or c.kind.replace("-", " "))
                for c in changes],
        outputs={"graphml": str(folder / "topology.graphml"),
                 "topology_json": str(folder / "topology.json"),
                 "site": str(site / "index.html"), "maps": str(site / "maps"),
                 "all_clients": str(index)})


def _commit_exports(folder: Path, changes: list[Any]) -> None:
    """The topology exports are part of the network's history: commit them when they change."""
    if not (folder / ".git").exists():
        return
    from netdoc.inventory.store import InventoryStore

    lines = [f"- {c}" for c in changes]
    message = f"Topology: {len(changes)} change(s)" if changes else "Topology updated"
    InventoryStore(folder).commit_files(["topology.graphml", "topology.json"],
                                        message + ("\n\n" + "\n".join(lines) if lines else ""))


# ---------------------------------------------------------------- inventory

def _inventory(folder: Path) -> tuple[list[str], list[Device], dict[str, DeviceRecord]]:
    from netdoc.inventory.store import InventoryStore

    if not (folder / "devices").is_dir():
        return [], [], {}
    store = InventoryStore(folder)
    found = store.records()
    states: dict[str, Any] = store.state().get("devices", {})
    history = _inventory_history(folder)
    from netdoc.inventory.history import port_history

    ports = port_history(folder)
    records = {}
    # the index says archived (gone discovery.archive_after_runs runs): listed, not counted
    indexed = {d.get("id"): d.get("status") for d in
               (read_json(folder / "index.json", {}) or {}).get("devices", [])}
    for record in found:
        state = states.get(record.id, {})
        records[record.id] = DeviceRecord(
            first_seen=record.first_seen, last_seen=str(state.get("last_seen", "")),
            status="archived" if indexed.get(record.id) == "archived" else
            "missing" if state.get("missing_runs", 0) else "present",
            history=history.get(record.id, []), ports=ports.get(record.id, []))
    return [r.id for r in found], [r.device for r in found], records


def _inventory_history(folder: Path) -> dict[str, list[dict[str, str]]]:
    """record id -> the inventory commits that touched its file, newest first."""
    history: dict[str, list[dict[str, str]]] = defaultdict(list)
    for commit in GitStore(folder).log(HISTORY_COMMITS):
        for path in commit.files:
            if path.startswith("devices/") and path.endswith(".json"):
                record_id = path.rsplit("/", 1)[-1][:-5]
                history[record_id].append({"date": commit.date, "message": commit.subject})
    return history


# ---------------------------------------------------------------- site

def _build_site(config: Config, client: Client, graph: nx.MultiGraph,
                devices: dict[str, Device], records: dict[str, DeviceRecord],
                changes: list[Any], timings: dict[str, float],
                failed: list[str] | None = None) -> Path:
    folder = config.inventory_dir(client.name)
    final, building = folder / "site", folder / ".site.new"
    _remove(building)  # never followed: a planted .site.new symlink is removed, not written
    building.mkdir(mode=0o755)
    try:
        mark = time.monotonic()
        maps = render_maps(graph, building / "maps", load_pins(folder / "pins.yaml"), failed)
        network = [n for n, d in graph.nodes(data=True) if d.get("kind") == "device"
                   and d.get("inventoried")]
        near = render_neighbourhoods(graph, network, building / "devices", failed=failed)
        timings["maps"] = time.monotonic() - mark
        mark = time.monotonic()
        inventory_changes = read_json(folder / "last-changes.json", {}) or {}
        change_lines = [_change_text(c) for c in inventory_changes.get("changes", [])]
        last_run = read_json(folder / "last-run.json", {}) or {}
        # this run's config changes (the runner writes the run so far before rendering)
        change_lines += [f"config changed: {e.get('device', '')}"
                         + (f": {e['detail']}" if e.get("detail") else "")
                         for e in last_run.get("events", [])
                         if e.get("kind") == EventKind.CONFIG_CHANGED]
        data = SiteInput(client=client.name, graph=graph, devices=devices, records=records,
                         backups=_backups(config, client, devices,
                                          {n for n, r in records.items()
                                           if r.status in ("missing", "archived")}),
                         maps=maps,
                         neighbourhoods=near, changes=change_lines + [str(c) for c in changes],
                         last_run=last_run,
                         recent_runs=_recent_runs(folder / "runs"),
                         facts_repository=config.backups_dir(client.name))
        render_site(data, building, config.output.templates)
        timings["site"] = time.monotonic() - mark
        _swap(building, final)
    except (NetdocError, OSError) as exc:
        _remove(building)
        if isinstance(exc, NetdocError):
            raise
        raise StoreError(f"cannot write the site in {building}: {exc}; the previous site "
                         f"is unchanged") from None
    return final


def _swap(building: Path, final: Path) -> None:
    old = final.with_name(".site.old")
    _remove(old)
    if final.is_symlink():
        final.unlink()
    elif final.exists():
        final.rename(old)
    building.rename(final)
    _remove(old)


def _remove(path: Path) -> None:
    """Remove a file, a symlink (never what it points to) or a folder tree."""
    try:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
    except FileNotFoundError:
        pass


def _change_text(change: dict[str, Any]) -> str:
    detail = change.get("detail", "")
    return f"{change.get('kind', '')} {change.get('device', '')}" + (f": {detail}" if detail
                                                                      else "")


def _recent_runs(folder: Path, count: int = 10) -> list[dict[str, Any]]:
    """The latest run reports (written by the runner), newest first, for the client page."""
    runs = []
    for path in sorted(folder.glob("*.json"), reverse=True)[:count]:
        report = read_json(path, {}) or {}
        runs.append({"started": report.get("started", ""), "status": report.get("status", ""),
                     "seconds": report.get("seconds", 0),
                     "stages": ", ".join(s.get("stage", "") for s in report.get("stages", [])),
                     "changes": len(report.get("events", [])),
                     "failures": len(report.get("failures", []))})
    return runs


def _changes_since_last_run(path: Path, graph: nx.MultiGraph) -> list[Any]:
    if not path.is_file():
        return []
    try:
        previous = graph_from_node_link(path.read_text(encoding="utf-8"), str(path))
    except (StoreError, OSError) as exc:
        log.warning("%s; topology changes are not reported this run", exc)
        return []
    return topology_changes(previous, graph)


# ---------------------------------------------------------------- config backups

def _meta_serial(path: Path) -> str:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # a hint only: no serial then
        return ""
    return str(data.get("serial", "")) if isinstance(data, dict) else ""


def _backups(config: Config, client: Client, devices: dict[str, Device],
             missing: set[str] | None = None) -> dict[str, BackupInfo]:
    from netdoc.backup.state import describe_age, load_states, state_dir
    from netdoc.backup.stage import display_text
    from netdoc.backup.secrets import load_mask_key

    repo = config.backups_dir(client.name)
    states = load_states(state_dir(config, client.name))
    # `secrets: keep` keeps secrets in the git store only: the site shows masked texts
    keep_key = load_mask_key(state_dir(config, client.name)) if client.secrets == "keep" \
        else None
    # a backup goes to the same box (serial, name), not to whatever has its IP now
    from netdoc.backup.matching import BackupIdentity, match_backups

    identities = [BackupIdentity(path=s.path, host=s.host, name=s.name,
                                 serial=_meta_serial(repo / f"{s.path}.meta.yaml"))
                  for s in states.values() if s.host]
    matched = match_backups(devices, missing or set(), identities)
    store = GitStore(repo)
    log_by_file: dict[str, list[LogEntry]] = defaultdict(list)
    for commit in store.log(HISTORY_COMMITS):
        for path in commit.files:
            log_by_file[path].append(commit)
    found = {}
    for node, device in devices.items():
        identity = matched.get(node)
        state = states.get(identity.path) if identity is not None else None
        if state is None:
            continue
        age = state.age_hours()
        status = "failed" if state.consecutive_failures else \
            "stale" if state.is_stale(config.backup.max_age_hours) else "ok"
        cfg = repo / f"{state.path}.cfg"
        commits = log_by_file.get(f"{state.path}.cfg", [])
        info = BackupInfo(status=status, last_error=state.last_error, age=describe_age(age),
                          last_success=time.strftime("%Y-%m-%d %H:%M UTC",
                                                     time.gmtime(state.last_success))
                          if state.last_success else "",
                          config_text=display_text(repo, state.path, cfg.read_text(
                              encoding="utf-8", errors="replace"), keep_key)
                          if cfg.is_file() else None,
                          history=[{"date": c.date, "message": c.subject}
                                   for c in commits[:20]])
        if len(commits) > 1 and keep_key is not None:
            from netdoc.backup.stage import display_diff
            from netdoc.backup.store import ConfigRepository

            info.diff = display_diff(ConfigRepository(repo), state.path,
                                     f"{commits[0].hash}~1", commits[0].hash, keep_key,
                                     context=3)
            info.diff_title = f"{commits[0].date}: {commits[0].subject}"
        elif len(commits) > 1:
            info.diff = store.patch(commits[0].hash, f"{state.path}.cfg")
            info.diff_title = f"{commits[0].date}: {commits[0].subject}"
        if len(commits) > 1:  # the same change in plain words (netdoc.facts)
            info.facts_changes = changes_between(repo, state.path, f"{commits[0].hash}~1",
                                                 commits[0].hash)
        found[node] = info
    return found
