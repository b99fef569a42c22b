"""Transports beyond SSH: telnet for legacy gear, SFTP for configurations kept as files.

Telnet: the recorded Cisco IOS switch is played over real telnet (IAC negotiation,
in-band Username:/Password:) by tests/support/telnet_replay.py; netdoc talks to it
with netmiko's cisco_ios_telnet class. SFTP: pfSense's config.xml is served by
OpenSSH's own sftp-server binary (tests/support/sftp_server.py). Both go through the
same backup stage as SSH, so cleaning, masking, never-worse and git hold unchanged:
each stored file must equal the one the SSH recording gives.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from backup_helpers import (EXPECTED, SESSIONS, BackupSite,  # type: ignore[import-not-found]
                            Device, failure_for, load_recording)
from netdoc.backup.cleartext import cleartext_warnings
from netdoc.config import parse_config
from netdoc.errors import ConfigError
from support.replay_server import Faults
from support.sftp_server import SftpDevice, available, remove_root
from support.stdio_device import TELNETD, TelnetdServer
from support.telnet_replay import TelnetReplayServer


@dataclass
class _Address:
    host: str
    port: int


class TelnetSeed(Device):  # type: ignore[misc]
    def seed(self) -> dict[str, Any]:
        entry = dict(super().seed())
        del entry["ssh_port"]
        return {**entry, "transport": "telnet", "telnet_port": self.served.port}


@pytest.fixture
def telnet() -> Iterator[TelnetReplayServer]:
    with TelnetReplayServer() as server:
        yield server


def add_telnet(site: BackupSite, telnet: TelnetReplayServer, recording: str, name: str,
               faults: Faults | None = None) -> Any:
    rec = load_recording(recording)
    served = telnet.serve(rec, faults=faults)
    site.devices.append(TelnetSeed(_Address(served.host, served.port), name, rec.platform))
    return served


def test_a_telnet_only_switch_is_backed_up_like_an_ssh_one(site: BackupSite,
                                                          telnet: TelnetReplayServer) -> None:
    served = add_telnet(site, telnet, "cisco_ios", "legacy-sw")
    outcome = site.run()
    assert outcome.failures == []
    assert served.logins == [("netdoc", "lab-pass")]
    expected = (EXPECTED / "cisco_ios.cfg").read_text(encoding="utf-8")
    assert site.stored("legacy-sw") == expected  # cleaned and masked exactly as over SSH
    assert site.meta("legacy-sw")["driver"] == "cisco_ios over telnet"
    assert "legacy-sw" in site.git("log", "--stat", "-1")


def test_a_wrong_telnet_password_fails_that_device_alone(site: BackupSite,
                                                        telnet: TelnetReplayServer) -> None:
    add_telnet(site, telnet, "cisco_ios", "legacy-sw", faults=Faults(password="changed"))
    site.add("cisco_ios", "ssh-sw")
    outcome = site.run()
    assert failure_for(outcome, "legacy-sw")
    assert site.stored("legacy-sw") is None
    assert site.stored("ssh-sw") is not None


def test_check_warns_that_telnet_sends_credentials_in_clear(site: BackupSite,
                                                             telnet: TelnetReplayServer) -> None:
    add_telnet(site, telnet, "cisco_ios", "legacy-sw")
    site.add("cisco_ios", "ssh-sw")
    warnings = cleartext_warnings(site.config())
    assert len(warnings) == 1
    assert "legacy-sw: backed up over telnet, which sends the username, password and " \
           "enable secret in clear" in warnings[0]


def test_a_platform_without_a_netmiko_telnet_driver_is_named_by_check(tmp_path: Path) -> None:
    text = """
credentials: {lab: {ssh: {username: u, password: env:NETDOC_TEST_SSH}}}
clients:
  acme:
    sites:
      hq:
        credentials: [lab]
        devices: [{host: 192.0.2.7, name: fw, platform: pfsense, transport: telnet}]
