"""`netdoc identify --auth-key vault:CLIENT/NAME --config PATH` opens the vault that
netdoc.yaml names (a real snmpd on 127.0.0.1 checks the keys)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from support.snmp_agents import (V3_AUTH_KEY, V3_PRIV_KEY, V3_USER, Agent, agent_or_skip,
                                 start_snmpd)


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    yield from agent_or_skip(lambda: start_snmpd(tmp_path_factory.mktemp("snmpd-vault")))


def netdoc(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDOC_VAULT")}
    return subprocess.run([sys.executable, "-m", "netdoc.app.cli", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, input=stdin, env=env)


def test_identify_takes_v3_keys_from_the_vault_of_the_config(agent: Agent,
                                                             tmp_path: Path) -> None:
    config = tmp_path / "etc" / "netdoc.yaml"
    config.parent.mkdir()
    config.write_text("clients:\n  acme:\n    sites:\n      hq: {subnets: [192.0.2.0/29]}\n"
                      "vault: {dir: vault, keys: keys}\n")
    elsewhere = tmp_path / "elsewhere"  # not next to netdoc.yaml: only --config finds it
    elsewhere.mkdir()
    assert netdoc("--config", str(config), "vault", "init", "acme", cwd=elsewhere).returncode == 0
    for name, secret in (("snmp-auth", V3_AUTH_KEY), ("snmp-priv", V3_PRIV_KEY)):
        done = netdoc("--config", str(config), "vault", "set", f"acme/{name}", "--stdin",
                      cwd=elsewhere, stdin=secret)
        assert done.returncode == 0, done.stderr
    done = netdoc("identify", "127.0.0.1", "--port", str(agent.port), "--user", V3_USER,
                  "--auth-proto", "sha", "--auth-key", "vault:acme/snmp-auth",
                  "--priv-proto", "aes", "--priv-key", "vault:acme/snmp-priv",
                  "--config", str(config), "--json", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hostname"] == "netdoc-test-agent"
    assert V3_AUTH_KEY not in done.stdout + done.stderr
