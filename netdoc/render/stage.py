"""The render stage: the topology stage's result -> maps, documentation site.

    inventory/<client>/site/              maps and HTML pages (see netdoc.render.site)
    inventory/index.html                  every client

Its inputs are the other stages' published results, read through their readers:
the inventory snapshot (netdoc.inventory.store.read_snapshot), the topology
(netdoc.topology.stage, run first: graph, exports, changes), the run history
(netdoc.app.runner.read_run_history) and the config backups.

The site is built in a temporary folder and swapped in whole, so a failed
render leaves the previous site as it was.
"""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from netdoc.config import Client, Config
from netdoc.errors import NetdocError, StoreError
from netdoc.app.pipeline import DeviceFailure, StageOutcome
from netdoc.app.runner import read_run_history
from netdoc.inventory.history import port_history
from netdoc.inventory.store import read_snapshot
from netdoc.models import Device, EventKind
from netdoc.render.maps import load_pins, render_maps, render_neighbourhoods
from netdoc.render.site import (BackupInfo, DeviceRecord, SiteInput, render_clients_index,
                                render_site)
from netdoc.topology.stage import TopologyResult, build_client_topology
from netdoc.workspace import SITE_OLD, Workspace

log = logging.getLogger("netdoc.render")
HISTORY_COMMITS = 500


def render_client(config: Config, client: Client) -> StageOutcome:
    files = Workspace.of(config, client.name)
    snapshot = read_snapshot(files, history_commits=HISTORY_COMMITS)  # the inventory's result
    if not snapshot.entries:
        return StageOutcome(stage="render", client=client.name,
                            summary="nothing to render yet: run `netdoc discover` first")
    ports = port_history(files.inventory)
    records = {e.id: DeviceRecord(first_seen=e.first_seen, last_seen=e.last_seen,
                                  status=e.status, history=e.history,
                                  ports=ports.get(e.id, []))
               for e in snapshot.entries}
    return render_devices(config, client, snapshot.devices, snapshot.ids, records,
                          inventory_changes=snapshot.changes)


def render_devices(config: Config, client: Client, devices: list[Device], ids: list[str],
                   records: dict[str, DeviceRecord],
                   inventory_changes: list[dict[str, str]] | None = None) -> StageOutcome:
    """Everything after reading the inventory (tests and benchmarks call this directly):
    the topology stage's result, drawn."""
    files = Workspace.of(config, client.name)
    if inventory_changes is None:
        inventory_changes = read_snapshot(files, history=False).changes
    topology = build_client_topology(files, ids, devices)
    timings = dict(topology.timings)
    failed: list[str] = []  # maps that failed alone
    site = _build_site(config, client, files, topology, records, inventory_changes,
                       timings, failed)
    index = render_clients_index(files.all_clients, sorted(config.clients),
                                 config.output.templates)
    counts = topology.counts()
    summary = (f"{counts['device']} network devices, {counts['endpoint']} endpoints, "
               f"{counts['l2']} links; "
               + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return StageOutcome(
        stage="render", client=client.name,
        summary=summary + (f"; {len(failed)} map(s) failed" if failed else ""),
        failures=[DeviceFailure(host="-", name=reason.split(":", 1)[0],
                                reason=reason.split(": ", 1)[-1]) for reason in failed],
        changes=[str(c) for c in topology.changes],
        events=topology.events,
        outputs={**topology.outputs,
                 "site": str(site / "index.html"), "maps": str(site / "maps"),
                 "all_clients": str(index)})


# ---------------------------------------------------------------- site

def _build_site(config: Config, client: Client, files: Workspace, topology: TopologyResult,
                records: dict[str, DeviceRecord], inventory_changes: list[dict[str, str]],
                timings: dict[str, float], failed: list[str] | None = None) -> Path:
    graph, devices, changes = topology.graph, topology.devices, topology.changes
    final, building = files.site, files.site_building
    _remove(building)  # never followed: a planted .site.new symlink is removed, not written
    building.mkdir(mode=0o755)
    try:
        mark = time.monotonic()
        maps = render_maps(graph, building / "maps", load_pins(files.pins), failed)
        network = [n for n, d in graph.nodes(data=True) if d.get("kind") == "device"
                   and d.get("inventoried")]
        near = render_neighbourhoods(graph, network, building / "devices", failed=failed)
        timings["maps"] = time.monotonic() - mark
        mark = time.monotonic()
        change_lines = [_change_text(c) for c in inventory_changes]
        runs = read_run_history(files)  # the runner's result
        last_run = runs.last
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
                         recent_runs=runs.recent,
                         facts_repository=files.configs)
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
    old = final.with_name(SITE_OLD)
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


def _change_text(change: dict[str, str]) -> str:
    detail = change.get("detail", "")
    return f"{change.get('kind', '')} {change.get('device', '')}" + (f": {detail}" if detail
                                                                      else "")


# ---------------------------------------------------------------- config backups

def _backups(config: Config, client: Client, devices: dict[str, Device],
             missing: set[str] | None = None) -> dict[str, BackupInfo]:
    """node -> its backup, from the backup stage's summary (netdoc.backup.summary).
    A backup goes to the same box (serial, name), not to whatever has its IP now."""
    from netdoc.backup.matching import match_backups
    from netdoc.backup.summary import HISTORY_SHOWN, read_backup_summary

    summary = read_backup_summary(config, client)
    matched = match_backups(devices, missing or set(), summary.identities())
    found = {}
    for node in devices:
        identity = matched.get(node)
        entry = summary.entries.get(identity.path) if identity is not None else None
        if entry is None:
            continue
        details = summary.details(entry.path)
        found[node] = BackupInfo(status=entry.status, last_error=entry.last_error,
                                 age=entry.age, last_success=entry.last_success,
                                 config_text=details.config_text, diff=details.diff,
                                 diff_title=details.diff_title,
                                 facts_changes=details.facts_changes,
                                 history=[{"date": c.date, "message": c.subject}
                                          for c in entry.history[:HISTORY_SHOWN]])
    return found
