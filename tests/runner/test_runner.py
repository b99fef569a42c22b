"""Running unattended: one run per client at a time, stale locks taken over,
reports written, budgets kept, systemd units valid, the daemon reloads safely."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netdoc.app import budget
from netdoc.config import parse_config
from netdoc.app.pipeline import STAGES, StageOutcome
from netdoc.app.runner import ClientLocked, client_lock, run
from netdoc.app.service import render_units

HOLD_LOCK = """
import sys, time
from pathlib import Path
from netdoc.app.runner import client_lock
with client_lock(Path(sys.argv[1]), 0):
    print("locked", flush=True)
    time.sleep(60)
"""

CONFIG = """
run: {lock_wait: 0.5, budget: 30}
schedule: {discover: 0, backup: 0, render: 0}
clients:
  acme:
    sites: {hq: {subnets: [192.0.2.0/24]}}
"""


def hold_lock(folder: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_run_on_the_same_client_waits_then_gives_up_clearly(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(ClientLocked, match=f"pid {holder.pid}"):
            with client_lock(tmp_path, wait=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / ".run.lock").exists()
    with client_lock(tmp_path, wait=0):
        note = json.loads((tmp_path / ".run.lock").read_text())
        assert note["pid"] == os.getpid()


def slow_stage(config, client):  # type: ignore[no-untyped-def]
    time.sleep(0.3)
    return StageOutcome(stage="discover", client=client.name, summary="looked around")


def test_a_run_writes_its_report_and_a_locked_client_fails_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STAGES, "discover", f"{__name__}:slow_stage")
    two = CONFIG + "  globex:\n    sites: {office: {subnets: [192.0.2.0/24]}}\n"
    config = parse_config(two, tmp_path / "netdoc.yaml")
    holder = hold_lock(config.inventory_dir("globex"))
    try:
        code = run(config, ["discover"], None)
    finally:
        holder.kill()
        holder.wait()
    assert code == 3  # the lock was held: exit 3, not 1 ("devices failed")
    report = json.loads((config.inventory_dir("acme") / "last-run.json").read_text())
    assert report["status"] == "ok"
    assert report["stages"][0]["summary"] == "looked around"
    assert len(list((config.inventory_dir("acme") / "runs").glob("*.json"))) == 1
    assert not (config.inventory_dir("globex") / "last-run.json").exists()


def test_stages_past_the_budget_are_reported_skipped(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STAGES, "discover", f"{__name__}:slow_stage")
    monkeypatch.setitem(STAGES, "render", f"{__name__}:slow_stage")
    config = parse_config(CONFIG.replace("budget: 30", "budget: 0.1"), tmp_path / "netdoc.yaml")
    assert run(config, ["discover", "render"], None) == 1
    report = json.loads((config.inventory_dir("acme") / "last-run.json").read_text())
    assert report["status"] == "failures"
    assert report["skipped"] == ["render: (whole stage)"]
    assert budget.remaining() == float("inf")  # the budget ends with the run


def test_systemd_units_verify(tmp_path: Path) -> None:
    units = render_units(tmp_path, executable=sys.executable)
    result = subprocess.run(["systemd-analyze", "verify", *map(str, units)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    service = (tmp_path / "netdoc-backup.service").read_text()
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                      "StateDirectory=netdoc", "AmbientCapabilities=CAP_NET_RAW"):
        assert hardening in service


def test_the_daemon_refuses_a_broken_reload_and_accepts_a_good_one(tmp_path: Path) -> None:
    path = tmp_path / "netdoc.yaml"
    path.write_text(CONFIG)
    daemon = subprocess.Popen([sys.executable, "-m", "netdoc.app.cli", "--config", str(path), "daemon"],
                              stderr=subprocess.PIPE, text=True)
    assert daemon.stderr is not None
    try:
        assert "daemon started" in daemon.stderr.readline()
        path.write_text(CONFIG.replace("subnets:", "subnetz:"))
        daemon.send_signal(signal.SIGHUP)
        refused = daemon.stderr.readline()
        assert "reload refused" in refused and "subnetz" in refused
        path.write_text(CONFIG)
        daemon.send_signal(signal.SIGHUP)
        assert "configuration reloaded" in daemon.stderr.readline()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_the_run_history_leaves_out_a_damaged_report_not_the_others(tmp_path: Path) -> None:
    from netdoc.app.runner import read_run_history
    from netdoc.workspace import Workspace

    files = Workspace.of_inventory(tmp_path / "acme")
    files.runs.mkdir(parents=True)
    for start, status in (("20261101T010000Z", "ok"), ("20261102T010000Z", "failures")):
        (files.runs / f"{start}.json").write_text(json.dumps(
            {"started": start, "status": status, "stages": [{"stage": "discover"}]}))
    (files.runs / "20261103T010000Z.json").write_text("{half a report")
    files.last_run.write_text("not json")
    history = read_run_history(files)
    assert history.last == {}
    assert [r["status"] for r in history.reports] == ["failures", "ok"]  # newest first
    assert [r["stages"] for r in history.recent] == ["discover", "discover"]


def test_status_tells_the_scheduled_run_from_the_one_device_runs_after_it(
        tmp_path: Path) -> None:
    """A config change notice backs up one device between scheduled runs: `status` still
    says how the last scheduled run went, and lists the event run as what it is."""
    from netdoc.app.status import client_status, status_lines
    from netdoc.workspace import Workspace

    text = CONFIG.replace("clients:", f"output: {{inventory: {tmp_path / 'inventory'}, "
                                      f"config_backups: {tmp_path / 'backups'}}}\nclients:")
    config = parse_config(text, tmp_path / "netdoc.yaml")
    files = Workspace.of(config, "acme")
    files.runs.mkdir(parents=True)
    for start, status, trigger in (
            ("20261101T010000Z", "ok", ""),
            ("20261101T093000Z", "failures", "backup: a config change notice from core-sw "
                                             "(192.0.2.2)")):
        (files.runs / f"{start}.json").write_text(json.dumps(
            {"started": start, "status": status, "trigger": trigger, "seconds": 1.0,
             "stages": [{"stage": "backup"}], "failures": [{"host": "192.0.2.2"}]
             if status != "ok" else []}))

    entry = client_status(config, config.clients["acme"])

    assert entry["last_scheduled_run"]["started"] == "20261101T010000Z"
    assert entry["last_run"]["trigger"].startswith("backup: a config change notice")
    assert entry["attention"], "a failed event run after the scheduled one needs attention"
    lines = status_lines(entry)
    assert "last run 20261101T010000Z ok; since then a one-device run 20261101T093000Z " \
           "failures" in lines[0]
    assert any(line.endswith("[backup: a config change notice from core-sw (192.0.2.2)]")
               for line in lines)
