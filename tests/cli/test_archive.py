"""Devices gone for discovery.archive_after_runs runs move to the archive: still in the
index and its files (searchable), left out of every count."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import CONFIG, netdoc_json, write_config
from netdoc.inventory.store import InventoryStore, load_devices
from netdoc.models import Device


def test_a_long_gone_device_is_archived_not_counted(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    config = write_config(tmp_path, CONFIG + "discovery: {missing_after_runs: 1, "
                                             "archive_after_runs: 3}\n")
    folder = tmp_path / "inventory" / "acme"
    store = InventoryStore(folder)
    core = Device(hostname="core-sw", mgmt_ip="192.0.2.1", site="hq")
    printer = Device(hostname="old-printer", mgmt_ip="192.0.2.5", site="hq")
    store.update([core, printer], set(), 1, archive_after=3)

    def statuses() -> dict[str, str]:
        index = json.loads((folder / "index.json").read_text())
        return {d["name"]: d["status"] for d in index["devices"]}

    for run, wanted in ((1, "missing"), (2, "missing"), (3, "archived"), (4, "archived")):
        store.update([core], set(), 1, archive_after=3)
        assert statuses()["old-printer"] == wanted, run
    assert [d.hostname for d in load_devices(folder, present_only=True)] == ["core-sw"]
    code, status = netdoc_json(capsys, "--config", str(config), "status")
    assert status["clients"][0]["devices"] == {"present": 1, "missing": 0, "archived": 1}
    code, _ = netdoc_json(capsys, "--config", str(config), "render")
    assert code == 0
    summary = json.loads((folder / "site" / "summary.json").read_text())
    assert summary["archived"] == 1
    assert summary["devices"] == 1, summary  # the archived printer is not counted
    page = (folder / "site" / "devices.html").read_text()
    listed, archive = page.split('<h2 id="archive">', 1)
    assert "Devices <span class=\"muted\">(1)</span>" in listed and "old-printer" not in listed
    assert "Archive <span class=\"muted\">(1)</span>" in archive and "old-printer" in archive
    # it comes back: present again, counted again
    store.update([core, printer], set(), 1, archive_after=3)
    assert statuses()["old-printer"] == "present"
