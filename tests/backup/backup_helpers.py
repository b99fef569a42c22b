"""Helpers for the backup tests: replayed devices, a netdoc.yaml around them, runs.

Every device in these tests is a recorded session (tests/fixtures/sessions/)
played by the project's own SSH server (tests/support/replay_server.py) on
127.0.0.1; netdoc talks to it with its real transport (netmiko + paramiko).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from netdoc.backup.stage import run_backup
from netdoc.backup.state import state_dir
from netdoc.backup.transport import NetmikoSource
from netdoc.config import Config, parse_config
from netdoc.app.pipeline import StageOutcome
from support.replay_server import Faults, Recording, ReplayServer, ServedDevice

SESSIONS = Path(__file__).resolve().parent.parent / "fixtures" / "sessions"
EXPECTED = SESSIONS / "expected"
# A fixed masking key, so the expected files can spell out the placeholders.
TEST_MASK_KEY = b"netdoc tests: fixed masking key."

# (recording, platform as written in netdoc.yaml, expected file stem)
PLATFORMS = [(p.stem, yaml.safe_load(p.read_text(encoding="utf-8"))["platform"], p.stem)
             for p in sorted(SESSIONS.glob("*.yaml"))]
PLATFORMS.append(("juniper_junos", "juniper_junos:set", "juniper_junos@set"))


def load_recording(name: str) -> Recording:
    return Recording.load(SESSIONS / f"{name}.yaml")


@dataclass
class Device:
    """One entry of the generated netdoc.yaml."""

    served: ServedDevice
    name: str
    platform: str
    credentials: list[str] = field(default_factory=lambda: ["lab"])

    def seed(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"host": self.served.host, "name": self.name,
                                 "ssh_port": self.served.port, "credentials": self.credentials}
        if self.platform:
            entry["platform"] = self.platform
        return entry


@dataclass
class BackupSite:
    """A client "acme" with one site "hq" whose devices are replayed sessions."""

    root: Path
    server: ReplayServer
    devices: list[Device] = field(default_factory=list)
    client: dict[str, Any] = field(default_factory=dict)
    backup: dict[str, Any] = field(default_factory=dict)

    def add(self, recording: str | Recording, name: str, platform: str | None = None,
            credentials: list[str] | None = None, faults: Faults | None = None,
            **serve: Any) -> Device:
        rec = load_recording(recording) if isinstance(recording, str) else recording
        served = self.server.serve(rec, faults=faults, **serve)
        device = Device(served, name, rec.platform if platform is None else platform,
                        credentials or ["lab"])
        self.devices.append(device)
        return device

    @property
    def config_path(self) -> Path:
        return self.root / "netdoc.yaml"

    def config(self) -> Config:
        data = {
            "credentials": {
                "lab": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_SSH",
                                "enable": "env:NETDOC_TEST_ENABLE"}},
                "wrong": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_WRONG"}},
                "wrong-enable": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_SSH",
                                         "enable": "env:NETDOC_TEST_WRONG"}},
            },
            "clients": {"acme": {**self.client, "sites": {"hq": {
                "credentials": ["lab"], "devices": [d.seed() for d in self.devices]}}}},
            "backup": self.backup,
            "output": {"config_backups": str(self.root / "config_backups"),
                       "inventory": str(self.root / "inventory")},
        }
        text = yaml.safe_dump(data, sort_keys=False)
        self.config_path.write_text(text, encoding="utf-8")
        return parse_config(text, self.config_path)

    def run(self) -> StageOutcome:
        config = self.config()
        folder = state_dir(config, "acme")
        folder.mkdir(parents=True, exist_ok=True)
        key = folder / "mask.key"
        if not key.exists():
            key.write_bytes(TEST_MASK_KEY)
            key.chmod(0o600)
        return run_backup(config, config.client("acme"), NetmikoSource())

    @property
    def repo(self) -> Path:
        return self.root / "config_backups" / "acme"

    def stored(self, name: str) -> str | None:
        path = self.repo / "hq" / f"{name}.cfg"
        return path.read_text(encoding="utf-8") if path.exists() else None

    def meta(self, name: str) -> dict[str, Any]:
        return dict(yaml.safe_load((self.repo / "hq" / f"{name}.meta.yaml").read_text()))

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], check=True,
                              capture_output=True, text=True).stdout

    def commit_count(self) -> int:
        if not (self.repo / ".git").exists():
            return 0
        result = subprocess.run(["git", "-C", str(self.repo), "rev-list", "--count", "HEAD"],
                                capture_output=True, text=True)
        return int(result.stdout.strip() or 0) if result.returncode == 0 else 0


def failure_for(outcome: StageOutcome, name: str) -> str:
    reasons = [f.reason for f in outcome.failures if f.name.endswith(f"/{name}")]
    assert reasons, f"{name} did not fail; failures: {outcome.failures}"
    return reasons[0]


def swap_recording(site: BackupSite, name: str, recording: object) -> None:
    """Replace what device `name` answers with, on the same port and host key."""
    device = next(d for d in site.devices if d.name == name)
    site.server.stop(device.served)
    site.devices.remove(device)
    site.add(recording, name, port=device.served.port,  # type: ignore[arg-type]
             host_key=device.served.host_key)


# Fixtures shared by the suites that replay devices (tests/backup, tests/hostile): each
# conftest imports them, so they are written once.

@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """An SSH server replaying recorded devices; every listener closes at the end."""
    with ReplayServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _test_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The credential sets of the generated netdoc.yaml read their secrets from here."""
    monkeypatch.setenv("NETDOC_TEST_SSH", "lab-pass")
    monkeypatch.setenv("NETDOC_TEST_ENABLE", "lab-enable")
    monkeypatch.setenv("NETDOC_TEST_WRONG", "not-the-password")


@pytest.fixture
def site(tmp_path: Path, replay: ReplayServer) -> BackupSite:
    return BackupSite(tmp_path, replay)
