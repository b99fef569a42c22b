"""The backup stage as the pipeline runs it: which devices, how many at once, time limits."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

from backup_helpers import BackupSite, failure_for  # type: ignore[import-not-found]
from netdoc.backup.state import load_states, state_dir
from netdoc.backup.targets import backup_targets
from netdoc.config import parse_config
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device
from support.replay_server import Faults

ROOT = Path(__file__).resolve().parents[2]


def test_pool_is_bounded_by_backup_concurrency(site: BackupSite) -> None:
    site.backup = {"concurrency": 2}
    for index in range(5):
        site.add("cisco_ios", f"sw{index}", faults=Faults(latency=0.2))
    site.server.reset_peak()
    outcome = site.run()
    assert outcome.failures == []
    assert site.server.peak_busy == 2


@pytest.fixture
def silent_tcp() -> Iterator[int]:
    """A port that accepts TCP connections and never says anything (a wedged device)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_hanging_device_is_cut_off_and_the_others_carry_on(site: BackupSite,
                                                           silent_tcp: int) -> None:
    site.backup = {"timeout": 3}
    site.add("cisco_ios", "sw1")
    site.add("arista_eos", "leaf1")
    config_text = site.config_path  # written by run(); the wedged device is added by hand
    outcome = _run_with_extra_seed(site, {"host": "127.0.0.1", "name": "wedged",
                                          "platform": "cisco_ios", "ssh_port": silent_tcp})
    assert config_text.exists()
    reason = failure_for(outcome, "wedged")
    assert "time" in reason or "no prompt" in reason or "SSH" in reason
    assert site.stored("sw1") is not None and site.stored("leaf1") is not None
    assert outcome.seconds < 3 + 2 + 5


def _run_with_extra_seed(site: BackupSite, seed: dict[str, object]) -> object:
    import yaml

    from netdoc.backup.stage import run_backup
    from netdoc.backup.transport import NetmikoSource

    site.config()
    data = yaml.safe_load(site.config_path.read_text())
    data["clients"]["acme"]["sites"]["hq"]["devices"].append(seed)
    text = yaml.safe_dump(data)
    config = parse_config(text, site.config_path)
    return run_backup(config, config.client("acme"), NetmikoSource())


def test_unknown_platform_is_autodetected_and_remembered(site: BackupSite) -> None:
    # (netmiko stops probing at a certain match: IOS-XE's is, classic IOS's is not and
    # would cost a minute and a half of probe commands)
    site.add("cisco_xe", "mystery", platform="")
    outcome = site.run()
    assert outcome.failures == []
    meta = site.meta("mystery")
    assert meta["platform"] == "cisco_xe" and meta["autodetected"] is True
    state = load_states(state_dir(site.config(), "acme"))["hq/mystery"]
    assert state.detected_platform == "cisco_xe"
    assert "hostname LAB-SW9200" in (site.stored("mystery") or "")
    again = site.run()  # remembered: no second detection
    assert again.failures == [] and "no commit" in again.summary
    assert again.seconds < outcome.seconds


def test_platform_accepts_netmiko_device_types(site: BackupSite) -> None:
    site.add("cisco_xe", "c9k", platform="cisco_xe")
    site.add("hp_procurve", "edge", platform="aruba_osswitch")
    outcome = site.run()
    assert outcome.failures == []
    assert site.meta("edge")["platform"] == "hp_procurve"
    assert site.meta("edge")["driver"] == "aruba_osswitch"


