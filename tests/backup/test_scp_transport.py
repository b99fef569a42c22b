"""`transport: scp`: a configuration kept in a file (APC config.ini) is copied off the
device with SCP, over real SSH against the replay server."""
from __future__ import annotations

from dataclasses import replace

from backup_helpers import BackupSite, failure_for, load_recording  # type: ignore[import-not-found]


def test_config_file_is_copied_off_by_scp_and_cleaned(site: BackupSite) -> None:
    site.add("apc_ups", "ups1")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("ups1") or ""
    assert stored.startswith("; Schneider Electric\n")
    assert "generated on" not in stored, "the per-copy timestamp is volatile"
    assert "ApcR0nly" not in stored and "AccessControl1Community=<masked:" in stored
    assert site.meta("ups1")["driver"] == "scp"


def test_a_missing_file_fails_the_device_with_the_devices_own_message(site: BackupSite) -> None:
    recording = load_recording("apc_ups")
    without = replace(recording, commands={k: v for k, v in recording.commands.items()
                                           if k != "config.ini"})
    site.add(without, "ups1", "apc_ups")
    reason = failure_for(site.run(), "ups1")
    assert "scp 'config.ini' failed" in reason and "No such file" in reason
    assert site.stored("ups1") is None
