"""Metrics and health for a NOC: a Prometheus text exposition and a monitoring check.

`netdoc metrics [--output FILE]` prints (or atomically writes, for node_exporter's
textfile collector) one snapshot read from what the runs already keep:

    inventory/<client>/last-run.json, runs/*.json   the run reports (runner.py)
    inventory/<client>/index.json                    devices present / missing
    config_backups/.netdoc-state/<client>/backup-state.json   per-device backups
    config_backups/.netdoc-state/<client>/listen-events.json  events `netdoc listen` heard

Nothing here talks to a device or takes a client's lock: reading is safe while a
run is writing, because every one of those files is replaced atomically.

`netdoc health` exits 1 when a client's configuration backups are older than
`health: {max_backup_age: 26h}` (default: backup.max_age_hours), for a Nagios,
Icinga or Zabbix style check.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from netdoc.config import Client, Config
from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write, read_json
from netdoc.workspace import LISTEN_UNKNOWN, Workspace, backup_state_root

LABEL_LIMIT = 200  # characters of one label value (device names are the sender's text)
RUN_STATUSES = ("ok", "failures", "locked", "terminated", "error")

# name -> (type, help). Every family is always declared, so dashboards see the
# series even before the first run.
FAMILIES: dict[str, tuple[str, str]] = {
    "netdoc_metrics_generated_timestamp_seconds":
        ("gauge", "When this snapshot was taken (unix time)."),
    "netdoc_client_info": ("gauge", "One series per configured client (always 1)."),
    "netdoc_last_run_timestamp_seconds":
        ("gauge", "When the client's latest run finished (unix time)."),
    "netdoc_last_run_status":
        ("gauge", "1 for the status of the client's latest run, 0 for the others."),
    "netdoc_last_run_duration_seconds": ("gauge", "Wall time of the client's latest run."),
    "netdoc_last_successful_run_timestamp_seconds":
        ("gauge", "When the client's latest run with status ok finished (unix time)."),
    "netdoc_stage_duration_seconds":
        ("gauge", "Wall time of each stage in the client's latest run."),
    "netdoc_stage_failures": ("gauge", "Devices that failed in each stage of the latest run."),
    "netdoc_last_backup_timestamp_seconds":
        ("gauge", "The newest successful configuration backup of any device (unix time)."),
    "netdoc_devices": ("gauge", "Devices per state: up (inventoried, present), gone "
                                "(inventoried, missing), failing (last backup attempt failed)."),
    "netdoc_backup_age_seconds":
        ("gauge", "Age of each device's last good backup; +Inf when it never had one."),
    "netdoc_backup_consecutive_failures":
        ("gauge", "Failed backup attempts of each device since its last success."),
    "netdoc_backups_stale":
        ("gauge", "Devices whose last good backup is older than health.max_backup_age."),
    "netdoc_health_max_backup_age_seconds":
        ("gauge", "The configured staleness limit (health.max_backup_age)."),
    "netdoc_events_received_total":
        ("counter", "Syslog messages and SNMP traps netdoc listen took from this client's "
                    "devices, by kind."),
    "netdoc_events_unknown_sender_total":
        ("counter", "Syslog messages and SNMP traps from addresses no client knows (ignored)."),
}


@dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class Snapshot:
    samples: list[Sample] = field(default_factory=list)

    def add(self, family: str, value: float, /, **labels: str) -> None:
        if family not in FAMILIES:
            raise KeyError(family)
        self.samples.append(Sample(family, tuple(labels.items()), float(value)))


# ---------------------------------------------------------------- reading

def max_backup_age(config: Config) -> float:
    """Seconds after which a device's backup counts as stale."""
    return config.health.max_backup_age or config.backup.max_age_hours * 3600


