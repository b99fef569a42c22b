"""Fixtures of the backup tests (helpers live in backup_helpers.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from backup_helpers import BackupSite  # type: ignore[import-not-found]
from support.replay_server import ReplayServer


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
