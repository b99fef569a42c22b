"""A fast stop: SIGTERM ends a run within 5 s - sessions closed, run report written -
even while a device is stuck mid-output with a long backup.timeout."""
from __future__ import annotations

import configparser
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from backup_helpers import BackupSite  # type: ignore[import-not-found]
from support.replay_server import Faults

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_ends_a_backup_run_within_5_seconds(site: BackupSite) -> None:
    stuck = site.add("cisco_ios", "stuck", faults=Faults(stall_after={"show running-config": 200}))
    site.add("cisco_ios", "sw1")
    site.backup = {"timeout": 120}
    config = site.config()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "netdoc.app.cli", "--config",
                              str(site.config_path), "run", "--stages", "backup"],
                             env=env, cwd=site.root, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while stuck.served.sessions == 0 and time.monotonic() < deadline:  # the device is stuck
        time.sleep(0.2)
    time.sleep(1.0)
    assert child.poll() is None, child.communicate()
    sent = time.monotonic()
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)
    seconds = time.monotonic() - sent

    assert seconds < 5, f"SIGTERM took {seconds:.1f} s"
    assert child.returncode == 143, err
    report = json.loads((config.inventory_dir("acme") / "last-run.json").read_text())
    assert report["status"] == "terminated"
    assert "run terminated" in err


def test_the_units_leave_room_for_the_stop() -> None:
    for unit in ("netdoc-backup.service", "netdoc-discover.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(ROOT / "contrib" / "systemd" / unit)
        assert float(parser["Service"]["TimeoutStopSec"]) >= 15, unit
        assert parser["Service"]["KillMode"] == "mixed", unit
