"""A full disk or a read-only output folder fails the run clearly and loses nothing."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import git
import pytest

from netdoc.errors import StoreError
from netdoc.inventory.store import InventoryStore, load_devices
from netdoc.models import Device

T1 = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def devices(count: int) -> list[Device]:
    return [Device(mgmt_ip=f"192.0.2.{i}", base_mac=f"02:00:00:00:00:{i:02x}", role="endpoint",
                   site="hq") for i in range(1, count + 1)]


def test_a_full_disk_fails_clearly_and_keeps_the_last_inventory(small_disk: Path) -> None:
    store = InventoryStore(small_disk / "acme")
    store.update(devices(3), set(), 3, T1)
    index_before = (small_disk / "acme" / "index.json").read_bytes()
    filler = small_disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4k", "count=2000"],
                   capture_output=True)
    with pytest.raises(StoreError, match="No space left on device") as caught:
        store.update(devices(60), set(), 3, T1)
    assert "acme" in str(caught.value)
    assert (small_disk / "acme" / "index.json").read_bytes() == index_before
    filler.unlink()
    store.update(devices(60), set(), 3, T1)  # room again: the next run completes
    assert len(load_devices(small_disk / "acme")) == 60
    assert git.Repo(small_disk / "acme").git.fsck() is not None


def test_a_read_only_folder_fails_clearly(small_disk: Path) -> None:
    store = InventoryStore(small_disk / "acme")
    store.update(devices(2), set(), 3, T1)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StoreError, match="Read-only file system"):
        store.update(devices(5), set(), 3, T1)
    assert len(load_devices(small_disk / "acme")) == 2
