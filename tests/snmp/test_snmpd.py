"""The live SNMP client against a real net-snmp snmpd on 127.0.0.1: versions and faults.

Each fault must end quickly with a reason a technician can act on, and say which
kind of fault it is: no agent, wrong community, wrong v3 user / auth key / priv key.
"""
from __future__ import annotations

import asyncio
import time

import pytest

from netdoc.discover.collectors.snmp import poll_device
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings
from netdoc.errors import SnmpAuthError, SnmpTimeout
from netdoc.secrets import Secret
from netdoc.discover.snmp.client import open_client
from support.snmp_agents import (COMMUNITY, V3_AUTH_KEY, V3_AUTHONLY_USER, V3_PRIV_KEY, V3_USER,
                                 Agent, free_udp_port)

FAST = SnmpSettings(timeout=0.3, retries=1, max_repetitions=25, device_budget=10)
SYS_NAME = "1.3.6.1.2.1.1.5.0"


def v2c(community: str = COMMUNITY, version: str = "2c") -> SnmpCredential:
    return SnmpCredential(version=version, community=Secret(community))


def v3(user: str = V3_USER, auth_key: str = V3_AUTH_KEY, priv_key: str | None = V3_PRIV_KEY,
       auth: str = "sha", priv: str = "aes") -> SnmpCredential:
    return SnmpCredential(version="3", user=user, auth=auth, auth_key=Secret(auth_key),
                          priv=priv if priv_key else "",
                          priv_key=Secret(priv_key) if priv_key else None)


async def sys_name(agent: Agent, credential: SnmpCredential) -> bytes:
    async with await open_client("127.0.0.1", agent.port, credential, FAST) as client:
        return (await client.get([SYS_NAME]))[SYS_NAME]  # type: ignore[return-value]


@pytest.mark.parametrize("credential", [v2c(), v2c(version="1"), v3(),
                                        v3(user=V3_AUTHONLY_USER, priv_key=None)],
                         ids=["v2c", "v1", "v3-authPriv", "v3-authNoPriv"])
def test_every_snmp_version_reads_the_agent(snmpd_agent: Agent,
                                            credential: SnmpCredential) -> None:
    assert asyncio.run(sys_name(snmpd_agent, credential)) == b"netdoc-test-agent"


def test_a_walk_over_v3_authpriv_matches_net_snmp_snmpbulkwalk(snmpd_agent: Agent) -> None:
    import subprocess

    async def walk() -> list[str]:
        async with await open_client("127.0.0.1", snmpd_agent.port, v3(), FAST) as client:
            return [oid for oid, _ in await client.walk("1.3.6.1.2.1.2")]
    ours = asyncio.run(walk())
    theirs = subprocess.run(
        ["snmpbulkwalk", "-v3", "-l", "authPriv", "-u", V3_USER, "-a", "SHA", "-A", V3_AUTH_KEY,
         "-x", "AES", "-X", V3_PRIV_KEY, "-On", "-Oq", f"127.0.0.1:{snmpd_agent.port}",
         "1.3.6.1.2.1.2"], capture_output=True, text=True, env={"MIBS": "", "PATH": "/usr/bin"},
        check=True).stdout.split("\n")
    expected = [line.split()[0].lstrip(".") for line in theirs if line.strip()]
    # counters may appear or vanish between the two walks; the OIDs are the same set
    assert ours == expected


def test_wrong_community_is_reported_as_silence_with_the_likely_causes(snmpd_agent: Agent) -> None:
    started = time.monotonic()
    with pytest.raises(SnmpTimeout, match="host down, SNMP off or wrong community"):
        asyncio.run(sys_name(snmpd_agent, v2c("not-the-community")))
    assert time.monotonic() - started < 2 * FAST.timeout * (FAST.retries + 1) + 1


def test_a_port_without_agent_is_reported_at_once() -> None:
    class Nobody:
        port = free_udp_port()
    started = time.monotonic()
    with pytest.raises(SnmpTimeout, match="no SNMP agent at 127.0.0.1:.*nothing listens"):
        asyncio.run(sys_name(Nobody(), v2c()))  # type: ignore[arg-type]
    assert time.monotonic() - started < 1.0  # ICMP port unreachable, no timeout needed


