"""`netdoc record`: a device's session as a fixture a technician can send to the project.

The recorder logs in as a backup would, runs the platform's commands and writes
what the device sent in Oxidized's simulation format (init_prompt, then each line
sent mapped to echo + output + next prompt, Ruby-style escapes). Secrets are masked
by default, the login secrets never appear, and the recording plays back through
the project's replay server into the same backup as the device itself.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from backup_helpers import EXPECTED, BackupSite, load_recording  # type: ignore[import-not-found]
from netdoc.app.cli import main
from netdoc.platforms import profile_named
from netdoc.backup.recorder import (RecordRequest, block_scalar, record, ruby_escape,
                             session_from_events, simulation_yaml)
from support import replay_server
from support.replay_server import Recording, ReplayServer

SHARED_SESSIONS = Path(__file__).resolve().parents[2] / ".." / "shared" / "device-sessions"
MASK = re.compile(r"<masked:[0-9a-f]{10}>")
needs_oxidized_replay = pytest.mark.skipif(
    not hasattr(replay_server, "ruby_unescape"),
    reason="the replay server does not read Oxidized's simulation format yet")


def _unescape(text: str) -> str:
    return replay_server.ruby_unescape(text)  # type: ignore[attr-defined, no-any-return]


def _record(server: ReplayServer, name: str, mask: bool = True) -> str:
    rec = load_recording(name)
    served = server.serve(rec)
    text, _ = record(RecordRequest(host=served.host, port=served.port, platform=rec.platform,
                                   username=rec.username, password=rec.password,
                                   enable_secret=rec.enable_secret, mask=mask))
    return text


def _sent(data: dict[str, object]) -> list[str]:
    """The lines a recording sent, whichever of Oxidized's two layouts it uses."""
    commands = data["commands"]
    if isinstance(commands, dict):
        return list(commands)
    return [key for entry in commands for key in entry]  # type: ignore[attr-defined]


def _planted(name: str) -> set[str]:
    """The secret values the fixture's config holds, found with its profile's own rules."""
    rec = load_recording(name)
    profile = profile_named(rec.platform)
    assert profile is not None and profile.backup is not None
    values = set()
    for output in rec.commands.values():
        for pattern in profile.backup.secrets:
            for match in pattern.finditer(output):
                if match.group("secret") and len(match.group("secret")) >= 4:
                    values.add(match.group("secret"))
    assert values, f"{name}: the fixture should plant secrets"
    return values


# ---------------------------------------------------------------- the format

@pytest.mark.parametrize("line", [
    "\x1b[4m\rLAB-R1#\x1b[m ", "  indented", 'say "hi" \\ back', "#{not ruby}", "tab\there",
    "bell\x07 and \x01", "Grüße — ok", "", "   ",
])
@needs_oxidized_replay
def test_escaped_lines_read_back_as_sent(line: str) -> None:
    text = f"first\r\n{line}\r\nsw1# "
    document = yaml.safe_load("answer: " + block_scalar(text, "  "))
    assert _unescape(document["answer"]) == text


def test_escapes_follow_oxidized() -> None:
    assert ruby_escape("\x1b[m\rsw1# ") == "\\e[m\\rsw1#\\x20"
    assert block_scalar("  Version 7\n", "  ") == "|-\n  \\x20 Version 7\\n"


