"""Logs and reports carry no device output and no secrets at any verbosity; device
I/O is traced only with --trace-device DIR, masked; `secrets: keep` keeps secrets
in the git config store and nowhere else."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from backup_helpers import BackupSite  # type: ignore[import-not-found]
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device

ROOT = Path(__file__).resolve().parents[2]
# from tests/fixtures/sessions/cisco_ios.yaml: config lines and secrets the device sends
CONFIG_LINES = ("service password-encryption", "snmp-server community")
SECRETS = ("n0t-public", "0822455D0A16", "$1$ZtQe$9qI2Xq8cJ5TiDXdqb1YlD.", "lab-pass",
           "lab-enable")


def netdoc(site: BackupSite, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "netdoc.app.cli", "--config", str(site.config_path),
                           *args], env=env, cwd=site.root, capture_output=True, text=True,
                          timeout=180)


def test_verbose_logs_carry_no_config_and_no_secret(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.run()  # the fixed mask key; the first backup
    site.config()
    done = netdoc(site, "-v", "backup")
    assert done.returncode == 0, done.stderr
    logs = done.stdout + done.stderr
    assert "DEBUG" in logs, "-v was on"
    for leak in CONFIG_LINES + SECRETS:
        assert leak not in logs, leak


def test_trace_device_writes_masked_transcripts_only_where_asked(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.run()
    site.config()
    trace = site.root / "trace"
    done = netdoc(site, "--trace-device", str(trace), "backup")
    assert done.returncode == 0, done.stderr
    (transcript,) = trace.rglob("*.txt")
    text = transcript.read_text()
    assert "### show running-config" in text and "service password-encryption" in text
    assert "<masked:" in text and not any(s in text for s in SECRETS)
    assert transcript.stat().st_mode & 0o077 == 0


def test_keep_means_the_git_store_only(site: BackupSite) -> None:
    site.client = {"secrets": "keep"}
    site.add("cisco_ios", "sw1")
    site.run()
    stored = site.stored("sw1") or ""
    assert "n0t-public" in stored, "keep: the config store has the real secrets"
    config = site.config()
    InventoryStore(config.inventory_dir("acme")).update(
        [Device(hostname="sw1", mgmt_ip="127.0.0.1", role="switch", site="hq",
                platform="cisco_ios")], set(), 3)
    done = netdoc(site, "render")
    assert done.returncode in (0, 1), done.stderr
    shown = list((site.root / "inventory" / "acme" / "site" / "configs").glob("*.cfg.txt"))
    assert shown and "<masked:" in shown[0].read_text(), "the site shows the masked config"
    # outside the store: the site, the run reports, the alerts: masked
    outside = [p for p in (site.root / "inventory").rglob("*") if p.is_file()]
    for path in outside:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in text, f"{secret} in {path}"


def test_keep_diffs_in_events_are_masked(site: BackupSite) -> None:
    from backup_helpers import load_recording, swap_recording  # type: ignore[import-not-found]

    site.client = {"secrets": "keep"}
    site.add("cisco_ios", "sw1")
    site.run()
    changed = load_recording("cisco_ios")
    config = changed.commands["show running-config"]
    changed.commands["show running-config"] = config.replace("n0t-public", "n3w-s3cret-c0mm")
    swap_recording(site, "sw1", changed)
    outcome = site.run()
    (event,) = [e for e in outcome.events if e.kind == "config_changed"]
    assert event.diff and "snmp-server community" in event.diff
    assert "n3w-s3cret-c0mm" not in json.dumps(event.__dict__)
    assert "n0t-public" not in json.dumps(event.__dict__)
