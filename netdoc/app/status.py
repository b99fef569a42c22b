"""`netdoc status [CLIENT]` and `netdoc forget DEVICE`: the probe at a glance, and
taking a device out of the inventory on purpose.

status reads only what runs left behind (run reports, the backup state, the
host-key files, the inventory index); it sends nothing to the network.
"""
from __future__ import annotations

import time
from typing import Any

from netdoc.config import Client, Config
from netdoc.errors import UsageError
from netdoc.fsutil import read_json
from netdoc.textsafe import clean
from netdoc.workspace import Workspace

RUNS_SHOWN = 5


def client_status(config: Config, client: Client, now: float | None = None) -> dict[str, Any]:
    from netdoc.backup.commands import device_paths, hostkey_listing
    from netdoc.backup.hostkeys import HostKeyStore
    from netdoc.backup.state import describe_age, load_states, state_dir
    from netdoc.app.runner import read_run_history

    now = time.time() if now is None else now
    files = Workspace.of(config, client.name)
    reports = read_run_history(files, RUNS_SHOWN).reports  # newest first
    runs = [{"started": report.get("started", ""), "status": report.get("status", ""),
             "trigger": clean(str(report.get("trigger", "") or ""), 300),
             "seconds": report.get("seconds", 0),
             "stages": [s.get("stage", "") for s in report.get("stages", [])],
             "failures": len(report.get("failures", [])),
             "changes": len(report.get("events", []))} for report in reports]
    states = load_states(state_dir(config, client.name))
    stale = [{"device": s.path, "host": s.host, "last_good": describe_age(s.age_hours(now))}
             for s in states.values() if s.is_stale(config.backup.max_age_hours, now)]
    failing = [{"device": s.path, "host": s.host, "failures_in_a_row": s.consecutive_failures,
                "reason": clean(s.last_error, 500)}
               for s in states.values() if s.consecutive_failures > 0]
    keys = hostkey_listing(HostKeyStore(state_dir(config, client.name)), client.name,
                           device_paths(config, client))
    index = read_json(files.index, {}) or {}
    devices = index.get("devices", [])
    counts = {s: sum(1 for d in devices if d.get("status") == s)
              for s in ("present", "missing", "archived")}
    push = central_push(reports)
    # a device's event (the listener) runs one stage for that device: the run a technician
    # asks about ("did last night's run work?") is the newest scheduled or manual one
    at = next((i for i, run in enumerate(runs) if not run["trigger"]), len(runs))
    scheduled = runs[at] if at < len(runs) else None
    newer_events = runs[:at]
    return {
        "client": client.name, "runs": runs,
        "central_push": push,
        "last_run": runs[0] if runs else None,
        "last_scheduled_run": scheduled,
        "devices": counts,
        "backups_stale": sorted(stale, key=lambda d: d["device"]),
        "devices_failing": sorted(failing, key=lambda d: d["device"]),
        "host_keys_pending": keys["pending"], "identities_held": keys["identities_held"],
        "attention": bool(stale or failing or keys["pending"] or keys["identities_held"]
                          or (scheduled is not None and scheduled["status"] != "ok")
                          or any(run["status"] != "ok" for run in newer_events)
                          or any(p["status"] == "failed" for p in push.values())),
    }


