"""Bounded everything: a device that never stops talking cannot exhaust the probe."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from backup_helpers import BackupSite  # type: ignore[import-not-found]
from support.replay_server import Faults

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT_KB = 200 * 1024
MAX_CONFIG_BYTES = 8 * 1024 * 1024


def test_an_endless_device_is_cut_off_at_max_config_bytes_in_bounded_memory(
        site: BackupSite) -> None:
    site.add("cisco_ios", "endless", faults=Faults(endless_output=True))
    site.add("cisco_ios", "sw1")
    # only the size limit can end it in time; 8 MiB rather than the default 32: the peak
    # is the interpreter, the output kept (up to the limit) and what the allocator keeps
    # of the reads' copies, which varied by 70 MB from one run of the suite to the next
    site.backup = {"timeout": 600, "max_config_bytes": MAX_CONFIG_BYTES}
    site.run()  # first: creates the mask key etc. (the endless device fails here too)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "netdoc.app.cli", "--config",
                              str(site.config_path), "backup"], env=env, cwd=site.root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stderr is not None
    out = child.stdout.read() + child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started

    assert os.waitstatus_to_exitcode(status) == 1, out  # the endless device failed alone
    assert "FAILED hq/endless" in out and "backup.max_config_bytes" in out
    assert seconds < 300, f"cut off by size, not by backup.timeout ({seconds:.0f} s)"
    assert usage.ru_maxrss < MEMORY_LIMIT_KB, f"peak RSS {usage.ru_maxrss // 1024} MB"
    assert site.stored("sw1") is not None


def test_max_config_bytes_is_a_setting(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.backup = {"max_config_bytes": 2048}
    outcome = site.run()
    assert outcome.failures and "backup.max_config_bytes (2,048 bytes)" in outcome.failures[0].reason


def test_an_endless_device_during_autodetection_is_bounded_too(site: BackupSite) -> None:
    """No platform given: netmiko's autodetection reads with its own loops; they count
    against backup.max_config_bytes as well."""
    site.add("cisco_ios", "endless", platform="", faults=Faults(endless_output=True))
    site.backup = {"timeout": 600, "max_config_bytes": 4 * 1024 * 1024}
    site.run()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "netdoc.app.cli", "--config",
                              str(site.config_path), "backup"], env=env, cwd=site.root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = child.communicate(timeout=200)
    seconds = time.monotonic() - started
    text = out[0] + out[1]
    assert child.returncode == 1, text
    assert "FAILED hq/endless" in text and "backup.max_config_bytes" in text, text
    assert seconds < 300, f"{seconds:.0f} s"
