"""Real SNMP agents for tests: net-snmp snmpd and snmpsim on 127.0.0.1, started and
stopped by PID (never by name). Both only ever listen on loopback."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

COMMUNITY = "netdoc-ro"
V3_USER, V3_AUTH_KEY, V3_PRIV_KEY = "netdocv3", "auth-key-1234", "priv-key-5678"
V3_AUTHONLY_USER = "netdocauth"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Agent:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _wait_until_answering(agent: Agent, community: str, seconds: float = 15.0) -> None:
    """Poll with net-snmp's snmpget until the agent answers (or fail with its log)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if agent.process.poll() is not None:
            break
        done = subprocess.run(["snmpget", "-v2c", "-c", community, "-t", "0.3", "-r", "0", "-On",
                               f"127.0.0.1:{agent.port}", "1.3.6.1.2.1.1.2.0"],
                              capture_output=True, env=_quiet_env())
        if done.returncode == 0:
            return
        time.sleep(0.1)
    agent.stop()
    raise RuntimeError(f"SNMP agent on 127.0.0.1:{agent.port} did not start:\n"
                       f"{agent.log.read_text(errors='replace')[-2000:]}")


def _quiet_env() -> dict[str, str]:
    # no MIB loading: numeric OIDs only, and no warnings about missing MIB files
    return {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}


def start_snmpd(workdir: Path, sys_name: str = "netdoc-test-agent") -> Agent:
    """net-snmp snmpd on a free loopback port: v2c community + v3 authPriv and authNoPriv users."""
    if shutil.which("snmpd") is None or shutil.which("snmpget") is None:
        raise RuntimeError("net-snmp (snmpd, snmpget) is not installed")
    port = free_udp_port()
    config = workdir / "snmpd.conf"
    config.write_text(
        f"rocommunity {COMMUNITY} 127.0.0.1\n"
        f"createUser {V3_USER} SHA {V3_AUTH_KEY} AES {V3_PRIV_KEY}\n"
        f"rouser {V3_USER} priv\n"
        f"createUser {V3_AUTHONLY_USER} SHA {V3_AUTH_KEY}\n"
        f"rouser {V3_AUTHONLY_USER} auth\n"
        f"sysName {sys_name}\nsysLocation netdoc test lab\nsysContact tests@example.net\n")
    log = workdir / "snmpd.log"
    process = subprocess.Popen(
        ["snmpd", "-f", "-C", "-c", str(config), "-Lf", str(log),
         "-p", str(workdir / "snmpd.pid"), f"--persistentDir={workdir / 'persist'}",
         f"udp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_quiet_env())
    agent = Agent(port=port, process=process, log=log)
    _wait_until_answering(agent, COMMUNITY)
    return agent


def start_snmpsim(data_dir: Path, workdir: Path, probe_community: str) -> Agent:
    """snmpsim serving every NAME.snmprec of data_dir under community NAME."""
    exe = Path(sys.executable).parent / "snmpsim-command-responder"
    if not exe.exists():
        raise RuntimeError("snmpsim is not installed in this environment")
    port = free_udp_port()
    log = workdir / "snmpsim.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(exe), f"--data-dir={data_dir}", f"--agent-udpv4-endpoint=127.0.0.1:{port}",
             f"--cache-dir={workdir / 'cache'}", f"--logging-method=file:{log}"],
            stdout=out, stderr=subprocess.STDOUT,
            env={**_quiet_env(), "SNMPSIM_ALLOW_ROOT": "true"})
    agent = Agent(port=port, process=process, log=log)
    _wait_until_answering(agent, probe_community, seconds=60.0)
    return agent


def agent_or_skip(start: Callable[[], Agent]) -> Iterator[Agent]:
    """For fixtures: the started agent, stopped afterwards; the test skips, with the
    reason, when the agent cannot run here (no snmpd/snmpsim installed)."""
    import pytest

    try:
        agent = start()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    try:
        yield agent
    finally:
        agent.stop()
