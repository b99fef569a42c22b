"""A rogue device on the client LAN receives no credential.

`tests/hostile/hostile-lab.yaml` is the default site lab plus `rogue-sw`, a box that
answers SNMP with a Catalyst's sysObjectID/sysDescr and SSH like IOS, listed nowhere
in netdoc.yaml. Its SSH server (netdoc/lab/cli_server.py with a record_file) accepts
no login and records every username and password offered. A whole netdoc cycle in
the lab must find it (it is on the map, as a switch) and offer it nothing.

The loopback test proves the recorder records; the lab test (marked `lab`, needs
root and namespaces) proves netdoc sends it nothing.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
HOSTILE_LAB = Path(__file__).resolve().parent / "hostile-lab.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def rogue(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The lab's CLI server as a rogue on loopback; stopped by its PID afterwards."""
    for name in ("password", "enable"):
        (tmp_path / name).write_text("never-used\n")
        (tmp_path / name).chmod(0o600)
    (tmp_path / "running-config").write_text("hostname rogue\nend\n")
    (tmp_path / "show-version").write_text("Cisco IOS Software, C2960X Software\n")
    port, record = free_port(), tmp_path / "offered.log"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps([{
        "name": "rogue-sw", "address": "127.0.0.1", "port": port,
        "host_key": str(tmp_path / "host_key"), "running_config": str(tmp_path /
                                                                      "running-config"),
        "show_version": str(tmp_path / "show-version"), "username": "netdoc",
        "password_file": str(tmp_path / "password"), "enable_file": str(tmp_path / "enable"),
        "record_file": str(record)}]))
    proc = subprocess.Popen([sys.executable, "-m", "netdoc.lab.cli_server", str(spec)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 15
        while not (tmp_path / "spec.json.ready").exists():
            assert time.monotonic() < deadline and proc.poll() is None, "rogue did not start"
            time.sleep(0.1)
        yield port, record
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_rogue_records_every_credential_and_accepts_none(
        rogue: tuple[int, Path]) -> None:
    import paramiko

    port, record = rogue
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect("127.0.0.1", port=port, username="netdoc", password="harvest-me",
                       allow_agent=False, look_for_keys=False, timeout=10)
    client.close()
    assert record.read_text().splitlines() == ["rogue-sw\tnetdoc\tharvest-me"]


@pytest.mark.lab
def test_a_rogue_switch_in_the_lab_receives_no_credential(tmp_path: Path) -> None:
    from support.lab_fixtures import lab_location, lab_unavailable_reason

    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from netdoc.lab import Lab

    state_dir, prefix = lab_location("rogue")
    lab = Lab.up(str(HOSTILE_LAB), state_dir, prefix)
    try:
        command = [sys.executable, "-m", "netdoc.app.cli", "--config", str(lab.config_path),
                   "run", "--stages", "discover,backup"]
        done = lab.exec(lab.probe, command, timeout=600)
        assert done.returncode in (0, 1), done.stderr
        index = json.loads((lab.config_path.parent / "inventory" / "lab" / "index.json")
                           .read_text())
        found = [d for d in index["devices"] if d["ip"] == "192.0.2.66"]
        assert found and found[0]["role"] == "switch", "discovery believed the rogue's story"
        assert lab.rogue_offered() == [], "a credential was offered to the rogue"
        stored = list((lab.config_path.parent / "config_backups" / "lab").rglob("*.cfg"))
        assert len(stored) >= 4, "the listed devices were backed up"
    finally:
        lab.down()
