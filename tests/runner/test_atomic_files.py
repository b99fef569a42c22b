"""Several files written at once: all reach the disk before any takes its place.

A backup of 200 devices writes 600 files in one go; they are synced once per file
system (syncfs) rather than one fsync each, then renamed in order. A file whose
content is already on disk is left alone, and a failure leaves every old version.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from netdoc import fsutil
from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write_many


def test_changed_files_take_their_place_in_order_and_unchanged_ones_are_left(
        tmp_path: Path) -> None:
    same = tmp_path / "hq" / "sw1.cfg"
    same.parent.mkdir()
    same.write_text("hostname sw1\n")
    before = same.stat().st_mtime_ns
    files = {same: "hostname sw1\n", tmp_path / "hq" / "sw2.cfg": "hostname sw2\n",
             tmp_path / "hq" / "sw2.meta.yaml": "name: sw2\n"}

    changed = atomic_write_many(files)

    assert changed == [tmp_path / "hq" / "sw2.cfg", tmp_path / "hq" / "sw2.meta.yaml"]
    assert same.stat().st_mtime_ns == before
    assert {p.read_text() for p in files} == set(files.values())
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in changed)
    assert not list(tmp_path.rglob("*.tmp")), "a temporary was left behind"


def test_without_syncfs_each_file_is_synced_on_its_own(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(fsutil, "_load_syncfs", lambda: None)
    monkeypatch.setattr("netdoc.fsutil.os.fsync", synced.append)
    atomic_write_many({tmp_path / f"f{i}": str(i) for i in range(3)})
    assert len(synced) == 3
    assert [(tmp_path / f"f{i}").read_text() for i in range(3)] == ["0", "1", "2"]


def test_a_failed_write_leaves_every_old_version(tmp_path: Path) -> None:
    kept = tmp_path / "ok.cfg"
    kept.write_text("old\n")
    not_a_folder = tmp_path / "site"
    not_a_folder.write_text("a file where a folder should be\n")
    with pytest.raises(StoreError, match="previous version is unchanged"):
        atomic_write_many({kept: "new\n", not_a_folder / "x.cfg": "new\n"})
    assert kept.read_text() == "old\n"
    assert not list(tmp_path.rglob("*.tmp"))
