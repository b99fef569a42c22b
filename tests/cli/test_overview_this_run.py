"""The site rendered at the end of a run shows that run (not the one before), with the
config changes the same run found."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import netdoc_json, write_config
from netdoc.config import Client, Config
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device
from netdoc.app.pipeline import STAGES, Event, StageOutcome


def a_config_change(config: Config, client: Client) -> StageOutcome:
    return StageOutcome(stage="backup", client=client.name, summary="1 device(s): 1 changed",
                        events=[Event("config_changed", "hq/core-sw", "+2 -1 lines")])


def test_the_overview_shows_this_run_and_its_config_changes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    monkeypatch.setitem(STAGES, "backup", f"{__name__}:a_config_change")
    config = write_config(tmp_path)
    InventoryStore(tmp_path / "inventory" / "acme").update(
        [Device(hostname="core-sw", mgmt_ip="192.0.2.1", site="hq")], set(), 3)
    code, first = netdoc_json(capsys, "--config", str(config), "run", "--stages", "render")
    code, document = netdoc_json(capsys, "--config", str(config), "run", "--stages",
                                 "backup,render")
    assert code == 0, document
    [run] = document["runs"]
    site = tmp_path / "inventory" / "acme" / "site"
    summary = json.loads((site / "summary.json").read_text())
    # this run, as it stood when the site was drawn (the last one ended "ok")
    assert summary["last_run"] == {"started": run["started"], "status": "running"}
    assert first["runs"][0]["status"] == "ok"
    assert summary["changes"] >= 1
    assert "config changed: hq/core-sw" in (site / "index.html").read_text()
    final = json.loads((tmp_path / "inventory" / "acme" / "last-run.json").read_text())
    assert final["status"] == "ok" and [s["stage"] for s in final["stages"]] == ["backup",
                                                                                 "render"]
