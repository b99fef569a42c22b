"""Config facts in the backup stage: the facts file is committed with the config, a
policy added on the device is reported in plain words beside the line diff, and a
config the parser cannot read is a warning, never a failed backup.

The device is the recorded FortiGate session, played by the project's SSH replay
server on 127.0.0.1 and backed up with netdoc's real transport.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Iterator

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backup"))

from backup_helpers import BackupSite, load_recording, swap_recording  # noqa: E402
from netdoc.app.alerts import compose  # noqa: E402
from netdoc.facts.store import changes_between  # noqa: E402
from support.replay_server import ReplayServer  # noqa: E402

NEW_POLICY = """    edit 12
        set name "rdp-in"
        set srcintf "wan1"
        set dstintf "internal1"
        set action accept
        set srcaddr "all"
        set dstaddr "rdp-host"
        set schedule "always"
        set service "RDP"
    next
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BackupSite]:
    monkeypatch.setenv("NETDOC_TEST_SSH", "lab-pass")
    monkeypatch.setenv("NETDOC_TEST_ENABLE", "lab-enable")
    monkeypatch.setenv("NETDOC_TEST_WRONG", "not-the-password")
    with ReplayServer() as server:
        yield BackupSite(tmp_path, server)


def _with_policy_12() -> object:
    recording = copy.deepcopy(load_recording("fortinet_fortigate"))
    for command, answer in recording.commands.items():
        if 'set name "lan-to-wan"' in answer:
            marker = "config firewall policy\n"
            recording.commands[command] = answer.replace(marker, marker + NEW_POLICY, 1)
            return recording
    raise AssertionError("the FortiGate recording has no firewall policy table")


def test_facts_are_committed_with_the_config_and_changes_are_said_in_plain_words(
        site: BackupSite) -> None:
    site.add("fortinet_fortigate", "fw1")
    first = site.run()
    assert not first.failures
    facts_file = site.repo / "hq" / "fw1.facts.yaml"
    facts = yaml.safe_load(facts_file.read_text(encoding="utf-8"))
    assert facts["parser"] == "fortios"
    assert [v["peer"] for v in facts["vpns"]] == ["198.51.100.7"]
    assert "hq/fw1.facts.yaml" in site.git("ls-files")          # in the backup's commit
    assert "masked" not in facts_file.read_text(encoding="utf-8")

    swap_recording(site, "fw1", _with_policy_12())
    second = site.run()
    assert not second.failures
    event = next(e for e in second.events if e.kind == "config_changed")
    assert "firewall policy 12 (rdp-in) added: wan1 → internal1: all → rdp-host RDP allow" \
        in event.facts_changes
    assert "+        set name \"rdp-in\"" in event.diff   # the line diff stays
    assert site.git("show", "--name-only", "--format=", "HEAD").split() == \
        ["hq/fw1.cfg", "hq/fw1.facts.yaml"]
    alert = compose("acme", second.events, "ok")
    assert "  * firewall policy 12 (rdp-in) added" in alert["text"]
    # the site's change page reads the same words from git
    assert changes_between(site.repo, "hq/fw1", "HEAD~1", "HEAD") == event.facts_changes


def test_a_config_the_parser_cannot_read_is_a_warning_not_a_failure(
        site: BackupSite, monkeypatch: pytest.MonkeyPatch) -> None:
    from netdoc import facts as facts_module

    monkeypatch.setitem(facts_module.PARSERS, "fortios", "netdoc.facts.cisco:no_such_parser")
    site.add("fortinet_fortigate", "fw1")
    outcome = site.run()
    assert not outcome.failures
    assert site.stored("fw1")
    assert not (site.repo / "hq" / "fw1.facts.yaml").exists()
    assert any("fw1" in change and "facts not updated" in change for change in outcome.changes)
