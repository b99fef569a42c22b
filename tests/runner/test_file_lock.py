"""netdoc's one file lock (netdoc.fsutil.FileLock): the client run, the config repository,
the inventory and the vault all wait on it the same way."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from netdoc.errors import StoreError
from netdoc.fsutil import FileLock, LockTimeout

HOLD = """
import sys, time
from pathlib import Path
from netdoc.fsutil import FileLock
with FileLock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def holder(path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_held_lock_is_waited_for_then_reported_with_its_holder(tmp_path: Path) -> None:
    lock_file = tmp_path / "state" / "some.lock"
    process = holder(lock_file)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeout, match=f"pid {process.pid}") as raised:
            with FileLock(lock_file, wait=0.4):
                pass
        assert 0.4 <= time.monotonic() - started < 5
        assert isinstance(raised.value, StoreError) and raised.value.path == lock_file
    finally:
        process.kill()
        process.wait()


def test_a_killed_holders_lock_is_taken_over_and_noted(tmp_path: Path) -> None:
    lock_file = tmp_path / "some.lock"
    process = holder(lock_file)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with FileLock(lock_file, wait=0) as lock:
        assert lock.previous.startswith(f"pid {process.pid}, since ")
        assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    assert oct(lock_file.stat().st_mode & 0o777) == "0o600"


HOLD_AND_FORK = """
import os, sys, time
from pathlib import Path
from netdoc.fsutil import FileLock
with FileLock(Path(sys.argv[1])):
    if os.fork() == 0:  # a child that outlives its parent (a listener, a worker)
        time.sleep(60)
        os._exit(0)
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_forked_child_does_not_keep_a_killed_runs_lock(tmp_path: Path) -> None:
    lock_file = tmp_path / "some.lock"
    process = subprocess.Popen([sys.executable, "-c", HOLD_AND_FORK, str(lock_file)],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        process.send_signal(signal.SIGKILL)
        process.wait()
        # the child drops the lock as it starts running; on a busy machine that may be
        # just after its parent died (a child keeping it would hold it for 60 s)
        with FileLock(lock_file, wait=10) as lock:
            assert lock.previous.startswith(f"pid {process.pid}, since ")
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the orphaned child, by its session


def test_two_threads_take_turns(tmp_path: Path) -> None:
    lock_file = tmp_path / "some.lock"
    order: list[str] = []
    inside = threading.Event()

    def first() -> None:
        with FileLock(lock_file):
            order.append("first in")
            inside.set()
            time.sleep(0.3)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(5)
    with FileLock(lock_file, wait=5):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_a_lock_that_cannot_be_created_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the lock file"):
        with FileLock(blocker / "some.lock", wait=0):
            pass