@pytest.mark.skipif(not SHARED_SESSIONS.is_dir(), reason="../shared/device-sessions is absent")
@needs_oxidized_replay
def test_real_oxidized_recordings_survive_our_escaping() -> None:
    for path in sorted(SHARED_SESSIONS.glob("*#simulation.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        commands = data.get("commands") or {}
        pairs = commands.items() if isinstance(commands, dict) else \
            [item for entry in commands for item in entry.items()]
        for key, value in pairs:
            text = _unescape(value or "")
            again = yaml.safe_load("answer: " + block_scalar(text, "  "))["answer"]
            assert _unescape(again or "") == text, (path.name, key)


def test_login_text_and_answers_are_split_where_the_device_answers() -> None:
    # netmiko presses Enter before the banner has arrived; the enable secret is typed
    # at a password prompt and must not be recorded
    events = [("w", "\n"), ("r", "\r\nAuthorised access only\r\nsw1>"), ("r", "\r\nsw1>"),
              ("w", "terminal length 0\n"), ("r", "terminal length 0\r\nsw1>"),
              ("w", "enable\n"), ("r", "enable\r\nPassword: "), ("w", "s3cr3t-enable\n"),
              ("r", "\r\nsw1#"), ("w", "show run\n"), ("r", "show run\r\nhostname sw1\r\nsw1#")]
    session = session_from_events(events)
    assert session.init_prompt == "\r\nAuthorised access only\r\nsw1>"
    assert session.exchanges == [
        ("\n", "\r\nsw1>"), ("terminal length 0\n", "terminal length 0\r\nsw1>"),
        ("enable\n", "enable\r\nPassword: \r\nsw1#"),
        ("show run\n", "show run\r\nhostname sw1\r\nsw1#")]
    assert "s3cr3t" not in simulation_yaml(session, [])


def test_a_line_answered_differently_keeps_every_answer_in_order() -> None:
    session = session_from_events([("r", "sw1>"), ("w", "\n"), ("r", "\r\nsw1>"),
                                   ("w", "enable\n"), ("r", "enable\r\nsw1#"),
                                   ("w", "\n"), ("r", "\r\nsw1#")])
    commands = yaml.safe_load(simulation_yaml(session, []))["commands"]
    assert [list(c) for c in commands] == [["\n"], ["enable\n"], ["\n"]]


# ---------------------------------------------------------------- against the replay server

def test_recording_masks_the_config_secrets_and_never_holds_login_secrets(
        replay: ReplayServer) -> None:
    text = _record(replay, "cisco_ios")
    planted = _planted("cisco_ios")
    assert not [secret for secret in planted if secret in text]
    assert len(set(MASK.findall(text))) >= 5
    assert "lab-pass" not in text and "lab-enable" not in text
    data = yaml.safe_load(text)
    assert "\nacc-sw1>" in "\n" + data["init_prompt"].replace("\\r", "")
    assert "show running-config\n" in _sent(data)


def test_no_mask_keeps_device_secrets_for_a_lab(replay: ReplayServer) -> None:
    text = _record(replay, "cisco_ios", mask=False)
    assert all(secret in text for secret in _planted("cisco_ios"))
    assert "lab-enable" not in text


def test_exec_platforms_are_recorded_without_prompt_or_echo(replay: ReplayServer) -> None:
    text = _record(replay, "pfsense")
    data = yaml.safe_load(text)
    assert data["init_prompt"] is None
    assert data["commands"]["cat /cf/conf/config.xml\n"].startswith("<?xml")
    assert not [secret for secret in _planted("pfsense") if secret in text]


ROUND_TRIP = ["cisco_ios", "arista_eos", "juniper_junos", "hp_procurve", "mikrotik_routeros",
              "pfsense"]


@needs_oxidized_replay
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_record_replay_backup_gives_the_same_config(name: str, tmp_path: Path,
                                                   replay: ReplayServer) -> None:
    if not (EXPECTED / f"{name}.cfg").exists():
        pytest.skip(f"no expected config for {name}")
    text = _record(replay, name, mask=False)
    original = load_recording(name)
    path = tmp_path / f"{original.platform}#recorded#simulation.yaml"
    path.write_text(text, encoding="utf-8")
    replayed = Recording.load(path)
    replayed.username, replayed.password = original.username, original.password
    site = BackupSite(tmp_path / "site", replay)
    (tmp_path / "site").mkdir()
    site.add(replayed, name, original.platform)
    outcome = site.run()
    assert outcome.failures == []
    assert site.stored(name) == (EXPECTED / f"{name}.cfg").read_text(encoding="utf-8")


@needs_oxidized_replay
def test_a_masked_recording_backs_up_to_the_same_lines(tmp_path: Path,
                                                      replay: ReplayServer) -> None:
    text = _record(replay, "cisco_ios")
    path = tmp_path / "cisco_ios#recorded#simulation.yaml"
    path.write_text(text, encoding="utf-8")
    replayed = Recording.load(path)
    replayed.username, replayed.password = "netdoc", "lab-pass"
    site = BackupSite(tmp_path / "site", replay)
    (tmp_path / "site").mkdir()
    site.add(replayed, "sw", "ios")
    assert site.run().failures == []
    stored = (site.stored("sw") or "").split("\n")
    expected = (EXPECTED / "cisco_ios.cfg").read_text(encoding="utf-8").split("\n")
    assert [MASK.sub("<masked>", line) for line in stored] == \
        [MASK.sub("<masked>", line) for line in expected]


# ---------------------------------------------------------------- the command

def test_cli_writes_the_file_and_refuses_to_overwrite(tmp_path: Path, replay: ReplayServer,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) \
        -> None:
    served = replay.serve(load_recording("arista_eos"))
    monkeypatch.setenv("REC_PW", "lab-pass")
    out = tmp_path / "eos#sw1#simulation.yaml"
    argv = ["record", served.host, "--port", str(served.port), "--platform", "eos",
            "--username", "netdoc", "--password-env", "REC_PW", "--output", str(out)]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert "show running-config\n" in _sent(data)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert main(argv) == 2
    assert "exists; not overwriting" in capsys.readouterr().err


def test_a_vendor_without_profile_is_recorded_with_a_netmiko_driver_and_given_commands(
        replay: ReplayServer) -> None:
    served = replay.serve(load_recording("arista_eos"))
    text, platform = record(RecordRequest(
        host=served.host, port=served.port, platform="generic", username="netdoc",
        password="lab-pass", commands=("show version", "show running-config")))
    assert platform == "generic"
    sent = _sent(yaml.safe_load(text))
    assert "show version\n" in sent and "show running-config\n" in sent
    assert "lab-pass" not in text


def test_a_vendor_without_profile_needs_its_commands(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REC_PW", "x")
    code = main(["record", "192.0.2.1", "--platform", "generic", "--username", "u",
                 "--password-env", "REC_PW"])
    assert code == 2 and "give them with --commands" in capsys.readouterr().err


def test_cli_unknown_platform_fails_before_connecting(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REC_PW", "x")
    code = main(["record", "192.0.2.1", "--platform", "cisco_iox", "--username", "u",
                 "--password-env", "REC_PW"])
    assert code != 0 and "unknown platform 'cisco_iox'" in capsys.readouterr().err


def test_cli_needs_credentials(capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    assert main(["record", "192.0.2.1", "--platform", "ios"]) == 2
    assert "--credential NAME" in capsys.readouterr().err



SHARED_ROUND_TRIP = ["asa#", "fortigate#", "vyos#", "h3c#", "pfsense#"]


@pytest.mark.skipif(not SHARED_SESSIONS.is_dir(), reason="../shared/device-sessions is absent")
@needs_oxidized_replay
@pytest.mark.parametrize("prefix", SHARED_ROUND_TRIP)
def test_a_real_device_session_recorded_again_backs_up_the_same(prefix: str, tmp_path: Path,
                                                                replay: ReplayServer) -> None:
    """A real device's session (Oxidized's recording, replayed) recorded by netdoc: the
    new recording backs up to exactly what the device itself gave (escape codes, \\r,
    enable prompts and all)."""
    source = next(iter(sorted(SHARED_SESSIONS.glob(f"{prefix}*#simulation.yaml"))), None)
    if source is None:
        pytest.skip(f"no {prefix} session in ../shared")
    model = source.name.split("#")[0]

    def backed_up(recording: Recording, folder: str) -> str | None:
        recording.username, recording.password = "netdoc", "lab-pass"
        site = BackupSite(tmp_path / folder, replay)
        (tmp_path / folder).mkdir()
        site.add(recording, "dev", model)
        assert site.run().failures == []
        return site.stored("dev")

    device = Recording.load(source)
    device.username, device.password = "netdoc", "lab-pass"
    served = replay.serve(device)
    text, _ = record(RecordRequest(host=served.host, port=served.port, platform=model,
                                   username="netdoc", password="lab-pass",
                                   enable_secret="lab-enable", mask=False))
    again = tmp_path / f"{model}#again#simulation.yaml"
    again.write_text(text, encoding="utf-8")
    assert backed_up(Recording.load(again), "again") == backed_up(Recording.load(source), "orig")
