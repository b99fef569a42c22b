"""--json on every command: one JSON document on stdout, stamped `"schema": 1`, also
when the command fails (`{"error": {"kind", "message", "exit"}}`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from cli_support import netdoc_json, write_config
from netdoc.app.cli import build_parser

# command -> (argv after the command, a check of the document, the exit code wanted).
# {tmp} is the test's folder. Nothing here sends a packet beyond loopback: the only
# network command (identify) asks a closed port on 127.0.0.1, and no command sweeps.
Check = Callable[[dict[str, Any]], bool]
CASES: dict[str, tuple[list[str], Check, int]] = {
    "init": (["{tmp}/new.yaml"], lambda d: d["config"].endswith("new.yaml"), 0),
    "check": ([], lambda d: d["clients"][0]["name"] == "acme", 0),
    "run": (["--stages", "render"], lambda d: d["runs"][0]["status"] == "ok", 0),
    "daemon": (["--config", "{tmp}/missing.yaml"],
               lambda d: d["error"]["kind"] == "ConfigError", 2),
    "listen": (["--config", "{tmp}/missing.yaml"],
               lambda d: d["error"]["kind"] == "ConfigError", 2),
    "install-timer": (["--root", "{tmp}/root"],
                      lambda d: any(u.endswith("netdoc-daemon.service") for u in d["units"]), 0),
    "discover": (["--client", "nosuch"], lambda d: d["error"]["kind"] == "ConfigError", 2),
    "backup": ([], lambda d: d["runs"][0]["stages"][0]["stage"] == "backup", 0),
    "render": ([], lambda d: d["runs"][0]["stages"][0]["stage"] == "render", 0),
    "identify": (["127.0.0.1", "--port", "9", "--community", "x", "--timeout", "0.2"],
                 lambda d: d["error"]["kind"] == "SnmpError"
                 and "no SNMP agent at 127.0.0.1" in d["error"]["message"], 1),
    "vault": (["list"], lambda d: isinstance(d["result"], list), 0),
    "lab": (["bogus"], lambda d: d["error"]["kind"] == "UsageError", 2),
    "diff": ([], lambda d: d["clients"][0]["client"] == "acme", 0),
    "history": (["nosuch"], lambda d: "no device 'nosuch'" in d["error"]["message"], 2),
    "hostkey": (["list"], lambda d: d["clients"][0]["pinned"] == [], 0),
    "platforms": ([], lambda d: any(p["name"] == "cisco_ios" for p in d["result"]), 0),
    "import": (["oxidized", "{tmp}/router.db"], lambda d: "devices" in str(d), 0),
    "record": (["127.0.0.1"], lambda d: "--platform" in d["error"]["message"], 2),
    "redact": (["--platform", "cisco_ios", "{tmp}/r.cfg"],
               lambda d: "s3cret" not in str(d) and d["exit"] == 0, 0),
    "where": (["core-sw"], lambda d: d["matches"] == [], 1),
    "hub": (["sync"], lambda d: d["error"]["exit"] == 1, 1),
    "status": ([], lambda d: d["clients"][0]["client"] == "acme", 0),
    "health": ([], lambda d: d["clients"] == ["acme"], 0),
    "metrics": ([], lambda d: any(line.startswith("netdoc_") for line in d["lines"]), 0),
    "forget": (["nosuch"], lambda d: d["error"]["exit"] == 2, 2),
    "export": (["csv", "--out", "{tmp}/csv"],
               lambda d: [f.rsplit("/", 1)[-1] for f in d["files"]][0] == "devices.csv", 0),
}


def test_every_command_has_a_json_case() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # noqa: SLF001
    assert commands is not None
    assert set(commands) - set(CASES) == set(), \
        f"commands without a --json test: {sorted(set(commands) - set(CASES))}"


@pytest.mark.parametrize("command", sorted(CASES))
def test_json_output(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    monkeypatch.setenv("NETDOC_VAULT_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path)
    (tmp_path / "router.db").write_text("core-sw:ios:up\n")
    (tmp_path / "r.cfg").write_text("hostname x\nsnmp-server community s3cret RO\n")
    argv, check, wanted = CASES[command]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--config" not in argv:
        argv = ["--config", str(config), *argv]
    code, document = netdoc_json(capsys, command, *argv)
    assert document["schema"] == 1
    assert code == wanted, document
    assert check(document), document
    if "error" in document:
        assert document["error"]["exit"] == code
        assert set(document["error"]) == {"kind", "message", "exit"}


def test_a_usage_error_is_json_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = netdoc_json(capsys, "no-such-command")
    assert code == 2
    assert document["error"]["kind"] == "UsageError" and document["schema"] == 1