def test_unknown_v3_user_is_named(snmpd_agent: Agent) -> None:
    with pytest.raises(SnmpAuthError, match="unknown user name.*'intruder'"):
        asyncio.run(sys_name(snmpd_agent, v3(user="intruder")))


def test_wrong_v3_auth_key_is_reported_as_such(snmpd_agent: Agent) -> None:
    with pytest.raises(SnmpAuthError, match="wrong digest: the auth key or auth protocol"):
        asyncio.run(sys_name(snmpd_agent, v3(auth_key="not-the-auth-key")))


def test_wrong_v3_auth_protocol_is_reported_like_a_wrong_key(snmpd_agent: Agent) -> None:
    with pytest.raises(SnmpAuthError, match=r"wrong digest.*\(md5\)"):
        asyncio.run(sys_name(snmpd_agent, v3(auth="md5")))


def test_wrong_v3_priv_key_is_reported_as_such(snmpd_agent: Agent) -> None:
    # net-snmp drops what it cannot decrypt without a report; netdoc proves the rest right
    with pytest.raises(SnmpAuthError, match="privacy key or privacy protocol \\(aes\\) is wrong"):
        asyncio.run(sys_name(snmpd_agent, v3(priv_key="not-the-priv-key")))


def test_poll_tries_credential_sets_in_order_and_remembers_the_one_that_worked(
        snmpd_agent: Agent) -> None:
    sets = [CredentialSet("old-community", snmp=v2c("retired")),
            CredentialSet("no-snmp", ssh=None),
            CredentialSet("wrong-v3-key", snmp=v3(auth_key="nope-nope-nope")),
            CredentialSet("site-v3", snmp=v3())]
    result = asyncio.run(poll_device("127.0.0.1", snmpd_agent.port, sets, FAST, site="hq"))
    assert result.error == ""
    assert result.credential == "site-v3"
    assert result.device is not None
    assert result.device.hostname == "netdoc-test-agent"
    assert result.device.site == "hq" and result.device.mgmt_ip == "127.0.0.1"
    assert result.device.platform == "linux" and result.device.role == "server"
    names = {i.name for i in result.device.interfaces}
    assert "lo" in names
    lo = next(i for i in result.device.interfaces if i.name == "lo")
    assert "127.0.0.1/8" in lo.ipv4


def test_poll_failure_lists_why_each_credential_set_failed(snmpd_agent: Agent) -> None:
    sets = [CredentialSet("a", snmp=v2c("retired")), CredentialSet("b", snmp=v3(user="bob"))]
    result = asyncio.run(poll_device("127.0.0.1", snmpd_agent.port, sets, FAST))
    assert result.device is None and not result.no_answer
    assert "a: no answer" in result.error and "b: SNMPv3 refused" in result.error
    assert "unknown user name" in result.error


def test_poll_of_a_host_without_snmp_says_no_answer() -> None:
    result = asyncio.run(poll_device("127.0.0.1", free_udp_port(),
                                     [CredentialSet("a", snmp=v2c())], FAST))
    assert result.device is None and result.no_answer
    assert "no SNMP agent" in result.error


def test_a_device_that_disappears_after_answering_keeps_its_identity_with_a_warning(
        fresh_snmpd: Agent) -> None:
    """The agent answers the credential check, then is killed before the tables are read:
    the record keeps who the device is, and says that the rest could not be read."""
    async def open_then_kill(host: str, port: int, credential: SnmpCredential,
                             settings: SnmpSettings, deadline: float) -> object:
        client = await open_client(host, port, credential, settings, deadline=deadline)
        original_get = client.get
        calls = {"n": 0}

        async def get_then_vanish(oids: list[str]) -> object:
            answer = await original_get(oids)
            calls["n"] += 1
            if calls["n"] == 1:
                fresh_snmpd.stop()  # the device goes away right after saying who it is
            return answer
        client.get = get_then_vanish  # type: ignore[method-assign, assignment]
        return client

    started = time.monotonic()
    result = asyncio.run(poll_device("127.0.0.1", fresh_snmpd.port,
                                     [CredentialSet("v2", snmp=v2c())], FAST,
                                     opener=open_then_kill))  # type: ignore[arg-type]
    assert result.device is not None and result.device.hostname
    assert result.error == ""
    assert any("stopped answering during the poll" in w for w in result.device.warnings)
    assert time.monotonic() - started < FAST.device_budget
