"""`netdoc identify` against a real snmpd on 127.0.0.1: JSON, human output, failures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from support.snmp_agents import (COMMUNITY, V3_AUTH_KEY, V3_PRIV_KEY, V3_USER, Agent,
                                 agent_or_skip, free_udp_port, start_snmpd)

DEVICE_KEYS = {"hostname", "sys_descr", "sys_object_id", "vendor", "os", "version", "model",
               "serial", "role", "interfaces", "neighbors", "arp", "fdb"}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    yield from agent_or_skip(lambda: start_snmpd(tmp_path_factory.mktemp("snmpd-cli")))


def netdoc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netdoc.app.cli", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def test_json_is_the_device_record(agent: Agent) -> None:
    done = netdoc("identify", "127.0.0.1", "--port", str(agent.port), "--community", COMMUNITY,
                  "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert DEVICE_KEYS <= set(record)
    assert record["hostname"] == "netdoc-test-agent" and record["platform"] == "linux"
    lo = next(i for i in record["interfaces"] if i["name"] == "lo")
    assert set(lo) >= {"index", "name", "descr", "alias", "mac", "speed_bps", "admin_up",
                       "oper_up", "type", "ipv4"}
    assert "127.0.0.1/8" in lo["ipv4"]


def test_human_output_over_v3_with_secrets_from_the_environment(agent: Agent) -> None:
    import os

    env_auth, env_priv = "NETDOC_TEST_AUTH", "NETDOC_TEST_PRIV"
    os.environ[env_auth], os.environ[env_priv] = V3_AUTH_KEY, V3_PRIV_KEY
    try:
        done = netdoc("identify", "127.0.0.1", "--port", str(agent.port), "--user", V3_USER,
                      "--auth-proto", "sha", "--auth-key", f"env:{env_auth}",
                      "--priv-proto", "aes", "--priv-key", f"env:{env_priv}")
    finally:
        del os.environ[env_auth], os.environ[env_priv]
    assert done.returncode == 0, done.stderr
    assert "netdoc-test-agent (127.0.0.1)" in done.stdout
    assert "[profile linux]" in done.stdout and "Interfaces (" in done.stdout
    assert V3_AUTH_KEY not in done.stdout + done.stderr


def test_credential_set_from_netdoc_yaml(agent: Agent, tmp_path: Path) -> None:
    config = tmp_path / "netdoc.yaml"
    config.write_text(f"credentials:\n  office:\n    snmp: {{version: '2c', community: "
                      f"'env:NETDOC_TEST_COMMUNITY'}}\n"
                      f"clients:\n  acme:\n    sites:\n      hq: {{credentials: [office]}}\n")
    import os

    os.environ["NETDOC_TEST_COMMUNITY"] = COMMUNITY
    try:
        done = netdoc("identify", "127.0.0.1", "--port", str(agent.port), "--credential",
                      "office", "--config", str(config), "--json")
    finally:
        del os.environ["NETDOC_TEST_COMMUNITY"]
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hostname"] == "netdoc-test-agent"


def test_wrong_priv_key_exits_1_with_the_reason(agent: Agent) -> None:
    done = netdoc("identify", "127.0.0.1", "--port", str(agent.port), "--user", V3_USER,
                  "--auth-key", V3_AUTH_KEY, "--priv-key", "wrong-priv-key", "--timeout", "0.3")
    assert done.returncode == 1
    assert "privacy key or privacy protocol (aes) is wrong" in done.stderr
    assert done.stdout == ""


def test_no_agent_exits_1_with_the_reason() -> None:
    done = netdoc("identify", "127.0.0.1", "--port", str(free_udp_port()), "--community", "x",
                  "--timeout", "0.3")
    assert done.returncode == 1
    assert "no SNMP agent at 127.0.0.1" in done.stderr


def test_credentials_are_required_and_exclusive() -> None:
    done = netdoc("identify", "127.0.0.1")
    assert done.returncode == 2 and "exactly one of --community" in done.stderr
    done = netdoc("identify", "127.0.0.1", "--community", "a", "--user", "b")
    assert done.returncode == 2
