"""First contact over SNMP (netdoc/discover/probe.py) against a real net-snmp snmpd on
127.0.0.1, a port that swallows every datagram (a firewall's DROP) and a closed port.

A host is worth a full poll only when it answered something; silence costs one short
timeout per round and no retries; an agent that answers the first community never sees
a second one; what was decided is remembered for the next run.
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.config import CredentialSet, SnmpCredential
from netdoc.discover.probe import (CLOSED, COMMUNITY, NO_CREDENTIAL, POLLED, SILENT, V3,
                                   ReachBook, first_contact)
from netdoc.secrets import Secret
from support.snmp_agents import (COMMUNITY as RIGHT, V3_AUTH_KEY, V3_PRIV_KEY, V3_USER, Agent,
                                 agent_or_skip, free_udp_port, start_snmpd)

TIMEOUT = 0.4  # the probe timeout in these tests
SNMP_IN_BAD_COMMUNITY_NAMES = "1.3.6.1.2.1.11.4.0"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    yield from agent_or_skip(lambda: start_snmpd(tmp_path_factory.mktemp("snmpd")))


@pytest.fixture
def drop_port() -> Iterator[int]:
    """A UDP port held open that never answers: what a host dropping SNMP looks like."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def community(name: str, value: str) -> CredentialSet:
    return CredentialSet(name, snmp=SnmpCredential(version="2c", community=Secret(value)))


def v3_set(name: str = "v3") -> CredentialSet:
    return CredentialSet(name, snmp=SnmpCredential(version="3", user=V3_USER, auth="sha",
                                                   auth_key=Secret(V3_AUTH_KEY), priv="aes",
                                                   priv_key=Secret(V3_PRIV_KEY)))


def contact(port: int, sets: list[CredentialSet], was_silent: bool = False) -> tuple[object, float]:
    started = time.monotonic()
    reach = asyncio.run(first_contact("127.0.0.1", port, sets, TIMEOUT, was_silent))
    return reach, time.monotonic() - started


def bad_community_count(agent: Agent) -> int:
    done = subprocess.run(["snmpget", "-v2c", "-c", RIGHT, "-Oqv", "-t", "1", "-r", "1",
                           f"127.0.0.1:{agent.port}", SNMP_IN_BAD_COMMUNITY_NAMES],
                          capture_output=True, text=True, timeout=10)
    return int(done.stdout.strip() or 0)


def test_the_right_community_answers_at_once_and_is_tried_first(agent: Agent) -> None:
    sets = [community("wrong", "not-this-one"), community("right", RIGHT)]
    reach, seconds = contact(agent.port, [sets[1], sets[0]])
    assert reach.verdict == COMMUNITY and reach.credential == "right"  # type: ignore[attr-defined]
    assert reach.rounds == 1  # type: ignore[attr-defined]
    assert seconds < TIMEOUT  # it did not wait for anything else
    assert [s.name for s in reach.order(sets)] == ["right", "wrong"]  # type: ignore[attr-defined]


def test_an_agent_that_answered_the_first_community_never_sees_another(agent: Agent) -> None:
    before = bad_community_count(agent)
    reach, _ = contact(agent.port, [community("right", RIGHT), community("other", "guess-2"),
                                    community("third", "guess-3")])
    assert reach.verdict == COMMUNITY  # type: ignore[attr-defined]
    assert bad_community_count(agent) == before  # no authentication failure caused


def test_the_other_communities_are_asked_only_after_silence(agent: Agent) -> None:
    reach, _ = contact(agent.port, [community("wrong", "not-this-one"), community("right", RIGHT)])
    assert reach.verdict == COMMUNITY and reach.credential == "right"  # type: ignore[attr-defined]
    assert reach.rounds == 2  # type: ignore[attr-defined]


def test_v3_engine_discovery_reveals_an_agent_without_credentials(agent: Agent) -> None:
    sets = [community("wrong", "not-this-one"), v3_set()]
    reach, seconds = contact(agent.port, sets)
    assert reach.verdict == V3  # type: ignore[attr-defined]
    # the Report came back in a millisecond: the community got a grace of a few round
    # trips, not the whole timeout
    assert seconds < TIMEOUT
    assert [s.name for s in reach.order(sets)] == ["v3", "wrong"]  # type: ignore[attr-defined]


def test_an_agent_none_of_the_sets_opens_is_not_polled(agent: Agent) -> None:
    reach, _ = contact(agent.port, [community("a", "guess-1"), community("b", "guess-2")])
    assert reach.verdict == NO_CREDENTIAL and not reach.answered  # type: ignore[attr-defined]


def test_silence_costs_one_short_timeout_per_round_and_no_retry(drop_port: int) -> None:
    reach, seconds = contact(drop_port, [v3_set(), community("a", "guess-1")])
    assert reach.verdict == SILENT and not reach.answered  # type: ignore[attr-defined]
    assert reach.rounds == 1  # type: ignore[attr-defined]
    assert TIMEOUT * 0.9 <= seconds < TIMEOUT + 0.3


def test_a_host_silent_last_run_gets_all_communities_in_a_single_round(drop_port: int) -> None:
    sets = [community("a", "guess-1"), community("b", "guess-2"), community("c", "guess-3")]
    first, first_seconds = contact(drop_port, sets)
    again, again_seconds = contact(drop_port, sets, was_silent=True)
    assert first.rounds == 2 and again.rounds == 1  # type: ignore[attr-defined]
    assert first_seconds >= 2 * TIMEOUT * 0.9
    assert again_seconds < TIMEOUT + 0.3


def test_a_host_silent_last_run_that_now_answers_is_noticed(agent: Agent) -> None:
    reach, _ = contact(agent.port, [community("a", "guess-1"), community("right", RIGHT)],
                       was_silent=True)
    assert reach.verdict == COMMUNITY and reach.credential == "right"  # type: ignore[attr-defined]


def test_a_closed_port_ends_the_contact_at_once() -> None:
    reach, seconds = contact(free_udp_port(), [community("a", "guess-1"), community("b", "x")])
    assert reach.verdict == CLOSED  # type: ignore[attr-defined]
    assert seconds < TIMEOUT


def test_the_decisions_are_remembered_between_runs(tmp_path: Path) -> None:
    book = ReachBook()
    book.note("192.0.2.10", SILENT)
    book.note("192.0.2.11", POLLED)
    book.save(tmp_path)
    again = ReachBook.load(tmp_path)
    assert again.was_silent("192.0.2.10") and not again.polled("192.0.2.10")
    assert again.polled("192.0.2.11") and not again.was_silent("192.0.2.11")
    assert not again.was_silent("192.0.2.12") and not again.polled("192.0.2.12")
    again.note("192.0.2.10", SILENT)
    assert again.entries["192.0.2.10"]["quiet_runs"] == 2
    again.note("192.0.2.10", COMMUNITY)  # it began answering
    assert again.entries["192.0.2.10"]["quiet_runs"] == 0
    assert not again.was_silent("192.0.2.10")


def test_hosts_not_met_for_months_are_forgotten(tmp_path: Path) -> None:
    book = ReachBook({"192.0.2.30": {"verdict": SILENT, "quiet_runs": 4,
                                     "seen": "2020-01-01T00:00:00Z"}})
    book.note("192.0.2.31", SILENT)
    book.save(tmp_path)
    assert set(ReachBook.load(tmp_path).entries) == {"192.0.2.31"}


def test_a_damaged_state_file_is_a_fresh_start(tmp_path: Path) -> None:
    (tmp_path / "snmp-reach.json").write_text("[1, 2")
    assert ReachBook.load(tmp_path).entries == {}
