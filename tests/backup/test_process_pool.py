"""backup.processes: the device sessions in worker processes give the same run as threads.

Only plain data crosses to a worker (the job, credentials resolved in the run's
process); host keys, the git store and the state are written by the run's process.
A worker process that dies fails the devices it had, and only those.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

from backup_helpers import BackupSite, failure_for  # type: ignore[import-not-found]
from netdoc.app.pipeline import StageOutcome
from netdoc.backup.pool import process_count
from netdoc.backup.state import state_dir
from netdoc.config import BackupSettings
from support.replay_server import _SESSIONS, Faults, ReplayServer

RECORDINGS = ("cisco_ios", "arista_eos", "cisco_nxos", "dell_os10", "aruba_aoscx")


def _site(root: Path, server: ReplayServer, processes: int) -> BackupSite:
    root.mkdir()
    site = BackupSite(root, server, backup={"concurrency": 4, "processes": processes})
    for index, recording in enumerate(RECORDINGS):
        site.add(recording, f"dev{index}")
    site.add("cisco_ios", "refused", credentials=["wrong"])
    return site


def _known_hosts(site: BackupSite) -> list[str]:
    folder = state_dir(site.config(), "acme")
    return sorted((folder / "known_hosts").read_text().splitlines())


def test_process_count_follows_the_setting_and_the_devices() -> None:
    assert BackupSettings().processes == 1      # threads only unless configured
    assert process_count(1, 20, 200) == 1
    assert process_count(0, 20, 200) == 1       # 0 and 1: threads only
    assert process_count(2, 20, 200) == 2
    assert process_count(4, 2, 200) == 2        # never more processes than sessions
    assert process_count(-1, 20, 3) == 1        # automatic: a few devices need no process
    assert process_count(-1, 20, 200) == min(os.cpu_count() or 1, 2)


def test_two_processes_store_the_same_run_as_threads(tmp_path: Path) -> None:
    outcomes: dict[int, StageOutcome] = {}
    sites: dict[int, BackupSite] = {}
    for processes in (1, 2):
        with ReplayServer() as server:
            site = _site(tmp_path / f"p{processes}", server, processes)
            outcomes[processes] = site.run()
            sites[processes] = site
            keys = _known_hosts(site)
            assert len(keys) == len(RECORDINGS)  # a refused login pins nothing
            # the pinned keys are the servers' own: a second run trusts every one of them
            again = site.run()
            assert again.summary.startswith("6 device(s): 0 changed, 0 added, 5 unchanged, "
                                            "1 failed")
            assert _known_hosts(site) == keys
    for index in range(len(RECORDINGS)):
        assert sites[2].stored(f"dev{index}") == sites[1].stored(f"dev{index}")
        assert sites[2].stored(f"dev{index}")
        assert sites[2].meta(f"dev{index}") == sites[1].meta(f"dev{index}")
    assert outcomes[2].summary.split(";")[0] == outcomes[1].summary.split(";")[0]
    assert [(f.name, f.reason) for f in outcomes[2].failures] == \
        [(f.name, f.reason) for f in outcomes[1].failures]
    assert "login refused" in failure_for(outcomes[2], "refused")
    assert sites[2].stored("refused") is None


def test_a_changed_host_key_is_refused_by_a_worker_process(site: BackupSite) -> None:
    site.backup = {"concurrency": 4, "processes": 2}
    for index in range(3):
        site.add("cisco_ios", f"sw{index}")
    assert site.run().failures == []
    stored = site.stored("sw1")
    device = next(d for d in site.devices if d.name == "sw1")
    site.server.stop(device.served)
    site.devices.remove(device)
    site.add("cisco_ios", "sw1", port=device.served.port)  # a new host key: an impostor
    outcome = site.run()
    reason = failure_for(outcome, "sw1")
    assert "host key CHANGED" in reason and "netdoc hostkey accept acme" in reason
    assert [f.name for f in outcome.failures] == ["hq/sw1"]
    assert site.stored("sw1") == stored  # the last good backup stays
    pending = (state_dir(site.config(), "acme") / "known_hosts.pending").read_text()
    assert f"[127.0.0.1]:{device.served.port}" in pending


def test_a_worker_process_killed_mid_run_fails_only_its_devices(site: BackupSite) -> None:
    site.backup = {"concurrency": 6, "processes": 2}  # three sessions per process
    for index in range(6):
        site.add("cisco_ios", f"sw{index}", faults=Faults(latency=0.4))
    outcome: list[StageOutcome] = []
    run = threading.Thread(target=lambda: outcome.append(site.run()))
    run.start()
    deadline = time.monotonic() + 20
    while _SESSIONS["now"] < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _SESSIONS["now"] == 6, "the six sessions never ran at once"
    workers = [p for p in multiprocessing.active_children() if p.name == "netdoc-backup"]
    assert len(workers) == 2
    assert workers[0].pid is not None
    os.kill(workers[0].pid, signal.SIGKILL)
    run.join(60)
    assert outcome, "the run did not end"
    failed = outcome[0].failures
    assert len(failed) == 3
    for failure in failed:
        assert "backup worker process" in failure.reason and "killed by signal 9" in failure.reason
    backed_up = [d.name for d in site.devices if site.stored(d.name)]
    assert len(backed_up) == 3
    assert {f.name for f in failed} | {f"hq/{n}" for n in backed_up} == \
        {f"hq/sw{i}" for i in range(6)}
