"""Hostile and failing agents: every poll ends, within its budget, with a reason.

The agent is tests/support/hostile_snmp_agent.py, a real UDP agent on 127.0.0.1
that misbehaves on purpose.
"""
from __future__ import annotations

import asyncio
import time

from netdoc.discover.collectors.snmp import poll_device
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
from netdoc.secrets import Secret
from support.hostile_snmp_agent import HostileAgent

CREDENTIALS = [CredentialSet("lab", snmp=SnmpCredential(version="2c", community=Secret("public")))]
SETTINGS = SnmpSettings(timeout=0.3, retries=1, max_repetitions=10, device_budget=3.0)


def poll(agent: HostileAgent, settings: SnmpSettings = SETTINGS):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = asyncio.run(poll_device("127.0.0.1", agent.port, CREDENTIALS, settings))
    return result, time.monotonic() - started


def test_a_well_behaved_agent_is_read_completely() -> None:
    with HostileAgent("ok") as agent:
        result, _ = poll(agent)
    assert result.error == "" and result.warnings == []
    assert result.device is not None
    assert [i.name for i in result.device.interfaces] == ["lo", "eth0", "eth1"]


def test_a_slow_agent_within_the_timeout_is_read_completely() -> None:
    with HostileAgent("slow", delay=0.05) as agent:
        result, _ = poll(agent, SnmpSettings(timeout=0.5, retries=0, device_budget=20))
    assert result.device is not None and len(result.device.interfaces) == 3


def test_an_agent_too_slow_for_the_budget_keeps_what_was_read_when_the_budget_is_spent() -> None:
    with HostileAgent("slow", delay=0.25) as agent:
        result, seconds = poll(agent, SnmpSettings(timeout=1.0, retries=0, device_budget=1.5))
    assert result.device is not None and result.device.hostname == "hostile"
    assert any("time budget of 1.5 s used up" in w for w in result.warnings)
    assert result.device.warnings == result.warnings
    assert seconds < 1.5 + 1.0


def test_non_increasing_oids_end_the_walk_and_the_device_is_still_reported() -> None:
    with HostileAgent("loop") as agent:
        result, seconds = poll(agent)
    assert result.device is not None and result.device.hostname == "hostile"
    assert any("OIDs not increasing; walk stopped" in w for w in result.warnings)
    assert seconds < SETTINGS.device_budget


def test_malformed_values_end_the_walk_and_the_device_is_still_reported() -> None:
    with HostileAgent("malformed") as agent:
        result, seconds = poll(agent)
    assert result.device is not None and result.device.hostname == "hostile"
    assert any("malformed message" in w for w in result.warnings)
    assert seconds < SETTINGS.device_budget + 1


def test_a_device_that_disappears_mid_walk_keeps_what_it_said_with_a_warning() -> None:
    with HostileAgent("vanish", answers=3) as agent:
        result, seconds = poll(agent)
    assert result.device is not None and result.device.hostname == "hostile"
    assert result.error == ""
    gone = [w for w in result.warnings if "stopped answering during the poll" in w]
    assert len(gone) == 1  # said once, with the reason (silence, or the budget spent on it)
    assert "no answer from 127.0.0.1" in gone[0] or "time budget" in gone[0]
    assert seconds < SETTINGS.device_budget + 1


def test_an_agent_that_answers_nothing_fails() -> None:
    with HostileAgent("vanish", answers=0) as agent:
        result, _ = poll(agent)
    assert result.device is None and result.no_answer
