"""The lab's IOS-like SSH CLI: netmiko's cisco_ios driver logs in and reads the config."""
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
from netmiko import ConnectHandler  # type: ignore[import-untyped]
from netmiko.exceptions import NetmikoAuthenticationException  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parents[2]
CONFIG = """!
! Last configuration change at 10:00:00 UTC Mon Nov 23 2026 by netdoc
!
hostname edge-sw
!
interface GigabitEthernet1/0/1
 description printer
!
end
"""


class Device:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.running_config = folder / "running-config"

    def connect(self, password: str = "s3cret-pw", secret: str = "en-s3cret") -> ConnectHandler:
        return ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=self.port,
                              username="netdoc", password=password, secret=secret,
                              timeout=10, auth_timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def device(tmp_path: Path) -> Iterator[Device]:
    """One CLI server process on loopback, stopped (by its PID) after the test."""
    for name, value in (("password", "s3cret-pw"), ("enable", "en-s3cret")):
        (tmp_path / name).write_text(value + "\n")
        (tmp_path / name).chmod(0o600)
    (tmp_path / "running-config").write_text(CONFIG)
    (tmp_path / "show-version").write_text("Cisco IOS Software, C2960X Software "
                                           "(C2960X-UNIVERSALK9-M), Version 15.2(7)E4\n"
                                           "edge-sw uptime is {uptime}\n")
    port = free_port()
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps([{
        "name": "edge-sw", "address": "127.0.0.1", "port": port,
        "host_key": str(tmp_path / "host_key"),
        "running_config": str(tmp_path / "running-config"),
        "show_version": str(tmp_path / "show-version"), "username": "netdoc",
        "password_file": str(tmp_path / "password"), "enable_file": str(tmp_path / "enable")}]))
    proc = subprocess.Popen([sys.executable, "-m", "netdoc.lab.cli_server", str(spec)],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "log", "wb"),
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        ready = tmp_path / "spec.json.ready"
        deadline = time.monotonic() + 15
        while not ready.exists():
            assert proc.poll() is None, (tmp_path / "log").read_text()
            assert time.monotonic() < deadline, "the CLI server did not start"
            time.sleep(0.05)
        yield Device(tmp_path, port)
    finally:
        proc.terminate()
        proc.wait(10)


def test_netmiko_logs_in_goes_enable_and_reads_the_running_config(device: Device) -> None:
    conn = device.connect()
    try:
        assert conn.find_prompt() == "edge-sw>"
        conn.enable()
        assert conn.find_prompt() == "edge-sw#"
        output = conn.send_command("show running-config")
        version = conn.send_command("show version")
    finally:
        conn.disconnect()
    assert output.startswith("Building configuration...")
    assert f"Current configuration : {len(CONFIG)} bytes" in output
    assert output.rstrip().endswith("end")
    assert "hostname edge-sw" in output and "description printer" in output
    assert "Version 15.2(7)E4" in version and "edge-sw uptime is 0 minutes" in version


def test_the_config_is_reread_on_every_show_running_config(device: Device) -> None:
    conn = device.connect()
    try:
        conn.enable()
        first = conn.send_command("show running-config")
        device.running_config.write_text(CONFIG.replace("description printer",
                                                        "description printer, floor 2"))
        second = conn.send_command("show run")  # IOS abbreviations work too
    finally:
        conn.disconnect()
    assert "description printer, floor 2" not in first
    assert "description printer, floor 2" in second


def test_the_running_config_needs_enable(device: Device) -> None:
    conn = device.connect()
    try:
        output = conn.send_command("show running-config")
    finally:
        conn.disconnect()
    assert "% Invalid input detected" in output and "hostname" not in output


def test_a_wrong_password_is_refused(device: Device) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        device.connect(password="wrong")


def test_a_wrong_enable_secret_keeps_user_mode(device: Device) -> None:
    conn = device.connect(secret="wrong")
    try:
        with pytest.raises(ValueError):
            conn.enable()
        assert conn.find_prompt() == "edge-sw>"
    finally:
        conn.disconnect()
