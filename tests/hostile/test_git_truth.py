"""Git is the truth: a kill at any write or commit step loses no change.

A run is killed (SIGKILL, as the OOM killer or a power cut would) at every
step of writing and committing the configs - after each file, before and after
staging, before and after the commit, and inside git itself (a lock file left
behind). The next run must commit what the killed one did not, report it as
changed (never "unchanged" because the file on disk already matches), and
leave a repository `git fsck` finds clean.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netdoc.backup.store import ConfigRepository, StoredConfig
from netdoc.errors import StoreError
from netdoc.fsutil import FAULT_ENV, WRITER_NOTE

ROOT = Path(__file__).resolve().parents[2]
RUN_ONCE = """
import json, sys
from pathlib import Path
from netdoc.backup.store import ConfigRepository, StoredConfig
folder, version = Path(sys.argv[1]), sys.argv[2]
items = [StoredConfig(f"hq/sw{i}", f"hq/sw{i} (192.0.2.{i})",
                      f"hostname sw{i}\\n! release {version}\\nend\\n", {"platform": "cisco_ios"})
         for i in (1, 2)]
result = ConfigRepository(folder).write_and_commit(items, [])
print(json.dumps({"commit": result.commit, "added": result.added, "changed": result.changed}))
"""
STEPS = ["before-rename:sw1.cfg", "before-rename:sw2.cfg", "backup-written:hq/sw1", "backup-written:hq/sw2", "backup-before-add",
         "backup-after-add", "backup-before-commit", "backup-after-commit"]


def run_once(folder: Path, version: str, fault: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.run([sys.executable, "-c", RUN_ONCE, str(folder), version], env=env,
                          capture_output=True, text=True, timeout=60)


def git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)


def assert_consistent(folder: Path, version: str) -> None:
    fsck = git(folder, "fsck", "--strict", "--no-dangling")
    assert fsck.returncode == 0 and "error" not in fsck.stderr.lower(), fsck.stderr
    assert git(folder, "status", "--porcelain", "--ignored").stdout == "", "left uncommitted"
    for i in (1, 2):
        assert f"release {version}" in git(folder, "show", f"HEAD:hq/sw{i}.cfg").stdout
    assert not list(folder.rglob("*.lock")) and not list(folder.rglob(".*.tmp"))


@pytest.mark.parametrize("step", STEPS + ["git-killed-holding-index.lock"])
def test_a_kill_at_any_commit_step_loses_no_change(tmp_path: Path, step: str) -> None:
    folder = tmp_path / "acme"
    assert run_once(folder, "1").returncode == 0
    fault = "backup-after-add" if step == "git-killed-holding-index.lock" else step
    killed = run_once(folder, "2", fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if step == "git-killed-holding-index.lock":
        # git's own process died with the run (systemd kills the whole cgroup)
        (folder / ".git" / "index.lock").write_text("")
        (folder / ".git" / "refs" / "heads" / "main.lock").write_text("")

    after = run_once(folder, "2")

    assert after.returncode == 0, after.stderr
    report: dict[str, Any] = json.loads(after.stdout)
    if step == "backup-after-commit":  # the killed run had committed: nothing is lost
        assert report["commit"] == "" and report["changed"] == []
    else:
        assert report["commit"], "the change the killed run left must be committed now"
        assert report["changed"] == ["hq/sw1 (192.0.2.1)", "hq/sw2 (192.0.2.2)"], \
            "a config that differs from HEAD is 'changed', whatever is on disk"
    assert_consistent(folder, "2")
    again = json.loads(run_once(folder, "2").stdout)
    assert again == {"commit": "", "added": [], "changed": []}


def test_an_uncommitted_difference_is_committed_by_the_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    repo = ConfigRepository(folder)
    item = StoredConfig("hq/sw1", "hq/sw1", "hostname sw1\n", {"platform": "cisco_ios"})
    repo.write_and_commit([item], [])
    (folder / "hq" / "sw1.cfg").write_text("hostname sw1\nntp server 192.0.2.9\n")
    other = folder / "hq" / "sw9.cfg"  # a device of a killed run that this run did not fetch
    other.write_text("hostname sw9\n")

    result = repo.write_and_commit([StoredConfig("hq/sw1", "hq/sw1", "hostname sw1\nntp server "
                                                 "192.0.2.9\n", {"platform": "cisco_ios"})], [])

    assert result.changed == ["hq/sw1"] and result.commit
    message = git(folder, "log", "-1", "--format=%B").stdout
    assert "Recovered" in message and "hq/sw9" in message
    assert git(folder, "status", "--porcelain").stdout == ""


def test_a_lock_no_netdoc_left_is_reported_not_deleted(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netdoc.fsutil.FOREIGN_LOCK_WAIT", 0.3)
    folder = tmp_path / "acme"
    repo = ConfigRepository(folder)
    repo.write_and_commit([StoredConfig("hq/sw1", "hq/sw1", "a\n", {})], [])
    lock = folder / ".git" / "index.lock"
    lock.write_text("")  # a technician's git command, say: no netdoc writer note
    assert not (folder / ".git" / WRITER_NOTE).exists()
    with pytest.raises(StoreError, match="no netdoc run left it"):
        repo.write_and_commit([StoredConfig("hq/sw1", "hq/sw1", "b\n", {})], [])
    assert lock.exists()


def test_a_push_failure_does_not_print_the_remotes_token(tmp_path: Path) -> None:
    repo = ConfigRepository(tmp_path / "acme")
    repo.write_and_commit([StoredConfig("hq/sw1", "hq/sw1", "a\n", {})], [])
    ok, error = repo.push("https://netdoc:glpat-SeCrEtToKeN42@127.0.0.1:9/acme.git",
                          attempts=1, timeout=10)
    assert not ok
    assert "glpat-SeCrEtToKeN42" not in error and "netdoc:*****@127.0.0.1" in error


def test_terminal_escapes_from_devices_never_reach_a_commit_message(tmp_path: Path) -> None:
    repo = ConfigRepository(tmp_path / "acme")
    evil = "hq/sw\x1b]2;pwned\x07\x1b[2J1"
    repo.write_and_commit([StoredConfig("hq/sw1", evil, "a\n", {})],
                          [f"hq/sw2: 'show run' failed: \x1b[31m% Invalid\x00 input\x1b[0m"])
    message = git(tmp_path / "acme", "log", "-1", "--format=%B").stdout
    assert "\x1b" not in message and "\x07" not in message and "\x00" not in message
    assert "hq/sw1" in message and "% Invalid input" in message


def test_a_stalled_remote_cannot_hold_the_run(tmp_path: Path) -> None:
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # accepts the connection, never answers the TLS handshake
    try:
        repo = ConfigRepository(tmp_path / "acme")
        repo.write_and_commit([StoredConfig("hq/sw1", "hq/sw1", "a\n", {})], [])
        started = time.monotonic()
        ok, error = repo.push(f"https://netdoc:t0ken-abc123@127.0.0.1:"
                              f"{listener.getsockname()[1]}/acme.git", attempts=1, timeout=2)
        seconds = time.monotonic() - started
    finally:
        listener.close()
    assert not ok and seconds < 10, (seconds, error)
    assert "no answer within 2 s" in error and "t0ken-abc123" not in error
