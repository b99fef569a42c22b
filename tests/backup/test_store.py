"""The per-client git repository: one commit per run, only on change, pushed if asked."""
from __future__ import annotations

import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import git
import pytest

from backup_helpers import (  # type: ignore[import-not-found]
    BackupSite, load_recording, swap_recording)
from netdoc.backup.store import ConfigRepository, RepositoryLock, StoredConfig
from netdoc.errors import StoreError

CONFIG_COMMAND = "show running-config"


def _changed_hostname(name: str, new: str) -> object:
    rec = load_recording(name)
    text = rec.commands[CONFIG_COMMAND].replace("hostname acc-sw1", f"hostname {new}")
    return replace(rec, commands={**rec.commands, CONFIG_COMMAND: text})



def test_first_run_commits_everything_authored_by_netdoc(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.add("arista_eos", "leaf1")
    outcome = site.run()
    assert site.commit_count() == 1
    assert site.git("log", "-1", "--format=%an <%ae>").strip() == "netdoc <netdoc@localhost>"
    files = site.git("ls-files").split()
    assert files == ["hq/leaf1.cfg", "hq/leaf1.meta.yaml", "hq/sw1.cfg",  # IOS has facts
                     "hq/sw1.facts.yaml", "hq/sw1.meta.yaml"]
    message = site.git("log", "-1", "--format=%B")
    assert message.startswith("backup: 2 added")
    assert "Added:\n  hq/leaf1 (127.0.0.1)\n  hq/sw1 (127.0.0.1)" in message
    assert outcome.changes == ["added hq/leaf1 (127.0.0.1)", "added hq/sw1 (127.0.0.1)"]
    assert site.git("status", "--porcelain") == ""


def test_unchanged_run_adds_no_commit(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.run()
    head = site.git("rev-parse", "HEAD")
    outcome = site.run()
    assert site.git("rev-parse", "HEAD") == head
    assert "no commit" in outcome.summary and "1 unchanged" in outcome.summary
    assert outcome.changes == []


def test_one_commit_per_run_listing_changed_added_and_failed(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.add("cisco_ios", "sw2")
    site.add("cisco_ios", "sw3")
    site.run()
    swap_recording(site, "sw1", _changed_hostname("cisco_ios", "acc-sw1-renamed"))
    site.add("cisco_nxos", "nx1")
    broken = next(d for d in site.devices if d.name == "sw3")
    broken.credentials = ["wrong"]
    outcome = site.run()
    assert site.commit_count() == 2
    message = site.git("log", "-1", "--format=%B")
    assert message.splitlines()[0] == "backup: 1 changed, 1 added, 1 failed"
    assert "Changed:\n  hq/sw1 (127.0.0.1)" in message
    assert "Added:\n  hq/nx1 (127.0.0.1)" in message
    assert "Failed (last good backup kept):\n  hq/sw3 (127.0.0.1): login refused" in message
    # sw1.cfg + sw1.facts.yaml (its host name) + nx1 x2 (NX-OS has no facts parser)
    assert site.git("show", "--stat", "--format=", "HEAD").count("|") == 4
    diff = site.git("show", "--format=", "HEAD", "--", "hq/sw1.cfg")
    assert "-hostname acc-sw1\n+hostname acc-sw1-renamed" in diff
    assert outcome.summary.startswith("4 device(s): 1 changed, 1 added, 1 unchanged, 1 failed")


def test_failures_alone_make_no_commit(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.run()
    site.devices[0].credentials = ["wrong"]
    outcome = site.run()
    assert len(outcome.failures) == 1 and site.commit_count() == 1


def test_push_to_remote_after_commit(site: BackupSite, tmp_path: Path) -> None:
    remote = tmp_path / "central.git"
    git.Repo.init(remote, bare=True)
    site.client = {"remote": str(remote)}
    site.add("cisco_ios", "sw1")
    outcome = site.run()
    assert outcome.failures == []
    assert git.Repo(remote).commit("main").hexsha == site.git("rev-parse", "HEAD").strip()


def test_failed_push_keeps_the_commit_and_the_next_run_pushes_it(site: BackupSite,
                                                                 tmp_path: Path) -> None:
    remote = tmp_path / "central.git"  # does not exist yet: the push fails
    site.client = {"remote": str(remote)}
    site.add("cisco_ios", "sw1")
    outcome = site.run()
    failures = [f for f in outcome.failures if f.name == "git remote"]
    assert failures and "failed after 3 attempts" in failures[0].reason
    assert "kept locally" in failures[0].reason
    assert site.commit_count() == 1 and site.stored("sw1") is not None
    git.Repo.init(remote, bare=True)  # the central server is back
    outcome = site.run()  # nothing changed on the device, but the pending commit goes out
    assert outcome.failures == []
    assert git.Repo(remote).commit("main").hexsha == site.git("rev-parse", "HEAD").strip()


def test_push_retries_then_succeeds(tmp_path: Path) -> None:
    """A central server that refuses the first push (busy) gets the second."""
    repo = ConfigRepository(tmp_path / "acme")
    repo.write_and_commit([StoredConfig("hq/sw1", "hq/sw1", "hostname sw1\nend\n", {})], [])
    remote = tmp_path / "central.git"
    git.Repo.init(remote, bare=True)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text('#!/bin/sh\nn=$(cat "$GIT_DIR/attempts" 2>/dev/null || echo 0)\n'
                    'n=$((n+1)); echo $n > "$GIT_DIR/attempts"\n'
                    '[ $n -ge 2 ] || { echo "server busy" >&2; exit 1; }\n')
    hook.chmod(0o755)
    ok, error = repo.push(str(remote), attempts=3, pause=0.01)
    assert ok and error == ""
    assert (remote / "attempts").read_text().strip() == "2"
    assert git.Repo(remote).commit("main").hexsha == repo.repo.head.commit.hexsha


def test_one_writer_per_repository(tmp_path: Path) -> None:
    """A second writer waits for the first; their commits never interleave."""
    lock_file = tmp_path / "state" / "repository.lock"
    order: list[str] = []
    first_holds = threading.Event()
    release = threading.Event()

    def first() -> None:
        with RepositoryLock(lock_file):
            order.append("first in")
            first_holds.set()
            release.wait(5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert first_holds.wait(5)
        with pytest.raises(StoreError, match="another netdoc run"):
            with RepositoryLock(lock_file, wait=0.3):
                order.append("second in too early")
        release.set()
        with RepositoryLock(lock_file, wait=5):
            order.append("second in")
    finally:
        release.set()
        thread.join()
    assert order == ["first in", "first out", "second in"]


def test_concurrent_runs_on_one_client_make_sequential_commits(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.run()
    swap_recording(site, "sw1", _changed_hostname("cisco_ios", "acc-sw1-a"))
    results = []
    runs = [threading.Thread(target=lambda: results.append(site.run())) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert len(results) == 2 and all(r.failures == [] for r in results)
    assert site.commit_count() == 2, "both runs saw the same change: only one commits it"
    subprocess.run(["git", "-C", str(site.repo), "fsck", "--strict"], check=True,
                   capture_output=True)
    assert site.git("status", "--porcelain") == ""