def central_push(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per repository, the newest push to the central server among the runs shown
    (newest first), and when that repository last reached it."""
    latest: dict[str, dict[str, Any]] = {}
    for report in reports:
        pushes = report.get("push")
        if not isinstance(pushes, dict):
            continue
        for repo, result in sorted(pushes.items()):
            if not isinstance(result, dict):
                continue
            entry = latest.setdefault(str(repo), {
                "status": clean(str(result.get("status", "")), 20),
                "remote": clean(str(result.get("remote", "")), 300),
                "time": clean(str(result.get("time", "")), 40),
                "commit": clean(str(result.get("commit", "")), 64),
                "reason": clean(str(result.get("reason", "")), 500),
                "last_ok": ""})
            if not entry["last_ok"] and result.get("status") == "ok":
                entry["last_ok"] = clean(str(result.get("time", "")), 40)
    return latest


def status_lines(entry: dict[str, Any]) -> list[str]:
    name = entry["client"]
    last = entry.get("last_scheduled_run")
    newest = entry["last_run"]
    lines = [f"client {name}: {entry['devices']['present']} device(s) present, "
             f"{entry['devices']['missing']} missing; "
             + (f"last run {last['started']} {last['status']}" if last
                else "no scheduled run yet" if newest else "never run")
             + (f"; since then a one-device run {newest['started']} {newest['status']}"
                if newest and newest is not last and newest.get("trigger") else "")]
    for run in entry["runs"]:
        lines.append(f"  run {run['started']}  {run['status']:<12} {run['seconds']:.1f} s  "
                     f"{','.join(run['stages'])}  {run['changes']} change(s), "
                     f"{run['failures']} failure(s)"
                     + (f"  [{run['trigger']}]" if run.get("trigger") else ""))
    for item in entry["devices_failing"]:
        lines.append(f"  FAILING {item['device']} ({item['host']}): {item['failures_in_a_row']} "
                     f"run(s) in a row: {item['reason']}")
    for item in entry["backups_stale"]:
        lines.append(f"  STALE backup {item['device']} ({item['host']}): last good "
                     f"{item['last_good']}")
    for item in entry["host_keys_pending"]:
        lines.append(f"  HOST KEY waits {item['entry']} {item['fingerprint']}: {item['accept']}")
    for item in entry["identities_held"]:
        lines.append(f"  IDENTITY held {item['entry']} ({item['reason']}): {item['accept']}")
    for repo, push in sorted(entry.get("central_push", {}).items()):
        state = "PUSH FAILED" if push["status"] == "failed" else "pushed" \
            if push["status"] == "ok" else "push skipped"
        line = f"  {state} {repo} -> {push['remote']} at {push['time']}"
        if push["status"] == "failed":
            line += f" (last reached {push['last_ok'] or 'never'})"
        if push["reason"]:
            line += f": {push['reason']}"
        lines.append(line)
    if not entry["attention"]:
        lines.append("  nothing needs attention")
    return lines


# ---------------------------------------------------------------- forget

def forget_device(config: Config, clients: list[Client], text: str) -> dict[str, Any]:
    """Remove one device from its client's inventory, in a commit that says so.

    The device's config history stays in the backup repository (git keeps it); a
    device still on the network is found again by the next discovery.
    """
    from netdoc.inventory.store import InventoryStore, display_name
    from netdoc.app.runner import client_lock

    wanted = text.strip().lower()
    found = []
    for client in clients:
        store = InventoryStore(config.inventory_dir(client.name))
        for record in store.records():
            device = record.device
            keys = {record.id.lower(), (device.mgmt_ip or "").lower(),
                    display_name(device).lower(), (device.hostname or "").lower()}
            if wanted in keys:
                found.append((client, record))
    if not found:
        raise UsageError(f"no device {text!r} in the inventory of "
                         f"{', '.join(c.name for c in clients)}; give its name, IP or id "
                         f"(see inventory/CLIENT/index.json)")
    if len(found) > 1:
        raise UsageError(f"{text!r} matches {len(found)} devices ("
                         + ", ".join(f"{c.name}/{r.id}" for c, r in found)
                         + "); give the device id, and --client NAME")
    client, record = found[0]
    folder = config.inventory_dir(client.name)
    name = display_name(record.device)
    with client_lock(folder, config.run.lock_wait):
        commit = InventoryStore(folder).forget(
            record.id, f"forgotten by a technician (netdoc forget {text})",
            config.discovery.missing_after_runs, config.discovery.archive_after_runs)
    return {"client": client.name, "id": record.id, "device": name, "ip": record.device.mgmt_ip,
            "commit": commit, "config_history": str(config.backups_dir(client.name))}