def test_unknown_platform_name_fails_with_the_known_ones(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1", platform="cisco_iox")
    reason = failure_for(site.run(), "sw1")
    assert "unknown platform 'cisco_iox'" in reason and "cisco_ios" in reason


def test_stale_backups_are_flagged(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.run()
    device = site.devices[0]
    device.credentials = ["wrong"]
    from netdoc.backup.stage import run_backup
    from netdoc.backup.transport import NetmikoSource

    config = site.config()
    later = lambda: __import__("time").time() + 72 * 3600  # noqa: E731 - three days on
    outcome = run_backup(config, config.client("acme"), NetmikoSource(), clock=later)
    assert any(c.startswith("stale hq/sw1") and "3 days ago" in c for c in outcome.changes)
    assert "1 stale" in outcome.summary


# ---------------------------------------------------------------- which devices

def _config(tmp_path: Path, devices: str) -> object:
    text = f"""
credentials:
  lab: {{ssh: {{username: netdoc, password: "env:NETDOC_TEST_SSH"}}}}
clients:
  acme:
    sites:
      hq:
        credentials: [lab]
        exclude: [192.0.2.200/29]
        devices:
{devices}
output: {{config_backups: {tmp_path}/cb, inventory: {tmp_path}/inv}}
"""
    return parse_config(text, tmp_path / "netdoc.yaml")


def test_targets_merge_inventory_and_netdoc_yaml(tmp_path: Path) -> None:
    config = _config(tmp_path, """\
          - {host: 192.0.2.1, name: core, platform: cisco_xe}
          - {host: 192.0.2.2, backup: false}
          - {host: 192.0.2.9, name: fw, ssh_port: 2222}""")
    InventoryStore(config.inventory_dir("acme")).update([  # type: ignore[attr-defined]
        Device(hostname="core-sw.example.net", mgmt_ip="192.0.2.1", role="switch",
               platform="cisco_ios", site="hq"),
        Device(hostname="sw2", mgmt_ip="192.0.2.2", role="switch", site="hq"),
        Device(hostname="ap1", mgmt_ip="192.0.2.3", role="wireless", platform="", site="hq"),
        Device(hostname="printer", mgmt_ip="192.0.2.4", role="printer", site="hq"),
        Device(hostname="rtr", mgmt_ip="192.0.2.201", role="router", site="hq"),
    ], set(), 3)
    targets = backup_targets(config, config.client("acme"))  # type: ignore[attr-defined]
    assert [(t.host, t.name, t.platform, t.port) for t in targets] == [
        ("192.0.2.1", "core", "cisco_xe", 22),      # netdoc.yaml renames and forces platform
        ("192.0.2.9", "fw", "", 2222),              # only in netdoc.yaml
    ]  # sw2: backup false; ap1: discovered but not listed (no site opt-in): no credentials;
    # printer: not a network device; rtr: in an excluded range
    assert targets[0].device is not None and targets[0].device.hostname == "core-sw.example.net"


def test_device_names_fall_back_to_hostname_then_ip(tmp_path: Path) -> None:
    config = _config(tmp_path, """\
          - {host: 192.0.2.5}
          - {host: 192.0.2.6}""")
    InventoryStore(config.inventory_dir("acme")).update([  # type: ignore[attr-defined]
        Device(hostname="dist/sw 6", mgmt_ip="192.0.2.6", role="switch", site="hq")], set(), 3)
    targets = backup_targets(config, config.client("acme"))  # type: ignore[attr-defined]
    assert [(t.name, t.path) for t in targets] == [("192.0.2.5", "hq/192.0.2.5"),
                                                   ("dist/sw 6", "hq/dist_sw_6")]


# ---------------------------------------------------------------- the command line

def test_netdoc_backup_command_runs_the_stage(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    site.add("cisco_ios", "sw2", credentials=["wrong"])
    site.config()
    env = {**os.environ, "NETDOC_TEST_SSH": "lab-pass", "NETDOC_TEST_ENABLE": "lab-enable",
           "NETDOC_TEST_WRONG": "nope", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "netdoc.app.cli", "--config",
                             str(site.config_path), "backup"], capture_output=True, text=True,
                            env=env, timeout=120, cwd=site.root)
    assert result.returncode == 1, result.stderr  # one device failed
    report = result.stdout + result.stderr
    assert "backup: 2 device(s): 0 changed, 1 added, 0 unchanged, 1 failed" in report
    assert "FAILED hq/sw2" in report and "login refused" in report
    assert "\x1b[" not in result.stderr, "no progress bar when stderr is not a terminal"
    assert site.stored("sw1") is not None