def _timestamp(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _read(path: Path) -> Any:
    """A JSON file, or None when it is absent or unreadable (metrics never fail on one
    client's damaged file; the run that owns it reports that)."""
    try:
        return read_json(path)
    except StoreError:
        return None


def _reports(files: Workspace) -> list[dict[str, Any]]:
    """The kept run reports, oldest first (file names are the start times)."""
    found = []
    for path in sorted(files.runs.glob("*.json")):
        data = _read(path)
        if isinstance(data, dict):
            found.append(data)
    latest = _read(files.last_run)
    if isinstance(latest, dict) and (not found or found[-1] != latest):
        found.append(latest)
    return found


def _backup_states(config: Config, client: str) -> dict[str, dict[str, Any]]:
    data = _read(Workspace.of(config, client).backup_states)
    devices = data.get("devices") if isinstance(data, dict) else None
    return {str(k): v for k, v in devices.items() if isinstance(v, dict)} \
        if isinstance(devices, dict) else {}


def _number(value: object) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return 0.0


@dataclass(frozen=True)
class DeviceBackup:
    path: str
    name: str
    host: str
    last_success: float  # 0 = never
    failures: int

    def age(self, now: float) -> float:
        return max(now - self.last_success, 0.0) if self.last_success else math.inf


def device_backups(config: Config, client: str) -> list[DeviceBackup]:
    found = []
    for path, body in sorted(_backup_states(config, client).items()):
        found.append(DeviceBackup(path=path, name=str(body.get("name") or ""),
                                  host=str(body.get("host") or ""),
                                  last_success=_number(body.get("last_success")),
                                  failures=int(_number(body.get("consecutive_failures")))))
    return found


# ---------------------------------------------------------------- collecting

def collect(config: Config, client_filter: str | None = None,
            now: float | None = None) -> Snapshot:
    now = time.time() if now is None else now
    snap = Snapshot()
    snap.add("netdoc_metrics_generated_timestamp_seconds", now)
    limit = max_backup_age(config)
    snap.add("netdoc_health_max_backup_age_seconds", limit)
    for client in config.selected_clients(client_filter):
        _collect_client(config, client, snap, now, limit)
    unknown = _read(backup_state_root(config) / LISTEN_UNKNOWN)
    snap.add("netdoc_events_unknown_sender_total",
             _number(unknown.get("count")) if isinstance(unknown, dict) else 0)
    return snap


def _collect_client(config: Config, client: Client, snap: Snapshot, now: float,
                    limit: float) -> None:
    name = client.name
    files = Workspace.of(config, name)
    snap.add("netdoc_client_info", 1, client=name)
    reports = _reports(files)
    if reports:
        last = reports[-1]
        finished = _timestamp(last.get("finished")) or _timestamp(last.get("started"))
        if finished is not None:
            snap.add("netdoc_last_run_timestamp_seconds", finished, client=name)
        for status in RUN_STATUSES:
            snap.add("netdoc_last_run_status", 1 if last.get("status") == status else 0,
                     client=name, status=status)
        snap.add("netdoc_last_run_duration_seconds", _number(last.get("seconds")), client=name)
        for stage in last.get("stages") or []:
            if isinstance(stage, dict) and stage.get("stage"):
                snap.add("netdoc_stage_duration_seconds", _number(stage.get("seconds")),
                         client=name, stage=str(stage["stage"]))
                snap.add("netdoc_stage_failures", _number(stage.get("failed")),
                         client=name, stage=str(stage["stage"]))
    good = [_timestamp(r.get("finished")) for r in reports if r.get("status") == "ok"]
    good_times = [t for t in good if t is not None]
    if good_times:
        snap.add("netdoc_last_successful_run_timestamp_seconds", max(good_times), client=name)

    index = _read(files.index)
    entries = index.get("devices", []) if isinstance(index, dict) else []
    statuses = [e.get("status") for e in entries if isinstance(e, dict)]
    backups = device_backups(config, name)
    snap.add("netdoc_devices", statuses.count("present"), client=name, state="up")
    snap.add("netdoc_devices", statuses.count("missing"), client=name, state="gone")
    snap.add("netdoc_devices", sum(1 for b in backups if b.failures), client=name,
             state="failing")
    successes = [b.last_success for b in backups if b.last_success]
    if successes:
        snap.add("netdoc_last_backup_timestamp_seconds", max(successes), client=name)
    for backup in backups:
        labels = {"client": name, "device": backup.path, "name": backup.name,
                  "host": backup.host}
        snap.add("netdoc_backup_age_seconds", backup.age(now), **labels)
        snap.add("netdoc_backup_consecutive_failures", backup.failures, **labels)
    snap.add("netdoc_backups_stale", sum(1 for b in backups if b.age(now) > limit),
             client=name)

    events = _read(files.listen_events)
    kinds = events.get("received", {}) if isinstance(events, dict) else {}
    for kind in ("config_changed", "link_changed", "other"):
        value = kinds.get(kind, 0) if isinstance(kinds, dict) else 0
        snap.add("netdoc_events_received_total", _number(value), client=name, kind=kind)


# ---------------------------------------------------------------- the text format

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_UNPRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")


def escape_label(value: str) -> str:
    """A label value as the exposition format wants it: backslash, double quote and
    line feed escaped; other control characters (which no parser agrees on) and
    unencodable surrogates dropped; long values cut."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    value = _UNPRINTABLE.sub("", value)[:LABEL_LIMIT]
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def render(snap: Snapshot) -> str:
    """Prometheus text exposition 0.0.4: HELP and TYPE once per family, then its samples."""
    lines: list[str] = []
    by_name: dict[str, list[Sample]] = {}
    for sample in snap.samples:
        by_name.setdefault(sample.name, []).append(sample)
    for name, (kind, help_text) in FAMILIES.items():
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for sample in by_name.get(name, []):
            labels = ",".join(f'{key}="{escape_label(value)}"' for key, value in sample.labels
                              if _LABEL_NAME.match(key))
            lines.append(f"{name}{{{labels}}} {format_value(sample.value)}" if labels
                         else f"{name} {format_value(sample.value)}")
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """Atomic (a scrape never sees half a file) and world-readable: node_exporter runs
    as its own user. The temporary name ends in .tmp, which the collector skips."""
    atomic_write(path, text, mode=0o644)


# ---------------------------------------------------------------- health

@dataclass(frozen=True)
class HealthProblem:
    client: str
    device: str
    reason: str


def health(config: Config, client_filter: str | None = None,
           now: float | None = None) -> list[HealthProblem]:
    """Every device (or client) whose configuration backups are stale."""
    now = time.time() if now is None else now
    limit = max_backup_age(config)
    problems: list[HealthProblem] = []
    for client in config.selected_clients(client_filter):
        backups = device_backups(config, client.name)
        wanted = any(d.backup and not d.exclude for s in client.sites for d in s.devices)
        if not backups:
            if wanted:
                problems.append(HealthProblem(client.name, "-", "no backup has run yet"))
            continue
        for backup in backups:
            age = backup.age(now)
            if age > limit:
                when = "never backed up" if math.isinf(age) else \
                    f"last good backup {_hours(age)} ago"
                problems.append(HealthProblem(
                    client.name, backup.path,
                    f"{when} (limit {_hours(limit)}"
                    f"{f', {backup.failures} failed attempt(s) since' if backup.failures else ''})"))
    return problems


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"

