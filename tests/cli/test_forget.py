"""`netdoc forget DEVICE`: out of the inventory in a commit that says so; the rest stays."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cli_support import CONFIG, netdoc_json, write_config
from netdoc.config import load_config
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device


def test_forget_removes_one_device_in_its_own_commit(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")
    path = write_config(tmp_path, CONFIG)
    config = load_config(path)
    store = InventoryStore(config.inventory_dir("acme"))
    store.update([Device(hostname="old-printer", mgmt_ip="192.0.2.5", site="hq"),
                  Device(hostname="core-sw", mgmt_ip="192.0.2.1", site="hq")], set(), 3)
    code, done = netdoc_json(capsys, "--config", str(path), "forget", "old-printer")
    assert code == 0 and done["device"] == "old-printer" and done["commit"]
    index = json.loads((config.inventory_dir("acme") / "index.json").read_text())
    assert [d["name"] for d in index["devices"]] == ["core-sw"]
    log = subprocess.run(["git", "-C", str(config.inventory_dir("acme")), "log", "-1",
                          "--format=%B"], capture_output=True, text=True, check=True).stdout
    assert log.startswith("Forget old-printer") and "netdoc forget old-printer" in log
    assert not list((config.inventory_dir("acme") / "devices").glob(f"*/{done['id']}.json"))
    code, again = netdoc_json(capsys, "--config", str(path), "forget", "old-printer")
    assert code == 2 and "no device 'old-printer'" in again["error"]["message"]
