"""A prompt followed by escape codes still ends a command's answer: ZyNOS CLI switches
(XGS4600, Oxidized's `zynoscli`) save the cursor after it ("XGS4600# \\e7")."""
from __future__ import annotations

from dataclasses import replace

from backup_helpers import BackupSite, load_recording  # type: ignore[import-not-found]


def test_prompt_with_a_trailing_save_cursor_escape_ends_the_answer(site: BackupSite) -> None:
    recording = replace(load_recording("zyxel_zynos"), prompt="ACME-XGS4600# \x1b7", modes={})
    site.add(recording, "xgs1", "zynoscli")
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("xgs1") or ""
    assert stored.startswith("vlan 1\n") and stored.endswith("ssh\n")
    assert "\x1b" not in stored and "XGS4600#" not in stored
