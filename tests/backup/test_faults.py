"""Faults: each failing device fails alone, with its reason, and keeps its last good backup.

Every test backs up a healthy device beside the faulty one: the healthy one
must be stored as usual. The faulty device first gets a good backup, then
misbehaves; its stored file must be byte-for-byte what it was.
"""
from __future__ import annotations

from dataclasses import replace

import asyncssh

from backup_helpers import BackupSite, failure_for, load_recording  # type: ignore[import-not-found]
from netdoc.backup.hostkeys import HostKeyStore
from netdoc.backup.state import load_states, state_dir
from support.replay_server import Faults

CONFIG_COMMAND = "show running-config"


def _good_then(site: BackupSite, fault: Faults | None = None, credentials: list[str] | None
               = None, recording: str = "cisco_ios") -> tuple[str, str]:
    """A first run stores sw1 and sw2; sw2 is then served with `fault`. Returns sw1, sw2 texts."""
    site.add("cisco_ios", "sw1")
    faulty = site.add(recording, "sw2")
    first = site.run()
    assert first.failures == []
    good = site.stored("sw2")
    assert good is not None
    site.server.stop(faulty.served)
    site.devices.remove(faulty)
    site.add(recording, "sw2", faults=fault, credentials=credentials,
             port=faulty.served.port, host_key=faulty.served.host_key)
    return site.stored("sw1") or "", good


def _assert_kept(site: BackupSite, good: str, commits_before: int) -> None:
    assert site.stored("sw2") == good, "the last good backup was replaced"
    assert site.commit_count() == commits_before


def test_wrong_password_fails_that_device_alone(site: BackupSite) -> None:
    _, good = _good_then(site, credentials=["wrong"])
    commits = site.commit_count()
    outcome = site.run()
    reason = failure_for(outcome, "sw2")
    assert "login refused" in reason and "wrong" in reason
    assert "last good backup" in reason
    assert [f.name for f in outcome.failures] == ["hq/sw2"]
    _assert_kept(site, good, commits)


