"""Every supported platform, from a recorded SSH session to the stored file.

For each recording in tests/fixtures/sessions/ the replay server plays the
device, netdoc backs it up over real SSH, and the stored config must equal
tests/fixtures/sessions/expected/<name>.cfg line by line: banner, prompts,
echo, pager, escape codes and volatile lines gone, secrets masked.
All platforms run in one backup run (as one client's site would).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from backup_helpers import (EXPECTED, PLATFORMS, BackupSite,  # type: ignore[import-not-found]
                            load_recording)
from netdoc.backup.clean import reindent_json
from netdoc.app.pipeline import StageOutcome
from netdoc.platforms import BackupRecipe, profile_named
from support.replay_server import ReplayServer

IDS = [stem for _, _, stem in PLATFORMS]
MASK = re.compile(r"<masked:[0-9a-f]{10}>")


def _recipe(platform: str) -> BackupRecipe:
    name, _, variant = platform.partition(":")
    profile = profile_named(name)
    assert profile is not None and profile.backup is not None
    return profile.backup.variants[variant] if variant else profile.backup


class Run:
    def __init__(self, site: BackupSite, outcome: StageOutcome) -> None:
        self.site = site
        self.outcome = outcome


def _backup_all(root: Path, client: dict[str, str], mutate: bool = False) -> Iterator[Run]:
    with pytest.MonkeyPatch.context() as patch, ReplayServer() as server:
        patch.setenv("NETDOC_TEST_SSH", "lab-pass")
        patch.setenv("NETDOC_TEST_ENABLE", "lab-enable")
        patch.setenv("NETDOC_TEST_WRONG", "x")
        site = BackupSite(root, server, client=client)
        for recording, platform, stem in PLATFORMS:
            site.add(recording, stem, platform)
        yield Run(site, site.run())


@pytest.fixture(scope="module")
def masked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    yield from _backup_all(tmp_path_factory.mktemp("masked"), {})


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    yield from _backup_all(tmp_path_factory.mktemp("kept"), {"secrets": "keep"})


def test_every_platform_backed_up_in_one_run(masked: Run) -> None:
    assert masked.outcome.failures == []
    assert f"{len(PLATFORMS)} device(s): 0 changed, {len(PLATFORMS)} added" \
        in masked.outcome.summary
    assert masked.site.commit_count() == 1


@pytest.mark.parametrize("stem", IDS)
def test_stored_config_matches_expected_file_line_by_line(masked: Run, stem: str) -> None:
    stored = masked.site.stored(stem)
    assert stored is not None
    expected = (EXPECTED / f"{stem}.cfg").read_text(encoding="utf-8")
    stored_lines, expected_lines = stored.split("\n"), expected.split("\n")
    for number, (got, want) in enumerate(zip(stored_lines, expected_lines), start=1):
        assert got == want, f"{stem}.cfg line {number}"
    assert len(stored_lines) == len(expected_lines)


@pytest.mark.parametrize("recording,platform,stem", PLATFORMS, ids=IDS)
def test_no_terminal_noise_survives(masked: Run, recording: str, platform: str,
                                    stem: str) -> None:
    stored = masked.site.stored(stem) or ""
    rec = load_recording(recording)
    assert "\x1b" not in stored and "\b" not in stored and "\r" not in stored
    assert not re.search(r"-- ?more ?--|---- More ----|<--- More --->", stored, re.IGNORECASE)
    for command in _recipe(platform).commands:
        assert command not in stored.split("\n"), "the echoed command was left in"
    last = stored.rstrip("\n").split("\n")[-1]
    prompt = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", rec.prompt).strip()
    assert last.strip() != prompt, "the trailing prompt was left in"
    assert stored.endswith("\n") and not stored.endswith("\n\n")


@pytest.mark.parametrize("recording,platform,stem", PLATFORMS, ids=IDS)
def test_secrets_masked_by_default_and_kept_on_request(masked: Run, kept: Run, recording: str,
                                                       platform: str, stem: str) -> None:
    with_masks = (masked.site.stored(stem) or "").split("\n")
    as_is = (kept.site.stored(stem) or "").split("\n")
    recipe = _recipe(platform)
    raw = "".join(load_recording(recording).commands.get(c, "")
                  for c in recipe.commands).replace("\r", "")
    if recipe.reformat == "json":  # stored one member per line, as netdoc re-indents it
        raw = reindent_json(raw)
    assert any(MASK.search(line) for line in with_masks), \
        f"{stem}: the recording has secrets, none was masked"
    assert not any(MASK.search(line) for line in as_is), "secrets: keep still masked"
    matcher = difflib.SequenceMatcher(a=with_masks, b=as_is, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        assert op == "replace", f"{stem}: masking added or removed lines: {op}"
        if a2 - a1 == b2 - b1:  # one line each: the placeholders stand for the secrets
            for mine, theirs in zip(with_masks[a1:a2], as_is[b1:b2]):
                _assert_masks(stem, mine, theirs, with_masks)
        else:  # a multi-line secret (private key) became one placeholder line
            assert a2 - a1 == 1 and MASK.fullmatch(with_masks[a1].strip()), with_masks[a1]
        for kept_line in as_is[b1:b2]:
            assert kept_line in raw, f"{stem}: kept line differs from the device's"


def _assert_masks(stem: str, mine: str, theirs: str, stored: list[str]) -> None:
    parts = MASK.split(mine)
    assert len(parts) > 1, f"{stem}: line changed without a placeholder: {mine!r}"
    found = re.fullmatch("(.+?)".join(re.escape(part) for part in parts), theirs)
    assert found, (mine, theirs)
    for secret in found.groups():
        assert secret not in "\n".join(stored), f"{stem}: secret {secret!r} leaked"


@pytest.mark.parametrize("stem", IDS)
def test_metadata_beside_the_config(masked: Run, stem: str) -> None:
    meta = masked.site.meta(stem)
    assert meta["name"] == stem and meta["site"] == "hq"
    assert meta["platform"] == dict((s, p) for _, p, s in PLATFORMS)[stem]
    assert meta["commands"] and meta["driver"]
    assert meta.get("version"), f"{stem}: no version found in the facts commands"
    assert "uptime" not in " ".join(map(str, meta.values())).lower(), "metadata must be stable"


def test_volatile_changes_alone_make_no_commit(masked: Run, tmp_path: Path) -> None:
    """Timestamps and counters change on every device; the stored files must not."""
    site = masked.site
    before = {stem: site.stored(stem) for stem in IDS}
    commits = site.commit_count()
    changed_any = 0
    with ReplayServer() as server:
        again = BackupSite(site.root, server)
        for recording, platform, stem in PLATFORMS:
            rec = load_recording(recording)
            recipe = _recipe(platform)
            commands = dict(rec.commands)
            for command in recipe.commands:
                commands[command], changed = _touch_volatile(commands[command], recipe)
                changed_any += changed
            # each device answers on its own port with its own host key again, as a real
            # device would (a fresh random port may be one another device had: key changed)
            served = next(d.served for d in site.devices if d.name == stem)
            site.server.stop(served)
            again.add(replace(rec, commands=commands), stem, platform, port=served.port,
                      host_key=served.host_key)
        outcome = again.run()
    assert changed_any >= 10, "the recordings should carry volatile lines"
    assert outcome.failures == []
    assert "no commit" in outcome.summary
    assert site.commit_count() == commits
    assert {stem: site.stored(stem) for stem in IDS} == before


def _touch_volatile(text: str, recipe: BackupRecipe) -> tuple[str, int]:
    """Change every digit on the recipe's volatile lines, as a later run would see them."""
    lines = text.split("\n")
    changed = 0
    for index, line in enumerate(lines):
        if any(v.search(line) for v in recipe.volatile) and re.search(r"\d", line):
            lines[index] = re.sub(r"\d", lambda m: str((int(m.group(0)) + 3) % 10), line)
            changed += 1
    return "\n".join(lines), changed
