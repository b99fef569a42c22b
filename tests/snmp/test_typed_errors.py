"""SNMP failures are told apart by type, not by the words of their message: a closed
port (SnmpPortClosed) stops trying further credentials, a spent device budget
(SnmpBudgetSpent) carries the budget. Only loopback is used."""
from __future__ import annotations

import asyncio
import socket

import pytest

from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
from netdoc.discover.collectors.snmp import poll_device
from netdoc.discover.snmp.client import open_client
from netdoc.errors import SnmpBudgetSpent, SnmpPortClosed, SnmpTimeout
from netdoc.secrets import Secret

V2C = SnmpCredential(version="2c", community=Secret("public"))
SETTINGS = SnmpSettings(timeout=0.3, retries=0, device_budget=5.0)


def closed_udp_port() -> int:
    """A loopback UDP port nothing listens on (bound, noted, released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get_sysname(port: int, settings: SnmpSettings) -> None:
    client = await open_client("127.0.0.1", port, V2C, settings)
    try:
        await client.get(["1.3.6.1.2.1.1.5.0"])
    finally:
        await client.close()


def test_a_closed_port_is_its_own_error_type_carrying_the_port() -> None:
    port = closed_udp_port()
    with pytest.raises(SnmpPortClosed) as caught:
        asyncio.run(get_sysname(port, SETTINGS))
    assert caught.value.port == port and caught.value.host == "127.0.0.1"
    assert isinstance(caught.value, SnmpTimeout)  # still "no answer" to older callers


def test_a_closed_port_is_not_asked_again_with_the_next_credential() -> None:
    port = closed_udp_port()
    sets = [CredentialSet(name, snmp=V2C) for name in ("first", "second", "third")]
    result = asyncio.run(poll_device("127.0.0.1", port, sets, SETTINGS))
    assert result.device is None and result.no_answer
    assert result.error.startswith("first: ") and "second" not in result.error


def test_a_spent_budget_is_its_own_error_type_carrying_the_budget() -> None:
    """A silent listener and a budget shorter than one timeout: the budget ends it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = int(silent.getsockname()[1])
        settings = SnmpSettings(timeout=5.0, retries=3, device_budget=1.0)
        with pytest.raises(SnmpBudgetSpent) as caught:
            asyncio.run(get_sysname(port, settings))
    assert caught.value.budget == 1.0
    assert "device time budget of 1 s used up" in caught.value.reason
