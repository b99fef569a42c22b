"""Real SNMP agents on loopback for the SNMP tests, stopped by PID even when a test fails."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.snmp_agents import Agent, agent_or_skip, start_snmpd, start_snmpsim  # noqa: E402

WALKS = Path(__file__).resolve().parents[1] / "fixtures" / "walks"


@pytest.fixture(scope="module")
def snmpd_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    yield from agent_or_skip(lambda: start_snmpd(tmp_path_factory.mktemp("snmpd")))


@pytest.fixture
def fresh_snmpd(tmp_path: Path) -> Iterator[Agent]:
    """An snmpd of the test's own, for tests that kill it."""
    yield from agent_or_skip(lambda: start_snmpd(tmp_path))


@pytest.fixture(scope="module")
def snmpsim_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    yield from agent_or_skip(
        lambda: start_snmpsim(WALKS, tmp_path_factory.mktemp("snmpsim"), "printer_hp"))
