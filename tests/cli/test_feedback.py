"""Feedback: -v shows netdoc's own steps, -vv the libraries' too (netmiko never: it
logs device output); stage progress on a terminal only, never under systemd."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import pytest

from cli_support import netdoc_json, write_config
from netdoc.app import progress
from netdoc.app.cli import main


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    yield
    from netdoc.app.cli import LIBRARY_LOGGERS, NETDOC_LOGGERS

    for name in (*NETDOC_LOGGERS, *LIBRARY_LOGGERS):
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.WARNING)


def levels() -> dict[str, int]:
    return {name: logging.getLogger(name).getEffectiveLevel()
            for name in ("netdoc", "collectors", "paramiko", "asyncssh", "git", "netmiko",
                         "paramiko.transport")}


@pytest.mark.parametrize("flags, netdoc_level, library_level", [
    ([], logging.INFO, logging.WARNING),
    (["-v"], logging.DEBUG, logging.WARNING),
    (["-vv"], logging.DEBUG, logging.DEBUG),
    (["-q"], logging.ERROR, logging.ERROR),
])
def test_verbosity_levels(flags: list[str], netdoc_level: int, library_level: int,
                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([*flags, "platforms"])
    seen = levels()
    assert seen["netdoc"] == seen["collectors"] == netdoc_level
    assert seen["paramiko"] == seen["asyncssh"] == seen["git"] == library_level
    # device output never reaches a log, at any verbosity
    assert seen["netmiko"] >= logging.WARNING and seen["paramiko.transport"] >= logging.WARNING


def test_progress_only_at_a_terminal_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    monkeypatch.setattr("sys.stderr", Tty())
    assert progress.interactive()
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    assert not progress.interactive()
    monkeypatch.delenv("JOURNAL_STREAM")
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    assert not progress.interactive()


def test_stage_lines_say_how_long_it_took_last_time() -> None:
    previous = {"stages": [{"stage": "backup", "seconds": 41.2},
                           {"stage": "discover", "seconds": 754}]}
    assert progress.stage_line("acme", "backup", 2, 3, previous) == \
        "[acme] stage 2/3: backup (last run: 41 s)"
    assert progress.stage_line("acme", "discover", 1, 3, previous).endswith(
        "(last run: 12 min 34 s)")
    assert progress.stage_line("acme", "render", 3, 3, {}) == "[acme] stage 3/3: render"


def test_no_progress_lines_when_not_at_a_terminal(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    config = write_config(tmp_path)
    code, _ = netdoc_json(capsys, "--config", str(config), "render")
    assert code == 0
    main(["--config", str(config), "render"])
    assert "stage 1/1" not in capsys.readouterr().err


def test_the_backup_bar_counts_devices_with_an_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from netdoc.backup import stage

    monkeypatch.setattr("netdoc.app.progress.interactive", lambda: True)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with stage._Progress(3) as bar:  # noqa: SLF001 - the bar the backup stage shows
        assert bar.bar is not None
        columns = " ".join(type(c).__name__ for c in bar.bar.columns)
        assert "MofNCompleteColumn" in columns and "TimeRemainingColumn" in columns
    monkeypatch.setattr("netdoc.app.progress.interactive", lambda: False)
    with stage._Progress(3) as quiet:  # noqa: SLF001
        assert quiet.bar is None
