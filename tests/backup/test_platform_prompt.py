"""A profile's `prompt:` (the platform's prompt shape, any host name) ends an answer.

netdoc reads a command's output until the prompt it found at login comes back.
When the prompt that comes back carries another host name (renamed while netdoc
reads, or a recording whose names were anonymised one by one), a platform that
describes its prompt shape is still read to the end, and that prompt line is no
part of the stored config. TNSR ("<host> tnsr# ") describes its shape.
"""
from __future__ import annotations

from dataclasses import replace

from backup_helpers import BackupSite, failure_for, load_recording  # type: ignore[import-not-found]
from netdoc.platforms import profile_named

CONFIG = "show configuration running cli"


def test_answer_ends_at_a_prompt_with_another_host_name(site: BackupSite) -> None:
    rec = load_recording("netgate_tnsr")
    renamed = replace(rec, modes={**rec.modes, CONFIG: "rtr-acme-new tnsr# "})
    site.add("netgate_tnsr", "rtr-ref")
    site.add(renamed, "rtr1")
    site.backup = {"timeout": 20}
    outcome = site.run()
    assert outcome.failures == []
    stored = site.stored("rtr1") or ""
    assert "tnsr#" not in stored, "the prompt line was stored as config"
    assert stored == site.stored("rtr-ref")
    assert outcome.seconds < 15, "the answer was only ended by the time limit"


def test_without_a_prompt_shape_a_foreign_prompt_does_not_end_the_answer(
        site: BackupSite) -> None:
    """Only the platform's own shape counts: a SonicOS prompt with another name is not
    taken for the end of the answer (SonicOS gives no shape), so the device fails alone."""
    assert profile_named("sonicwall_sonicos").backup.prompt is None  # type: ignore[union-attr]
    rec = load_recording("sonicwall_sonicos")
    renamed = replace(rec, modes={**rec.modes, "show current-config": "admin@OTHER> "})
    site.backup = {"timeout": 6}
    site.add(renamed, "fw1")
    outcome = site.run()
    assert "show current-config" in failure_for(outcome, "fw1")
