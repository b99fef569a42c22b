"""Partial results: one failing table costs that table, never the device.

A table that times out or errors is skipped with a warning (in the poll result and in
the device record); only a device that answers nothing at all fails. Walks step over
OIDs that do not increase, the way net-snmp's `snmpwalk -Cc` does, with a loop guard.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Sequence

import pytest

from netdoc.discover.collectors.snmp import collect, poll_device
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
from netdoc.errors import SnmpError, SnmpTimeout
from netdoc.secrets import Secret
from netdoc.discover.snmp.client import MAX_OUT_OF_ORDER, WalkGuard
from netdoc.discover.snmp.recorded import RecordedTransport
from netdoc.discover.snmp.values import SnmpValue, VarBind
from support.hostile_snmp_agent import HostileAgent, build_response, parse_request
from support.snmp_agents import Agent

WALKS = Path(__file__).resolve().parents[1] / "fixtures" / "walks"
BRIDGE_MIB = "1.3.6.1.2.1.17"


class SlowTables(RecordedTransport):
    """A recorded device whose tables under some roots time out (a slow BRIDGE-MIB on
    IOS-XE is the classic), or that falls silent after its system group."""

    def __init__(self, path: Path, slow: Sequence[str] = (), silent_after_system: bool = False):
        super().__init__(path)
        self.slow = tuple(slow)
        self.silent = False
        self.silent_after_system = silent_after_system
        self.requests = 0

    async def get(self, oids: Sequence[str]) -> dict[str, SnmpValue]:
        self.requests += 1
        if self.silent:
            raise SnmpTimeout(self.host, "no answer from recorded to GET (2 tries of 1 s)")
        answer = await super().get(oids)
        self.silent = self.silent_after_system
        return answer

    async def walk(self, root: str) -> list[VarBind]:
        self.requests += 1
        if self.silent or any(root == s or root.startswith(s + ".") for s in self.slow):
            raise SnmpTimeout(self.host, f"no answer from recorded to GETBULK {root}")
        return await super().walk(root)

    def for_vlan(self, vlan: int) -> "SlowTables":
        view = SlowTables(self.path.with_name(f"{self.path.stem}@{vlan}.snmprec"), self.slow)
        return view


def test_a_table_that_times_out_is_skipped_and_the_device_keeps_everything_else() -> None:
    whole, _ = asyncio.run(collect(RecordedTransport(WALKS / "cisco_ios_cdp.snmprec")))
    device, warnings = asyncio.run(collect(SlowTables(WALKS / "cisco_ios_cdp.snmprec",
                                                      slow=[BRIDGE_MIB])))
    assert device.fdb == [] and whole.fdb  # the bridge table is what was lost
    assert (device.hostname, device.model, device.serial, device.version) == \
        (whole.hostname, whole.model, whole.serial, whole.version)
    assert device.interfaces == whole.interfaces and device.neighbors == whole.neighbors
    assert device.arp == whole.arp
    assert warnings and all("BRIDGE-MIB" in w for w in warnings)
    assert device.warnings == warnings


def test_a_device_that_falls_silent_after_its_system_group_keeps_who_it_is() -> None:
    transport = SlowTables(WALKS / "junos_ex.snmprec", silent_after_system=True)
    device, warnings = asyncio.run(collect(transport))
    assert device.hostname and device.vendor == "Juniper" and device.interfaces == []
    assert len(warnings) == 1 and "stopped answering during the poll" in warnings[0]
    # after the device is known gone, the remaining tables are not asked for at all
    assert transport.requests < 40


def test_an_agent_that_answers_nothing_fails_the_poll() -> None:
    async def silent(host: str, port: int, credential: SnmpCredential, settings: SnmpSettings,
                     deadline: float) -> SlowTables:
        transport = SlowTables(WALKS / "junos_ex.snmprec")
        transport.silent = True
        return transport

    result = asyncio.run(poll_device("192.0.2.10", 161, [CredentialSet("lab", snmp=SnmpCredential(
        version="2c", community=Secret("public")))], SnmpSettings(), opener=silent))
    assert result.device is None and "no answer" in result.error and result.no_answer


def test_an_unsorted_ip_address_table_is_read_whole() -> None:
    strict_order = RecordedTransport(WALKS / "unsorted_ipaddr.snmprec", order="recorded")
    device, warnings = asyncio.run(collect(strict_order))
    assert warnings == []
    assert {i.name: i.ipv4 for i in device.interfaces} == {
        "lo": ["127.0.0.1/8"], "eth0": ["203.0.113.9/29"], "eth1": ["192.0.2.1/24"],
        "eth2": ["198.51.100.1/24"]}


def test_the_replay_answers_getnext_in_the_agents_order_or_lexicographically() -> None:
    column = "1.3.6.1.2.1.4.20.1.2"
    agent_order = RecordedTransport(WALKS / "unsorted_ipaddr.snmprec", order="recorded")
    assert agent_order.next_after(f"{column}.127.0.0.1") == (f"{column}.203.0.113.9", 2)
    assert agent_order.next_after(f"{column}.203.0.113.9") == (f"{column}.198.51.100.1", 4)
    correct = RecordedTransport(WALKS / "unsorted_ipaddr.snmprec")
    assert correct.next_after(f"{column}.127.0.0.1") == (f"{column}.192.0.2.1", 3)
    both = [asyncio.run(t.walk(column)) for t in (agent_order, correct)]
    assert both[0] == both[1] and len(both[0]) == 4  # in OID order either way
    with pytest.raises(ValueError):
        RecordedTransport(WALKS / "unsorted_ipaddr.snmprec", order="random")


def test_the_unsorted_table_comes_whole_over_udp(snmpsim_agent: Agent) -> None:
    credential = [CredentialSet("u", snmp=SnmpCredential(version="2c",
                                                         community=Secret("unsorted_ipaddr")))]
    result = asyncio.run(poll_device("127.0.0.1", snmpsim_agent.port, credential,
                                     SnmpSettings(timeout=2.0, retries=1, device_budget=30)))
    assert result.device is not None, result.error
    assert sorted(a for i in result.device.interfaces for a in i.ipv4) == \
        ["127.0.0.1/8", "192.0.2.1/24", "198.51.100.1/24", "203.0.113.9/29"]


# ---------------------------------------------------------------- the walk's loop guard

def test_out_of_order_oids_are_stepped_over_and_sorted() -> None:
    guard = WalkGuard("1.3.6.1.2.1.4.20.1.2")
    for oid, value in (("1.3.6.1.2.1.4.20.1.2.10.0.0.9", 2), ("1.3.6.1.2.1.4.20.1.2.10.0.0.1", 1),
                       ("1.3.6.1.2.1.4.20.1.2.10.0.0.5", 3)):
        assert guard.take(oid, value)
    assert guard.out_of_order == 1 and guard.stopped == ""
    assert [oid[-1] for oid, _ in guard.result()] == ["1", "5", "9"]


def test_an_oid_seen_again_is_a_loop_and_ends_the_walk() -> None:
    guard = WalkGuard("1.3.6.1.2.1.2.2.1.2")
    assert guard.take("1.3.6.1.2.1.2.2.1.2.1", b"lo")
    assert guard.take("1.3.6.1.2.1.2.2.1.2.2", b"eth0")
    assert not guard.take("1.3.6.1.2.1.2.2.1.2.1", b"lo")
    assert "a loop" in guard.stopped and "after 2 values" in guard.stopped
    assert len(guard.result()) == 2


def test_endless_out_of_order_answers_are_cut_at_a_bound() -> None:
    guard = WalkGuard("1.3.6.1.4.1.99")
    taken = 0
    for n in range(MAX_OUT_OF_ORDER + 10, 0, -1):  # every answer lower than the one before
        if not guard.take(f"1.3.6.1.4.1.99.{n}", n):
            break
        taken += 1
    assert taken == MAX_OUT_OF_ORDER + 1 and "out of order" in guard.stopped


def test_a_botched_table_is_a_warning_with_the_tables_name() -> None:
    class Botched(RecordedTransport):
        async def walk(self, root: str) -> list[VarBind]:
            if root.startswith("1.3.6.1.2.1.47."):
                raise SnmpError(self.host, "agent answered with error-status 5 (genErr)")
            return await super().walk(root)

    device, warnings = asyncio.run(collect(Botched(WALKS / "junos_ex.snmprec")))
    assert device.interfaces and warnings
    assert all(w.startswith("ENTITY-MIB entPhysicalTable") and "genErr" in w for w in warnings)


class BulkLimitedAgent(HostileAgent):
    """An agent whose large GETBULK replies never arrive (fragments dropped on the way, or
    an agent that gives up on them): requests for a few rows at a time are answered."""

    def __init__(self) -> None:
        super().__init__("ok")
        self.dropped = 0

    def _on_datagram(self) -> None:
        data, peer = self._sock.recvfrom(65535)
        community, tag, request_id, repetitions, oids = parse_request(data)
        if tag == 0xA5 and repetitions > 5:
            self.dropped += 1
            return
        self._sock.sendto(build_response(community, request_id,
                                         self._varbinds(tag, repetitions, oids)), peer)


def test_a_walk_asks_for_fewer_rows_when_a_big_getbulk_goes_unanswered() -> None:
    with BulkLimitedAgent() as agent:
        result = asyncio.run(poll_device("127.0.0.1", agent.port, [CredentialSet(
            "lab", snmp=SnmpCredential(version="2c", community=Secret("public")))],
            SnmpSettings(timeout=0.3, retries=0, max_repetitions=25, device_budget=10)))
    assert result.device is not None and result.warnings == []
    assert [i.name for i in result.device.interfaces] == ["lo", "eth0", "eth1"]
    # the first walks (sent together) lose their big requests; the later ones ask small
    assert 0 < agent.dropped <= 15
