"""`netdoc backup DEVICE...`, `hostkey list` (pinned and waiting keys), `status` and the
changed-key message, against replayed SSH devices on 127.0.0.1."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import asyncssh
import pytest

from backup_helpers import (  # type: ignore[import-not-found]
    BackupSite, failure_for, load_recording, swap_recording)
from netdoc.app.cli import main

CONFIG_COMMAND = "show running-config"


def _described(text: str) -> object:
    rec = load_recording("cisco_ios")
    config = rec.commands[CONFIG_COMMAND].replace(" description desk-102", f" description {text}")
    return replace(rec, commands={**rec.commands, CONFIG_COMMAND: config})


def _json(site: BackupSite, capsys: pytest.CaptureFixture[str], *args: str) \
        -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["--json", "--config", str(site.config_path), *args])
    return code, json.loads(capsys.readouterr().out)


def test_backup_of_named_devices_touches_only_them(site: BackupSite,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    site.add("cisco_ios", "sw1")
    site.add("cisco_ios", "sw2")
    assert site.run().failures == []
    before_sw2 = site.stored("sw2")
    swap_recording(site, "sw1", _described("moved to room 4"))
    swap_recording(site, "sw2", _described("moved to room 9"))
    site.config()
    code, document = _json(site, capsys, "backup", "sw1")
    assert code == 0, document
    [run] = document["runs"]
    assert run["stages"][0]["summary"].startswith("1 device(s)")
    assert "moved to room 4" in (site.stored("sw1") or "")
    assert site.stored("sw2") == before_sw2, "a device not named was backed up"
    code, document = _json(site, capsys, "backup", "no-such-switch")
    assert code == 2 and "no-such-switch" in document["error"]["message"]


def test_hostkey_list_shows_pinned_and_waiting_keys_and_status_sees_them(
        site: BackupSite, capsys: pytest.CaptureFixture[str]) -> None:
    site.add("cisco_ios", "sw1")
    sw2 = site.add("cisco_ios", "sw2")
    assert site.run().failures == []
    code, listing = _json(site, capsys, "hostkey", "list")
    assert code == 0
    [acme] = listing["clients"]
    assert sorted(k["device"] for k in acme["pinned"]) == ["hq/sw1", "hq/sw2"]
    assert acme["pending"] == []
    # sw2 is replaced: a new key on the same address
    site.server.stop(sw2.served)
    site.devices.remove(sw2)
    site.add("cisco_ios", "sw2", port=sw2.served.port,
             host_key=asyncssh.generate_private_key("ssh-ed25519"))
    reason = failure_for(site.run(), "sw2")
    assert "netdoc hostkey accept acme hq/sw2" in reason
    assert "CLIENT" not in reason, "the message names the client, not a placeholder"
    code, listing = _json(site, capsys, "hostkey", "list")
    [acme] = listing["clients"]
    assert [k["device"] for k in acme["pending"]] == ["hq/sw2"]
    assert acme["pending"][0]["accept"] == "netdoc hostkey accept acme hq/sw2"
    code, status = _json(site, capsys, "status")
    [entry] = status["clients"]
    assert entry["attention"] is True
    assert [k["device"] for k in entry["host_keys_pending"]] == ["hq/sw2"]
    assert [d["device"] for d in entry["devices_failing"]] == ["hq/sw2"]
    # the technician accepts it as the message says, and the next run is clean
    code, accepted = _json(site, capsys, "hostkey", "accept", "acme", "hq/sw2")
    assert code == 0 and accepted["new"] and accepted["device"] == "hq/sw2"
    assert site.run().failures == []
