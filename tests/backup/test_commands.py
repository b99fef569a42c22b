"""netdoc diff / history / hostkey, as a technician types them."""
from __future__ import annotations

import json
from dataclasses import replace

import asyncssh
import pytest

from backup_helpers import (  # type: ignore[import-not-found]
    BackupSite, failure_for, load_recording, swap_recording)
from netdoc.app.cli import main

CONFIG_COMMAND = "show running-config"


def _with_description(new: str) -> object:
    rec = load_recording("cisco_ios")
    text = rec.commands[CONFIG_COMMAND].replace(" description desk-102", f" description {new}")
    return replace(rec, commands={**rec.commands, CONFIG_COMMAND: text})



@pytest.fixture
def two_runs(site: BackupSite) -> BackupSite:
    """sw1 and sw2 backed up, then sw1's port description changed and backed up again."""
    site.add("cisco_ios", "sw1")
    site.add("cisco_ios", "sw2")
    assert site.run().failures == []
    swap_recording(site, "sw1", _with_description("desk-102 moved to room 4"))
    assert site.run().failures == []
    return site


def _netdoc(site: BackupSite, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(site.config_path), *args])
    return code, capsys.readouterr().out


def test_diff_shows_the_last_runs_changes(two_runs: BackupSite,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _netdoc(two_runs, capsys, "diff")
    assert code == 0
    assert "=== [acme] hq/sw1: changed" in out
    assert ("  in interface GigabitEthernet1/0/2:\n"  # the block the change is in
            "    -  description desk-102\n"
            "    +  description desk-102 moved to room 4\n") in out + "\n"
    assert "hq/sw2" not in out, "unchanged devices are not listed"
    assert "diff --git" not in out and "index " not in out


def test_diff_of_one_device_since_a_date_or_revision(two_runs: BackupSite,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    first = two_runs.git("rev-list", "--max-parents=0", "HEAD").strip()
    code, out = _netdoc(two_runs, capsys, "diff", "acme", "sw1", "--since", first)
    assert code == 0 and "hq/sw1: changed" in out
    code, out = _netdoc(two_runs, capsys, "diff", "sw2", "--since", first)
    assert code == 0 and out.strip() == "no configuration changes"
    code, out = _netdoc(two_runs, capsys, "diff", "sw2", "--since", "2000-01-01")
    assert code == 0 and "hq/sw2: added" in out  # nothing that old: everything is new


def test_diff_names_a_bad_since(two_runs: BackupSite, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(two_runs.config_path), "diff", "--since", "yesteryear!"])
    assert code == 2
    assert "--since 'yesteryear!' is neither a git revision nor a date" in capsys.readouterr().err


def test_history_lists_when_a_device_changed(two_runs: BackupSite,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _netdoc(two_runs, capsys, "history", "sw1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "[acme] hq/sw1: 2 version(s), newest first"
    assert "changed" in lines[1] and "+1 -1" in lines[1] and "backup: 1 changed" in lines[1]
    assert "added" in lines[2]
    code, out = _netdoc(two_runs, capsys, "history", "sw2", "--json")
    data = json.loads(out)
    assert data["device"] == "hq/sw2" and [c["change"] for c in data["changes"]] == ["added"]


def test_history_of_an_unknown_device(two_runs: BackupSite,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(two_runs.config_path), "history", "nosuch"])
    assert code == 2 and "no device 'nosuch'" in capsys.readouterr().err


def test_hostkey_list_and_accept(site: BackupSite, capsys: pytest.CaptureFixture[str]) -> None:
    site.add("cisco_ios", "sw1")
    assert site.run().failures == []
    device = site.devices[0]
    site.server.stop(device.served)
    site.devices.remove(device)
    site.add("cisco_ios", "sw1", port=device.served.port,
             host_key=asyncssh.generate_private_key("ssh-ed25519"))
    assert "host key CHANGED" in failure_for(site.run(), "sw1")

    code, out = _netdoc(site, capsys, "hostkey", "list")
    assert code == 0 and f"[acme] [127.0.0.1]:{device.served.port}: new key ssh-ed25519" in out
    code, out = _netdoc(site, capsys, "hostkey", "accept", "acme", "sw1")
    assert code == 0 and "host key accepted" in out and "old: ssh-ed25519 SHA256:" in out
    assert site.run().failures == []
    code, out = _netdoc(site, capsys, "hostkey", "accept", "acme", "sw1")
    assert code != 0, "nothing is waiting any more"
