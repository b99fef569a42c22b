"""`netdoc redact --platform P FILE`: a config as a backup would store it, for sharing."""
from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
import yaml

from netdoc.backup.secrets import placeholder
from netdoc.app.cli import main

RUNNING_CONFIG = """\
sw1#show running-config
Building configuration...

Current configuration : 512 bytes
!
! Last configuration change at 10:00:00 UTC Mon Jan 1 2024
version 15.2
hostname sw1
enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
snmp-server community Publ1cComm RO
snmp-server host 192.0.2.9 version 2c TrapComm
ntp clock-period 17179869
router bgp 65000
 neighbor 192.0.2.1 send-community both
 set community 65000:100
archive
 path scp://backup:Scp-Pw-9@192.0.2.30/cfg
end
sw1#"""
SECRETS = ["$1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "Publ1cComm", "TrapComm", "Scp-Pw-9"]
MASK = re.compile(r"<masked:[0-9a-f]{10}>")


def _redact(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["redact", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_config_is_cleaned_and_masked_like_a_backup(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "sw1.txt"
    source.write_text(RUNNING_CONFIG, encoding="utf-8")
    code, out, err = _redact(capsys, "--platform", "cisco_ios", str(source))
    assert code == 0, err
    lines = out.split("\n")
    assert lines[0] == "!" and lines[1] == "version 15.2", "echo and header are gone"
    assert "sw1#" not in out and "Building configuration" not in out
    assert "Last configuration change" not in out and "ntp clock-period" not in out
    for secret in SECRETS:
        assert secret not in out
    assert len(MASK.findall(out)) == len(SECRETS)
    assert " set community 65000:100" in lines and "hostname sw1" in lines
    assert out.endswith("end\n")


def test_stdin_and_platform_names_of_other_tools(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(RUNNING_CONFIG.encode())))
    code, out, _ = _redact(capsys, "--platform", "ios", "-")  # Oxidized's model name
    assert code == 0
    assert "TrapComm" not in out and "hostname sw1" in out


def test_the_key_is_new_on_each_run_so_placeholders_cannot_be_matched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "sw1.txt"
    source.write_text(RUNNING_CONFIG, encoding="utf-8")
    first = _redact(capsys, "--platform", "cisco_ios", str(source))[1]
    second = _redact(capsys, "--platform", "cisco_ios", str(source))[1]
    assert MASK.sub("", first) == MASK.sub("", second)
    assert MASK.findall(first) != MASK.findall(second)


def test_with_a_client_its_own_key_gives_the_placeholders_of_its_backups(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "netdoc.yaml"
    config.write_text(yaml.safe_dump({
        "clients": {"acme": {"sites": {"hq": {"devices": []}}}},
        "output": {"config_backups": str(tmp_path / "backups"),
                   "inventory": str(tmp_path / "inventory")}}), encoding="utf-8")
    source = tmp_path / "sw1.txt"
    source.write_text(RUNNING_CONFIG, encoding="utf-8")
    code, _, err = _redact(capsys, "--config", str(config), "--client", "acme",
                           "--platform", "cisco_ios", str(source))
    assert code == 2 and "no masking key yet" in err and "first backup" in err
    key = b"k" * 32
    state = tmp_path / "backups" / ".netdoc-state" / "acme"
    state.mkdir(parents=True)
    (state / "mask.key").write_bytes(key)
    code, out, err = _redact(capsys, "--config", str(config), "--client", "acme",
                             "--platform", "cisco_ios", str(source))
    assert code == 0, err
    assert f"snmp-server community {placeholder('Publ1cComm', key)} RO" in out


def test_unknown_platform_is_a_usage_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "x.cfg"
    source.write_text("hostname x\n", encoding="utf-8")
    code, out, err = _redact(capsys, "--platform", "no_such_platform", str(source))
    assert code == 2 and out == ""
    assert "no_such_platform" in err


def test_unreadable_file_is_a_usage_error(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _redact(capsys, "--platform", "cisco_ios", str(tmp_path / "missing.cfg"))
    assert code == 2 and out == ""
    assert "cannot read" in err and "missing.cfg" in err


def test_platform_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redact", "-"]) == 2  # a usage error: exit 2 (main returns it)
    assert "--platform" in capsys.readouterr().err
