"""SNMPv3 through netdoc's own USM against two independent implementations.

net-snmp's snmpd proves every auth protocol (MD5, SHA-1, SHA-224/256/384/512)
and DES, AES-128 and the Blumenthal AES-192/256; snmpsim (pysnmp) proves
3DES and the Reeder ("Cisco") AES-192/256, which net-snmp does not offer.
Both agents listen on 127.0.0.1 only and are stopped by PID.
"""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.config import SnmpCredential, SnmpSettings
from netdoc.secrets import Secret
from netdoc.discover.snmp.client import open_client
from support.snmp_agents import Agent, _quiet_env, _wait_until_answering, free_udp_port

AUTH_PASSWORD, PRIV_PASSWORD = "maplesyrup1", "privpass1"
SETTINGS = SnmpSettings(timeout=1.0, retries=1, max_repetitions=10, device_budget=20)
SYS_NAME = "1.3.6.1.2.1.1.5.0"

# (netdoc auth, netdoc priv, net-snmp auth, net-snmp priv)
NET_SNMP_USERS = [
    ("md5", "", "MD5", ""), ("sha", "des", "SHA", "DES"), ("md5", "aes", "MD5", "AES"),
    ("sha224", "aes192", "SHA-224", "AES-192"), ("sha256", "aes256", "SHA-256", "AES-256"),
    ("sha384", "aes", "SHA-384", "AES"), ("sha512", "des", "SHA-512", "DES"),
    ("sha", "aes256", "SHA", "AES-256"), ("md5", "aes192", "MD5", "AES-192"),
]
# (netdoc auth, netdoc priv, snmpsim auth, snmpsim priv)
SNMPSIM_USERS = [
    ("sha", "3des", "SHA", "3DES"), ("md5", "3des", "MD5", "3DES"),
    ("sha", "aes192c", "SHA", "AES192"), ("md5", "aes256c", "MD5", "AES256"),
    ("sha256", "aes256", "SHA256", "AES256BLMT"),
]


def user_name(auth: str, priv: str) -> str:
    return f"u{auth}{priv or 'nopriv'}"


def credential(auth: str, priv: str) -> SnmpCredential:
    return SnmpCredential(version="3", user=user_name(auth, priv), auth=auth,
                          auth_key=Secret(AUTH_PASSWORD), priv=priv,
                          priv_key=Secret(PRIV_PASSWORD) if priv else None)


@pytest.fixture(scope="module")
def snmpd_every_protocol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    if shutil.which("snmpd") is None or shutil.which("snmpget") is None:
        pytest.skip("net-snmp (snmpd, snmpget) is not installed")
    work = tmp_path_factory.mktemp("snmpd-usm")
    lines = ["rocommunity usm-probe 127.0.0.1", "sysName usm-agent"]
    for auth, priv, net_auth, net_priv in NET_SNMP_USERS:
        name = user_name(auth, priv)
        lines += [f"createUser {name} {net_auth} {AUTH_PASSWORD}"
                  + (f" {net_priv} {PRIV_PASSWORD}" if priv else ""),
                  f"rouser {name} {'priv' if priv else 'auth'}"]
    (work / "snmpd.conf").write_text("\n".join(lines) + "\n")
    port = free_udp_port()
    process = subprocess.Popen(
        ["snmpd", "-f", "-C", "-c", str(work / "snmpd.conf"), "-Lf", str(work / "log"),
         f"--persistentDir={work / 'persist'}", f"udp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_quiet_env())
    agent = Agent(port=port, process=process, log=work / "log")
    try:
        _wait_until_answering(agent, "usm-probe")
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="module")
def snmpsim_every_protocol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    exe = Path(sys.executable).parent / "snmpsim-command-responder"
    if not exe.exists():
        pytest.skip("snmpsim is not installed in this environment")
    work = tmp_path_factory.mktemp("snmpsim-usm")
    data = work / "data"
    data.mkdir()
    walk = "1.3.6.1.2.1.1.1.0|4|simulated agent\n1.3.6.1.2.1.1.5.0|4|usm-sim\n"
    (data / "usm-probe.snmprec").write_text(walk)  # v2c, to see that it is up
    (data / "vlan-1.snmprec").write_text(walk)  # snmpsim serves v3 by context name only
    users = []
    for auth, priv, sim_auth, sim_priv in SNMPSIM_USERS:
        users += [f"--v3-user={user_name(auth, priv)}", f"--v3-auth-key={AUTH_PASSWORD}",
                  f"--v3-auth-proto={sim_auth}", f"--v3-priv-key={PRIV_PASSWORD}",
                  f"--v3-priv-proto={sim_priv}"]
    port = free_udp_port()
    with (work / "log").open("wb") as out:
        process = subprocess.Popen(
            [str(exe), f"--data-dir={data}", f"--agent-udpv4-endpoint=127.0.0.1:{port}",
             f"--cache-dir={work / 'cache'}", *users],
            stdout=out, stderr=subprocess.STDOUT,
            env={**_quiet_env(), "SNMPSIM_ALLOW_ROOT": "true"})
    agent = Agent(port=port, process=process, log=work / "log")
    try:
        _wait_until_answering(agent, "usm-probe", seconds=60.0)
        yield agent
    finally:
        agent.stop()


async def read_system(port: int, credential: SnmpCredential,
                      vlan: int | None = None) -> tuple[bytes, list[str]]:
    async with await open_client("127.0.0.1", port, credential, SETTINGS) as client:
        view = client if vlan is None else client.for_vlan(vlan)
        name = (await view.get([SYS_NAME]))[SYS_NAME]
        walked = [oid for oid, _ in await view.walk("1.3.6.1.2.1.1")]
    assert isinstance(name, bytes)
    return name, walked


@pytest.mark.parametrize("auth, priv", [(a, p) for a, p, _, _ in NET_SNMP_USERS],
                         ids=[f"{a}-{p or 'nopriv'}" for a, p, _, _ in NET_SNMP_USERS])
def test_net_snmp_accepts_every_auth_and_privacy_protocol(snmpd_every_protocol: Agent,
                                                           auth: str, priv: str) -> None:
    name, walked = asyncio.run(read_system(snmpd_every_protocol.port, credential(auth, priv)))
    assert name == b"usm-agent"
    assert SYS_NAME in walked and len(walked) >= 7  # the system group, through GETBULK


@pytest.mark.parametrize("auth, priv", [(a, p) for a, p, _, _ in SNMPSIM_USERS],
                         ids=[f"{a}-{p}" for a, p, _, _ in SNMPSIM_USERS])
def test_pysnmp_accepts_3des_and_the_cisco_aes_key_extension(snmpsim_every_protocol: Agent,
                                                              auth: str, priv: str) -> None:
    name, walked = asyncio.run(read_system(snmpsim_every_protocol.port, credential(auth, priv),
                                           vlan=1))
    assert name == b"usm-sim"
    assert walked == ["1.3.6.1.2.1.1.1.0", SYS_NAME]