"""
    config = parse_config(text, tmp_path / "netdoc.yaml")
    warnings = cleartext_warnings(config)
    assert any("netmiko has no telnet driver for 'linux'" in w for w in warnings)


def test_a_seed_transport_must_be_ssh_or_telnet(tmp_path: Path) -> None:
    text = """
clients:
  acme:
    sites: {hq: {devices: [{host: 192.0.2.7, transport: rsh}]}}
"""
    with pytest.raises(ConfigError, match="transport"):
        parse_config(text, tmp_path / "netdoc.yaml")


# ---------------------------------------------------------------- SFTP

@pytest.fixture
def pfsense_files(tmp_path: Path) -> Iterator[SftpDevice]:
    reason = available(tmp_path)
    if reason:
        pytest.skip(reason)
    recording = load_recording("pfsense")
    files = {"cf/conf/config.xml": recording.commands["cat /cf/conf/config.xml"],
             "etc/version": recording.commands["cat /etc/version"]}
    root = tmp_path / "device-root"
    with SftpDevice(root, files) as device:
        yield device
    remove_root(root)


def test_pfsense_config_xml_is_pulled_over_openssh_sftp_server(
        site: BackupSite, pfsense_files: SftpDevice) -> None:
    site.devices.append(Device(_Address(pfsense_files.host, pfsense_files.port), "fw",
                               "pfsense:sftp"))
    outcome = site.run()
    assert outcome.failures == []
    assert pfsense_files.sessions >= 1
    expected = (EXPECTED / "pfsense.cfg").read_text(encoding="utf-8")
    assert site.stored("fw") == expected  # the same cleaning and masking as the exec pull
    meta = site.meta("fw")
    assert meta["driver"] == "sftp" and meta["version"] == "2.7.2-RELEASE"


def test_a_missing_config_file_fails_the_device_and_keeps_the_last_good_one(
        site: BackupSite, pfsense_files: SftpDevice) -> None:
    site.devices.append(Device(_Address(pfsense_files.host, pfsense_files.port), "fw",
                               "pfsense:sftp"))
    assert site.run().failures == []
    good = site.stored("fw")
    (pfsense_files.root / "cf" / "conf" / "config.xml").unlink()
    reason = failure_for(site.run(), "fw")
    assert "SFTP: no file '/cf/conf/config.xml' on the device" in reason
    assert site.stored("fw") == good


# ---------------------------------------------------------------- a real telnetd

@pytest.mark.skipif(not TELNETD.exists(), reason="GNU inetutils telnetd is missing "
                                                 "(Debian package inetutils-telnetd)")
def test_a_switch_behind_a_real_telnetd_is_backed_up(site: BackupSite) -> None:
    """GNU inetutils telnetd (its own option negotiation, pty and line discipline) runs
    the recorded switch as its login program."""
    with TelnetdServer(SESSIONS / "cisco_ios.yaml", host="127.0.0.6") as server:
        site.devices.append(TelnetSeed(_Address(server.host, server.port), "old-sw",
                                       "cisco_ios"))
        outcome = site.run()
        assert outcome.failures == []
        assert server.children, "telnetd was never started"
    expected = (EXPECTED / "cisco_ios.cfg").read_text(encoding="utf-8")
    assert site.stored("old-sw") == expected


def test_a_telnet_device_flooding_its_login_is_cut_off_at_the_byte_budget(
        site: BackupSite, telnet: TelnetReplayServer) -> None:
    """netmiko's own telnet reads (login, prompt finding) count against
    backup.max_config_bytes, as its SSH reads do."""
    flood = replace(load_recording("cisco_ios"), banner="#" * 200_000)
    served = telnet.serve(flood)
    site.devices.append(TelnetSeed(_Address(served.host, served.port), "noisy", "cisco_ios"))
    site.backup = {"max_config_bytes": 65536}
    reason = failure_for(site.run(), "noisy")
    assert "session set-up" in reason
    assert site.stored("noisy") is None
