"""Per-device backup state, kept across runs in the client's state folder.

    <config_backups>/.netdoc-state/<client>/backup-state.json

One record per device (keyed by its path in the repository, e.g. "hq/core-sw"):
last attempt, last success, consecutive failures, last error, the platform
autodetection found, and the one credential set that worked (the next run offers
that one only; another is tried only when it is refused). The run summary and the documentation site read it
(`load_states`); a device whose last good backup is older than
backup.max_age_hours is flagged stale.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from netdoc.config import Config
from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.workspace import BACKUP_STATES, Workspace

STATE_FILE = BACKUP_STATES  # the file's name inside the state folder (netdoc.workspace)


def state_dir(config: Config, client: str) -> Path:
    """The client's private state: outside its git repository, never committed
    (Workspace.backup_state, created when missing)."""
    return Workspace.of(config, client).backup_state_folder()


@dataclass
class DeviceState:
    path: str
    host: str = ""
    port: int = 22
    name: str = ""
    site: str = ""
    platform: str = ""
    detected_platform: str = ""   # what netmiko's autodetection said, when it was used
    last_attempt: float = 0.0     # unix time
    last_success: float = 0.0
    consecutive_failures: int = 0
    last_error: str = ""
    credential: str = ""          # the credential set that last logged in
    extra: dict[str, Any] = field(default_factory=dict)

    def age_hours(self, now: float | None = None) -> float | None:
        """Age of the last good backup; None when there never was one."""
        if not self.last_success:
            return None
        return ((now or time.time()) - self.last_success) / 3600

    def is_stale(self, max_age_hours: float, now: float | None = None) -> bool:
        age = self.age_hours(now)
        return age is None or age > max_age_hours

    def record_success(self, when: float) -> None:
        self.last_attempt = self.last_success = when
        self.consecutive_failures = 0
        self.last_error = ""

    def record_failure(self, when: float, reason: str) -> None:
        self.last_attempt = when
        self.consecutive_failures += 1
        self.last_error = reason


def load_states(folder: Path) -> dict[str, DeviceState]:
    raw = read_json(folder / STATE_FILE, default={}) or {}
    known = set(DeviceState.__dataclass_fields__)
    return {path: DeviceState(**{k: v for k, v in body.items() if k in known})
            for path, body in raw.get("devices", {}).items()}


def save_states(folder: Path, states: dict[str, DeviceState]) -> None:
    data = {"devices": {path: asdict(state) for path, state in sorted(states.items())}}
    atomic_write(folder / STATE_FILE, stable_json(data), mode=0o600)


def describe_age(hours: float | None) -> str:
    if hours is None:
        return "never backed up"
    if hours < 1:
        return f"{int(hours * 60)} min ago"
    if hours < 48:
        return f"{hours:.0f} h ago"
    return f"{hours / 24:.0f} days ago"
