"""Fixtures of the hostile suite: replayed devices (as in tests/backup), secrets."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backup"))

from backup_helpers import BackupSite  # type: ignore[import-not-found]  # noqa: E402
from support.replay_server import ReplayServer  # noqa: E402


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _test_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETDOC_TEST_SSH", "lab-pass")
    monkeypatch.setenv("NETDOC_TEST_ENABLE", "lab-enable")
    monkeypatch.setenv("NETDOC_TEST_WRONG", "not-the-password")


@pytest.fixture
def site(tmp_path: Path, replay: ReplayServer) -> BackupSite:
    return BackupSite(tmp_path, replay)
