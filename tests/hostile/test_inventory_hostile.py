"""Hostile device data against the inventory: long strings, control characters,
cloned MACs, and kills while it commits."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from netdoc.fsutil import FAULT_ENV
from netdoc.inventory.store import InventoryStore, load_devices
from netdoc.models import Device, Neighbor

ROOT = Path(__file__).resolve().parents[2]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                          check=True).stdout


def test_a_300_character_serial_and_sysname_do_not_break_discovery(tmp_path: Path) -> None:
    long_serial, long_name = "S" * 300, "core-" + "x" * 295
    store = InventoryStore(tmp_path / "acme")
    store.update([Device(hostname=long_name, serial=long_serial, mgmt_ip="192.0.2.2",
                         role="switch", site="hq"),
                  Device(hostname=long_name + "2", serial=long_serial + "2", mgmt_ip="192.0.2.3",
                         role="switch", site="hq"),
                  Device(hostname="sw3", mgmt_ip="192.0.2.4", role="switch", site="hq")],
                 set(), 3)
    files = sorted((tmp_path / "acme" / "devices" / "hq").glob("*.json"))
    assert len(files) == 3, "two long serials sharing a prefix stay two devices"
    assert all(len(f.name) < 120 for f in files)
    devices = load_devices(tmp_path / "acme")
    assert {d.mgmt_ip for d in devices} == {"192.0.2.2", "192.0.2.3", "192.0.2.4"}
    assert all(len(d.hostname) <= 255 and len(d.serial) <= 255 for d in devices)


def test_control_characters_never_reach_files_or_commit_messages(tmp_path: Path) -> None:
    evil = "sw\x1b]2;owned\x07\x1b[31m1\x01\r\nrm -rf"
    store = InventoryStore(tmp_path / "acme")
    store.update([Device(hostname=evil, mgmt_ip="192.0.2.2", role="switch", site="hq",
                         sys_descr="Cisco\x00IOS\x1b[2J",
                         neighbors=[Neighbor("lldp", "Gi0/1", remote_name="n\x01" + "y" * 400)])],
                 set(), 3)
    text = "".join(p.read_text() for p in (tmp_path / "acme").rglob("*.json"))
    message = git(tmp_path / "acme", "log", "-1", "--format=%B")
    for blob in (text, message):
        assert "\x1b" not in blob and "\x01" not in blob and "\x07" not in blob
        assert "\\u001b" not in blob and "\\u0001" not in blob  # nor JSON-escaped
    device = load_devices(tmp_path / "acme")[0]
    assert device.hostname == "sw1 rm -rf" and len(device.neighbors[0].remote_name) <= 255


def test_a_device_cloning_a_switchs_mac_does_not_replace_it(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "acme")
    switch = Device(hostname="core-sw", mgmt_ip="192.0.2.2", base_mac="00:00:5e:00:53:01",
                    role="switch", site="hq", sys_object_id="1.3.6.1.4.1.9.1.1208")
    store.update([switch], set(), 3)
    clone = Device(hostname="evil", mgmt_ip="192.0.2.66", base_mac="00:00:5e:00:53:01",
                   role="switch", site="hq", sys_object_id="1.3.6.1.4.1.9.1.1208")
    store.update([Device(**{**switch.__dict__}), clone], set(), 3)
    devices = {d.hostname: d for d in load_devices(tmp_path / "acme")}
    assert set(devices) == {"core-sw", "evil"}
    assert devices["core-sw"].mgmt_ip == "192.0.2.2"


def test_temporary_files_of_a_killed_run_are_never_committed(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "acme")
    store.update([Device(hostname="sw1", mgmt_ip="192.0.2.2", role="switch", site="hq")], set(), 3)
    leftover = tmp_path / "acme" / "devices" / "hq" / ".name-sw9.json.k1ll3d.tmp"
    leftover.write_text("{half a file")
    store.update([Device(hostname="sw1", mgmt_ip="192.0.2.2", role="switch", site="hq"),
                  Device(hostname="sw2", mgmt_ip="192.0.2.3", role="switch", site="hq")], set(), 3)
    assert ".tmp" not in git(tmp_path / "acme", "ls-files")
    assert not leftover.exists()


RUN_ONCE = """
import sys
from pathlib import Path
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device
n = int(sys.argv[2])
InventoryStore(Path(sys.argv[1])).update(
    [Device(hostname=f"sw{i}", mgmt_ip=f"192.0.2.{i}", role="switch", site="hq")
     for i in range(1, n + 1)], set(), 3)
"""


@pytest.mark.parametrize("step", ["before-rename:index.json", "inventory-before-add",
                                  "inventory-before-commit", "inventory-after-commit",
                                  "before-rename:state.json"])
def test_a_kill_while_the_inventory_commits_loses_no_device(tmp_path: Path, step: str) -> None:
    folder = tmp_path / "acme"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_ENV, None)
    run = [sys.executable, "-c", RUN_ONCE, str(folder)]
    assert subprocess.run(run + ["1"], env=env, timeout=60).returncode == 0
    killed = subprocess.run(run + ["2"], env={**env, FAULT_ENV: step}, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert subprocess.run(run + ["2"], env=env, timeout=60).returncode == 0
    fsck = subprocess.run(["git", "-C", str(folder), "fsck", "--strict", "--no-dangling"],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
    assert git(folder, "status", "--porcelain") == ""
    index = json.loads(git(folder, "show", "HEAD:index.json"))
    assert [d["name"] for d in index["devices"]] == ["sw1", "sw2"]
