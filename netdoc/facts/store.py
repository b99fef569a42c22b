"""Facts files in the client's config repository, written in the backup's own commit.

    config_backups/<client>/<site>/<device>.cfg          the config (netdoc.backup.store)
    config_backups/<client>/<site>/<device>.facts.yaml   its facts (this module)

The backup stage calls `record_facts` under the repository lock, just before it
writes and commits the configs, so the facts land in the same commit. For each
device whose platform's profile names a parser, the new facts are compared with
the facts of the config being replaced (read by the same parser, so a parser
upgrade alone reports nothing) and the differences said in plain words; where the
facts see no difference, hier-config says which sections changed (profile key
`structure:`). A config the parser cannot read is a warning for that device (its
previous facts file stays): the backup itself never fails because of facts.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from netdoc.errors import NetdocError
from netdoc.facts import facts_for
from netdoc.facts.changes import describe_changes
from netdoc.facts.model import FORMAT, DeviceFacts, FactsError, from_yaml, to_yaml
from netdoc.facts.structure import section_changes, structure_os
from netdoc.fsutil import atomic_write, atomic_write_many
from netdoc.models import EventKind

log = logging.getLogger("netdoc.facts")

SUFFIX = ".facts.yaml"


@dataclass
class FactsRecord:
    changes: dict[str, list[str]] = field(default_factory=dict)   # device path -> words
    warnings: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)               # device paths


def facts_path(folder: Path, device_path: str) -> Path:
    return folder / f"{device_path}{SUFFIX}"


def read_facts(folder: Path, device_path: str) -> DeviceFacts | None:
    """The stored facts of a device, or None (none yet, or unreadable)."""
    try:
        return from_yaml(facts_path(folder, device_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, FactsError):
        return None


@dataclass
class ParsedFacts:
    """A config's facts, parsed ahead (the backup's workers parse each new config as it
    arrives, while other devices are still answering), for record_facts."""
    config: str
    facts: DeviceFacts | None = None
    text: str = ""
    error: str = ""


def parse_facts(config: str, platform: str) -> ParsedFacts:
    try:
        facts = facts_for(config, platform)
        return ParsedFacts(config, facts, to_yaml(facts) if facts is not None else "")
    except (FactsError, NetdocError) as exc:
        return ParsedFacts(config, error=str(exc))


def record_facts(folder: Path, stored: Iterable[Any],
                 parsed: dict[str, ParsedFacts] | None = None) -> FactsRecord:
    """Write the facts file of each stored config (items with .path, .label, .config and
    .metadata['platform']); return the plain-words changes and the warnings. `parsed`:
    device path -> its config's facts parsed ahead (parse_facts), used when the config
    is the same; the others are parsed here."""
    record = FactsRecord()
    to_write: dict[Path, tuple[str, str, str]] = {}
    for item in stored:
        platform = str((item.metadata or {}).get("platform", ""))
        old_config = _read(folder / f"{item.path}.cfg")
        changed = old_config is not None and old_config != item.config
        if old_config is not None and not changed and _current(folder, item.path, platform):
            continue   # same config, facts of this format already there: nothing to parse
        ahead = (parsed or {}).get(item.path)
        if ahead is None or ahead.config != item.config:
            ahead = parse_facts(item.config, platform)
        facts, text = ahead.facts, ahead.text
        if ahead.error:
            record.warnings.append(f"{item.label}: facts not updated: {ahead.error}")
            log.warning("%s: facts not updated: %s", item.label, ahead.error)
            facts, text = None, ""
        changes: list[str] = []
        if changed and facts is not None:
            # the old config read by today's parser: a parser upgrade alone is no change
            try:
                changes = describe_changes(facts_for(str(old_config), platform), facts)
            except (FactsError, NetdocError):
                changes = []
        if changed and not changes:
            # nothing the facts model knows changed: say which sections did (hier-config)
            changes = masked_section_changes(str(old_config), item.config, platform)
        if changes:
            record.changes[item.path] = changes
        if facts is None:
            continue
        to_write[facts_path(folder, item.path)] = (item.path, item.label, text)
    _write_all(to_write, record)
    return record


def _write_all(files: dict[Path, tuple[str, str, str]], record: FactsRecord) -> None:
    """path -> (device path, label, text): one batch (a single sync for all of them),
    where the text differs from the file; should that fail, file by file, so one
    device's failure is that device's warning."""
    try:
        changed = atomic_write_many({path: text for path, (_, _, text) in files.items()},
                                    mode=0o600)
        record.written += [files[path][0] for path in changed]
        return
    except NetdocError:
        pass
    for path, (device, label, text) in files.items():
        if _read(path) == text:
            continue
        try:
            atomic_write(path, text, mode=0o600)
            record.written.append(device)
        except NetdocError as exc:
            record.warnings.append(f"{label}: facts not written: {exc}")
            log.warning("%s: facts not written: %s", label, exc)


def _current(folder: Path, device_path: str, platform: str) -> bool:
    """The stored facts file was written by this facts format and parser (bump
    model.FORMAT when a parser's output changes, so unchanged configs are read again)."""
    from netdoc.facts import parser_for_platform

    text = _read(facts_path(folder, device_path)) or ""
    return text.startswith(f"format: {FORMAT}\nparser: {parser_for_platform(platform)}\n")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def attach_changes(events: list[Any], record: FactsRecord) -> None:
    """Put each device's plain-words changes on its config_changed event (the event's
    detail is '<path>.cfg')."""
    for event in events:
        if getattr(event, "kind", "") != EventKind.CONFIG_CHANGED:
            continue
        path = str(event.detail).removesuffix(".cfg")
        if record.changes.get(path):
            event.facts_changes = list(record.changes[path])


def changes_between(repository: Path, device_path: str, old: str, new: str) -> list[str]:
    """Plain-words changes of one device's config between two commits (for the site's
    change page): both .cfg versions read by today's parser; [] when none applies."""
    import yaml

    from netdoc.gitstore import GitStore

    store = GitStore(repository)

    def show(rev: str, suffix: str) -> str | None:
        return store.show(rev, f"{device_path}{suffix}")

    try:
        meta = yaml.safe_load(show(new, ".meta.yaml") or "") or {}
    except yaml.YAMLError:
        return []
    platform = str(meta.get("platform", "")) if isinstance(meta, dict) else ""
    before, after = show(old, ".cfg"), show(new, ".cfg")
    if not platform or before is None or after is None:
        return []
    try:
        old_facts, new_facts = facts_for(before, platform), facts_for(after, platform)
    except (FactsError, NetdocError):
        old_facts = new_facts = None
    changes = describe_changes(old_facts, new_facts) if new_facts is not None else []
    if not changes and before != after:
        changes = masked_section_changes(before, after, platform)
    return changes


def masked_section_changes(old: str, new: str, platform: str) -> list[str]:
    """Per-section change lines of the two configs, secrets masked first with the
    platform's rules (a `secrets: keep` client's configs hold them in clear); when they
    cannot be masked, nothing is said rather than a secret."""
    os_name = structure_os(platform)
    if not os_name:
        return []
    try:
        from netdoc.backup.platforms import plan_for
        from netdoc.backup.secrets import mask_secrets

        recipe = plan_for("-", platform).recipe
        key = os.urandom(32)   # one key for both texts: an unchanged secret stays unchanged
        old, new = mask_secrets(old, recipe, key), mask_secrets(new, recipe, key)
    except Exception:  # noqa: BLE001 - no masking rules, no lines
        return []
    return section_changes(old, new, os_name)
