"""`netdoc check --connect` against loopback devices: a replayed SSH switch, a real
snmpd, and everything that would make tonight's run fail, all listed at once."""
from __future__ import annotations

import json
import os
import pwd
import stat
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.app.cli import main
from netdoc.app.preflight import writable
from support.replay_server import ReplayServer
from support.snmp_agents import (COMMUNITY, Agent, agent_or_skip, free_udp_port,
                                 start_snmpd)
from backup_helpers import load_recording  # type: ignore[import-not-found]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    yield from agent_or_skip(lambda: start_snmpd(tmp_path_factory.mktemp("snmpd-check")))


def test_check_connect_lists_every_problem(tmp_path: Path, replay: ReplayServer, agent: Agent,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_CHECK_COMMUNITY", COMMUNITY)
    monkeypatch.delenv("ND_CHECK_NOT_SET", raising=False)
    sw1 = replay.serve(load_recording("cisco_ios"), host="127.0.0.2")
    sw2 = replay.serve(load_recording("cisco_ios"), host="127.0.0.3")
    (tmp_path / "a-file").write_text("not a folder")
    config = tmp_path / "netdoc.yaml"
    config.write_text(f"""\
credentials:
  lab: {{ssh: {{username: netdoc, password: "env:NETDOC_TEST_SSH"}}}}
  wrong: {{ssh: {{username: netdoc, password: "env:NETDOC_TEST_WRONG"}}}}
  snmp-good: {{snmp: {{version: 2c, community: "env:ND_CHECK_COMMUNITY"}}}}
  snmp-nokey: {{snmp: {{version: 2c, community: "env:ND_CHECK_NOT_SET"}}}}
clients:
  acme:
    sites:
      hq:
        credentials: [lab]
        devices:
          - {{host: {sw1.host}, name: sw1, ssh_port: {sw1.port}, platform: cisco_ios}}
          - {{host: {sw2.host}, name: sw2, ssh_port: {sw2.port}, platform: cisco_ios,
              credentials: [wrong]}}
          - {{host: 127.0.0.1, name: snmp-ok, snmp_port: {agent.port}, backup: false,
              credentials: [snmp-good]}}
          - {{host: 127.0.0.4, name: snmp-dead, snmp_port: {free_udp_port()}, backup: false,
              credentials: [snmp-good]}}
          - {{host: 127.0.0.5, name: snmp-nokey, backup: false, credentials: [snmp-nokey]}}
discovery: {{snmp: {{timeout: 0.5, retries: 0}}}}
output: {{inventory: {tmp_path}/a-file/inventory, config_backups: {tmp_path}/configs}}
""")
    code = main(["--json", "--config", str(config), "check", "--connect"])
    report = json.loads(capsys.readouterr().out)
    problems = {(p["kind"], p["where"].split("/")[-1]) for p in report["problems"]}
    assert problems == {("secret", "credentials.snmp-nokey"), ("snmp", "snmp-dead"),
                        ("ssh", "sw2"), ("output", "inventory")}, report["problems"]
    [refused] = [p["message"] for p in report["problems"] if p["kind"] == "ssh"]
    assert "login refused for credential set(s) wrong" in refused
    passed = " ".join(report["passed"])
    assert "snmp acme/hq/snmp-ok" in passed and "netdoc-test-agent" in passed
    assert "ssh acme/hq/sw1" in passed and "output.config_backups" in passed
    assert code == 4 and report["exit"] == 4 and report["ok"] is False  # a run would fail
    assert COMMUNITY not in json.dumps(report)
    # all fixed: exit 0
    text = config.read_text()
    for broken, fixed in (("a-file/inventory", "inventory"),
                          ("credentials: [wrong]", "credentials: [lab]"),
                          ("backup: false, credentials: [snmp-nokey]", "exclude: true"),
                          ("name: snmp-dead,", "name: snmp-dead, exclude: true,")):
        assert broken in text
        text = text.replace(broken, fixed)
    config.write_text(text)
    code = main(["--json", "--config", str(config), "check", "--connect"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report.get("problems") == [], report


def test_writability_is_judged_for_the_service_user() -> None:
    nobody = pwd.getpwnam("nobody")
    if os.geteuid() == nobody.pw_uid:
        pytest.skip("running as nobody")
    import shutil
    import tempfile

    top = Path(tempfile.mkdtemp(prefix="netdoc-check-", dir="/tmp"))  # /tmp: all may enter
    try:
        top.chmod(0o755)
        private = top / "private"
        private.mkdir(mode=0o700)
        reason = writable(private / "inventory", nobody.pw_uid, {nobody.pw_gid})
        assert f"cannot create {private / 'inventory'} in {private}" in reason
        assert "chown -R netdoc:" in reason
        private.chmod(0o777 | stat.S_ISVTX)
        assert writable(private / "inventory", nobody.pw_uid, {nobody.pw_gid}) == ""
        private.chmod(0o777)
        top.chmod(0o700)  # the folder itself is open, a parent is not
        assert f"cannot enter {top}" in writable(private, nobody.pw_uid, {nobody.pw_gid})
    finally:
        shutil.rmtree(top)
