"""The replay server plays sessions in Oxidized's simulation format (../shared/device-sessions,
`netdoc record`), so a recording of a real device is backed up like the device itself.

The sessions here are written for these tests in that format: init_prompt plus commands
whose answers carry the echo and the next prompt, Ruby-style escapes, a list form with a
pager keypress, and an exec-only recording.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from backup_helpers import BackupSite  # type: ignore[import-not-found]
from support.replay_server import Recording, apply_filters, ruby_unescape

IOS_SESSION = r'''---
init_prompt: |-
  \e[4m\rbranch-sw1#\e[m\x20
commands:
  - "terminal length 0\n": |-
      terminal length 0
      branch-sw1#
  - "show version\n": |-
      show version
      Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, RELEASE SOFTWARE (fc3)
      Model Number                       : WS-C2960X-24PS-L
      System Serial Number               : FOC2000X0AB
      branch-sw1#
  - "show vtp status\n": |-
      show vtp status
      VTP Version capable             : 1 to 3
       --More--\x20
  - " ": |-
      \r          \rVTP Operating Mode                : Off
      branch-sw1#
  - "show running-config\n": |-
      show running-config\r
      Building configuration...\r
      \r
      Current configuration : 1234 bytes\r
      !\r
      version 15.2\r
      hostname branch-sw1\r
      snmp-server community Rep1ayComm RO\r
       --More--\x20
  - " ": |-
      \r          \r!\r
      interface GigabitEthernet1/0/1\r
       description \"uplink\"\r
      end\r
      \r
      branch-sw1#
  - "exit\n": ""
'''

EXEC_SESSION = r'''---
init_prompt:
commands:
  "/export show-sensitive\n": |-
    # 2025-01-02 03:04:05 by RouterOS 7.16
    # software id = AB-CD
    /interface ethernet
    set [ find default-name=ether1 ] comment=uplink
    /user
    add name=netops password=Exec-Pw-1 group=full
  "/system resource print\n": |-
    \x20 version: 7.16 (stable)
  "quit\n": |-
    interrupted
'''


FORTIGATE_SESSION = r'''---
init_prompt: |-
    FW-BRANCH #\x20
commands:
  - "get system status\n": |-
      get system status\r\r
      Version: FortiGate-60F v7.4.8,build2795,250523 (GA.M)\r
      Serial-Number: FGT60F0000000000\r
      --More--\x20
  - " ": |-
      \r         \rHostname: FW-BRANCH\r
      Virtual domain configuration: multiple\r
      System time: Wed Jan 12 12:12:12 2026\r
      \r
      FW-BRANCH #\x20
  - "config global\n": |-
      config global\r\r
      \r
      FW-BRANCH (global) #\x20
  - "end\n": |-
      end\r\r
      \r
      FW-BRANCH #\x20
  - "show | grep .\n": |-
      show | grep .\r\r
      #config-version=FGT60F-7.4.8-FW-build2795-250523:opmode=0:vdom=1:user=admin\r
      #conf_file_ver=2841660000000000\r
      config global\r
      config system global\r
          set hostname \"FW-BRANCH\"\r
      end\r
      config system admin\r
          edit \"admin\"\r
              set password ENC SH2AAAABBBBCCCCDDDD\r
          next\r
      end\r
      end\r
      \r
      FW-BRANCH #\x20
  - "exit\n": |-
      exit\r\r
'''


NO_ECHO_SESSION = r'''---
init_prompt: |-
  edge1#
commands:
  "show running-config\n": |-
    !
    hostname edge1
    snmp-server community NoEch0Comm RO
    end
'''


def _write(tmp_path: Path, name: str, text: str) -> Recording:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return Recording.load(path)


def test_ruby_escapes_are_read_as_oxidized_reads_them() -> None:
    assert ruby_unescape(r"a\x20") == "a "
    assert ruby_unescape(r"\e[4m\rsw#\e[m") == "\x1b[4m\rsw#\x1b[m"
    assert ruby_unescape(r'say \"hi\"\t\\') == 'say "hi"\t\\'
    assert ruby_unescape(r"caf\u00e9 \101") == "café A"
    assert ruby_unescape(None) == ""


def test_simulation_files_load_in_both_layouts(tmp_path: Path) -> None:
    ios = _write(tmp_path, "ios#C2960X_15.2#simulation.yaml", IOS_SESSION)
    assert ios.verbatim and not ios.exec_only and ios.platform == "ios"
    assert [key for key, _ in ios.script][:5] == ["terminal length 0\n", "show version\n",
                                                   "show vtp status\n", " ",
                                                   "show running-config\n"]
    assert ios.init_prompt.endswith("branch-sw1#\x1b[m ")
    routeros = _write(tmp_path, "routeros#CHR#simulation.yaml", EXEC_SESSION)
    assert routeros.exec_only, "answers without echo: recorded over exec requests"
    assert "/export show-sensitive" in routeros.commands


def test_unknown_simulation_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown simulation keys"):
        _write(tmp_path, "x#y#simulation.yaml", "init_prompt: x\ncommands: {}\nprompt: y\n")


@pytest.mark.parametrize("filters,expected", [
    (("include Version",), ["Version: 7.4.7"]),
    (("exclude ^#",), ["Version: 7.4.7", "Serial: FGT0"]),
    (("grep -v Serial",), ["#header", "Version: 7.4.7"]),
    (("begin Serial",), ["Serial: FGT0"]),
])
def test_pipe_filters_are_applied_to_recorded_output(filters: tuple[str, ...],
                                                     expected: list[str]) -> None:
    text = "#header\nVersion: 7.4.7\nSerial: FGT0"
    assert apply_filters(text, filters).split("\n") == expected


def test_an_oxidized_session_is_backed_up_through_netmiko(tmp_path: Path,
                                                          site: BackupSite) -> None:
    """netmiko sends commands the recording lacks (terminal width 511, bare Enter): each gets
    its echo and the current prompt; the pager's keypress plays the recorded next page of
    the command it follows (not the page of `show vtp status`, which netdoc never asks)."""
    recording = _write(tmp_path, "ios#C2960X_15.2#simulation.yaml", IOS_SESSION)
    recording.username, recording.password = "netdoc", "lab-pass"
    site.add(recording, "branch-sw1", "ios")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("branch-sw1") or ""
    lines = stored.split("\n")
    assert lines[:3] == ["!", "version 15.2", "hostname branch-sw1"]
    assert "Rep1ayComm" not in stored and "snmp-server community <masked:" in stored
    assert " description \"uplink\"" in lines and stored.endswith("end\n")
    assert "More" not in stored and "\r" not in stored and "\x1b" not in stored
    assert "VTP" not in stored
    assert site.meta("branch-sw1").get("serial") == "FOC2000X0AB"


def test_netmikos_fortinet_driver_meets_a_recording_made_without_it(
        tmp_path: Path, site: BackupSite) -> None:
    """FortiOS with VDOMs: netmiko asks `get system status | grep ...` (answered from the two
    recorded pages, filtered), `get system console` (a plausible set-up answer), enters
    `config global`; netdoc's `show` is answered by the recorded `show | grep .`."""
    recording = _write(tmp_path, "fortigate#FGT60F#simulation.yaml", FORTIGATE_SESSION)
    recording.username, recording.password = "netdoc", "lab-pass"
    site.add(recording, "fw1", "fortigate")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("fw1") or ""
    assert stored.startswith("#config-version=FGT60F-7.4.8")
    assert "conf_file_ver" not in stored and stored.endswith("end\n")
    assert "SH2AAAABBBBCCCCDDDD" not in stored and "set password ENC <masked:" in stored
    assert site.meta("fw1").get("serial") == "FGT60F0000000000"


def test_a_recording_without_echo_but_with_a_prompt_plays_over_a_shell(
        tmp_path: Path, site: BackupSite) -> None:
    recording = _write(tmp_path, "ios#noecho#simulation.yaml", NO_ECHO_SESSION)
    assert not recording.echoed and not recording.exec_only
    recording.username, recording.password = "netdoc", "lab-pass"
    site.add(recording, "edge1", "ios")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("edge1") or ""
    assert stored.startswith("!\nhostname edge1\n") and stored.endswith("end\n")
    assert "NoEch0Comm" not in stored


def test_an_exec_recording_answers_exec_requests(tmp_path: Path, site: BackupSite) -> None:
    recording = _write(tmp_path, "routeros#CHR#simulation.yaml", EXEC_SESSION)
    recording.username, recording.password = "netdoc", "lab-pass"
    site.add(recording, "gw1", "routeros")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("gw1") or ""
    assert stored.startswith("# software id = AB-CD\n/interface ethernet\n")
    assert "Exec-Pw-1" not in stored and "password=<masked:" in stored