def test_wrong_password_then_a_working_credential_set_is_used(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1", credentials=["wrong", "lab"])
    outcome = site.run()
    assert outcome.failures == []
    assert site.meta("sw1")["credential_set"] == "lab"


def test_wrong_enable_secret(site: BackupSite) -> None:
    _, good = _good_then(site, credentials=["wrong-enable"])
    commits = site.commit_count()
    outcome = site.run()
    assert "enable (privileged mode) refused" in failure_for(outcome, "sw2")
    _assert_kept(site, good, commits)


def test_changed_host_key_fails_loudly_until_accepted(site: BackupSite) -> None:
    sw1 = site.add("cisco_ios", "sw1")
    sw2 = site.add("cisco_ios", "sw2")
    assert site.run().failures == []
    good = site.stored("sw2") or ""
    config = site.config()
    keys = HostKeyStore(state_dir(config, "acme"))
    remembered = keys.known(sw2.served.host, sw2.served.port)
    assert remembered is not None
    # the device is replaced (or someone sits in the middle): a new key on the same address
    site.server.stop(sw2.served)
    site.devices.remove(sw2)
    new_key = asyncssh.generate_private_key("ssh-ed25519")
    replaced = site.add("cisco_ios", "sw2", port=sw2.served.port, host_key=new_key)
    commits = site.commit_count()

    outcome = site.run()
    reason = failure_for(outcome, "sw2")
    assert "host key CHANGED" in reason and "man-in-the-middle" in reason
    assert "netdoc hostkey accept" in reason
    _assert_kept(site, good, commits)
    assert keys.known(sw2.served.host, sw2.served.port) == remembered, "key silently replaced"
    assert site.stored("sw1") is not None and sw1.served.port != sw2.served.port

    accepted = keys.accept(replaced.served.host, replaced.served.port)
    assert accepted.old == remembered and accepted.new != remembered
    assert site.run().failures == []


def test_device_that_stops_answering_mid_config_is_cut_off(site: BackupSite) -> None:
    site.backup = {"timeout": 4}
    _, good = _good_then(site, Faults(stall_after={CONFIG_COMMAND: 900}))
    commits = site.commit_count()
    outcome = site.run()
    reason = failure_for(outcome, "sw2")
    assert "stopped answering mid-output" in reason or "time limit" in reason
    _assert_kept(site, good, commits)
    assert outcome.seconds < 20, "a hanging device must not hold the run beyond its limit"


def test_endless_pager_is_refused(site: BackupSite) -> None:
    site.backup = {"timeout": 4}
    _, good = _good_then(site, Faults(endless_pager=True))
    commits = site.commit_count()
    outcome = site.run()
    reason = failure_for(outcome, "sw2")
    assert "pager" in reason
    _assert_kept(site, good, commits)


def test_prompt_redrawn_before_the_echo_does_not_end_the_answer(site: BackupSite) -> None:
    """A log message and a redrawn prompt that arrive between sending a command and its
    echo belong to no answer: the version and the config are still read whole."""
    site.add("cisco_ios", "sw1")
    site.add("cisco_ios", "sw2", faults=Faults(log_before=("show version", CONFIG_COMMAND)))
    outcome = site.run()
    assert outcome.failures == []
    assert site.stored("sw2") == site.stored("sw1")
    assert site.meta("sw2")["version"] == site.meta("sw1")["version"]
    assert "LINK-3-UPDOWN" not in (site.stored("sw2") or "")


def test_empty_config_is_refused(site: BackupSite) -> None:
    rec = load_recording("cisco_ios")
    site.add("cisco_ios", "sw1")
    site.add(rec, "sw2")
    assert site.run().failures == []
    good = site.stored("sw2") or ""
    empty = replace(rec, commands={**rec.commands, CONFIG_COMMAND: ""})
    _replace_device(site, "sw2", empty)
    commits = site.commit_count()
    outcome = site.run()
    assert "empty configuration" in failure_for(outcome, "sw2")
    _assert_kept(site, good, commits)


def test_truncated_config_without_end_marker_is_refused(site: BackupSite) -> None:
    rec = load_recording("cisco_ios")
    site.add(rec, "sw2")
    site.add("cisco_ios", "sw1")
    assert site.run().failures == []
    good = site.stored("sw2") or ""
    text = rec.commands[CONFIG_COMMAND]
    cut = replace(rec, commands={**rec.commands, CONFIG_COMMAND: text[:text.index("line con 0")]})
    _replace_device(site, "sw2", cut)
    commits = site.commit_count()
    outcome = site.run()
    assert "end marker" in failure_for(outcome, "sw2")
    _assert_kept(site, good, commits)


def test_config_that_shrank_beyond_the_limit_is_refused(site: BackupSite) -> None:
    rec = load_recording("cisco_ios")
    site.add(rec, "sw2")
    assert site.run().failures == []
    good = site.stored("sw2") or ""
    text = rec.commands[CONFIG_COMMAND]
    start, stop = text.index("interface GigabitEthernet1/0/1"), text.index("ip default-gateway")
    shrunk = replace(rec, commands={**rec.commands, CONFIG_COMMAND: text[:400] + text[stop:]})
    assert start > 0
    _replace_device(site, "sw2", shrunk)
    site.backup = {"shrink_limit": 0.8}
    commits = site.commit_count()
    outcome = site.run()
    assert "shrank" in failure_for(outcome, "sw2")
    _assert_kept(site, good, commits)


def test_unreachable_device_fails_fast_with_reason(site: BackupSite) -> None:
    site.add("cisco_ios", "sw1")
    dead = site.add("cisco_ios", "sw2")
    site.server.stop(dead.served)  # nothing listens on its port any more
    outcome = site.run()
    assert "no SSH answer" in failure_for(outcome, "sw2")
    assert site.stored("sw1") is not None


def test_failures_are_counted_and_persist_across_runs(site: BackupSite) -> None:
    _good_then(site, credentials=["wrong"])
    site.run()
    outcome = site.run()
    assert "failure 2 in a row" in failure_for(outcome, "sw2")
    states = load_states(state_dir(site.config(), "acme"))
    assert states["hq/sw2"].consecutive_failures == 2
    assert states["hq/sw2"].last_success > 0 and "login refused" in states["hq/sw2"].last_error
    assert states["hq/sw1"].consecutive_failures == 0
    assert states["hq/sw1"].last_success >= states["hq/sw2"].last_success


def _replace_device(site: BackupSite, name: str, recording: object) -> None:
    device = next(d for d in site.devices if d.name == name)
    site.server.stop(device.served)
    site.devices.remove(device)
    site.add(recording, name, port=device.served.port,  # type: ignore[arg-type]
             host_key=device.served.host_key)
