"""One failing part never stops the others: a client whose stage or alerts blow up
fails alone, with the reason in its run report, and the next client runs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netdoc.app import runner
from netdoc.config import Client, Config, parse_config
from netdoc.app.pipeline import DeviceFailure, Event, StageOutcome

CONFIG = """
clients:
  acme: {sites: {hq: {subnets: [192.0.2.0/24]}}}
  globex: {sites: {main: {subnets: [198.51.100.0/24]}}}
output: {inventory: inventory, config_backups: config_backups}
"""


def stage(config: Config, client: Client) -> StageOutcome:
    if client.name == "acme":
        raise RuntimeError("surprise from a device: \x1b]2;owned\x07")
    return StageOutcome(stage="discover", client=client.name, summary="2 devices",
                        failures=[DeviceFailure(host="192.0.2.9", name="sw\x1b[2J9",
                                                reason="said \x1b]2;owned\x07 and left")],
                        events=[Event("new_device", "pc\x01\x1b[31m", "192.0.2.9\x00")])


def test_an_unexpected_error_in_one_client_does_not_stop_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "netdoc.yaml").write_text(CONFIG)
    config = parse_config(CONFIG, tmp_path / "netdoc.yaml")
    monkeypatch.setattr("netdoc.app.pipeline.load_stage", lambda name: stage)

    def broken_alerts(*args: Any, **kwargs: Any) -> list[str]:
        raise KeyError("alerts-state.json had an unexpected shape")

    monkeypatch.setattr(runner, "_send_alerts", broken_alerts)
    code = runner.run(config, ["discover"], None)

    assert code == 5  # acme's whole stage failed (exit 5 outranks globex's device failure)
    reports = {name: json.loads((tmp_path / "inventory" / name / "last-run.json").read_text())
               for name in ("acme", "globex")}
    assert reports["acme"]["status"] == "stage_failed"
    assert reports["globex"]["status"] == "failures"
    assert "RuntimeError" in reports["acme"]["failures"][0]["reason"]
    assert reports["globex"]["stages"][0]["summary"] == "2 devices"
    assert reports["globex"]["alerts"] == ["alerts not sent: KeyError: 'alerts-state.json had "
                                           "an unexpected shape'"]
    raw = (tmp_path / "inventory" / "globex" / "last-run.json").read_text()
    assert "\\u001b" not in raw and "\\u0001" not in raw and "\\u0000" not in raw
    assert reports["globex"]["failures"][0]["reason"] == "said  and left"
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err  # device text cannot drive the terminal
