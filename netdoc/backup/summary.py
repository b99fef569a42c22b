"""The backup stage's published result, for the stages after it (the site).

    summary = read_backup_summary(config, client)
    summary.entries["hq/sw1"]      status, age, last error, identity (host, name, serial)
    summary.details("hq/sw1")      the config as it may be shown (masked for a client that
                                   keeps secrets), its latest change and history
    backed_up_configs(config, "acme", {"192.0.2.1"})
                                   {"192.0.2.1": its latest stored config} (discovery
                                   reads switchport VLANs from it)

A reader never opens the backup's files itself: the state file, the repository's
metadata and history are read here, next to the code that writes them. Details are
read on demand (a diff and its facts cost a parse of two configs).
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from netdoc.backup.matching import BackupIdentity
from netdoc.config import Client, Config
from netdoc.gitstore import GitStore, LogEntry
from netdoc.workspace import Workspace

HISTORY_COMMITS = 500
HISTORY_SHOWN = 20


@dataclass
class BackupEntry:
    """One backed-up device: where its config is and how its backups are going."""

    identity: BackupIdentity  # path, host, name, serial (to match it to an inventory device)
    status: str               # ok | failed | stale
    last_error: str = ""
    age: str = ""             # "3 hours ago", "never backed up"
    last_success: str = ""    # "YYYY-MM-DD HH:MM UTC", "" never
    history: list[LogEntry] = field(default_factory=list)  # commits of its .cfg, newest first

    @property
    def path(self) -> str:
        return self.identity.path


@dataclass
class BackupDetails:
    config_text: str | None = None  # None: no stored config
    diff: str = ""                  # the latest change, masked like config_text
    diff_title: str = ""
    facts_changes: list[str] = field(default_factory=list)  # the diff in plain words


@dataclass
class BackupSummary:
    client: str
    repository: Path
    entries: dict[str, BackupEntry] = field(default_factory=dict)  # path -> entry
    mask_key: bytes | None = None  # `secrets: keep`: texts are masked before shown

    def identities(self) -> list[BackupIdentity]:
        return [entry.identity for entry in self.entries.values() if entry.identity.host]

    def details(self, path: str) -> BackupDetails:
        from netdoc.backup.stage import display_diff, display_text
        from netdoc.backup.store import ConfigRepository
        from netdoc.facts.store import changes_between

        entry = self.entries[path]
        found = BackupDetails()
        cfg = self.repository / f"{path}.cfg"
        if cfg.is_file():
            found.config_text = display_text(self.repository, path, cfg.read_text(
                encoding="utf-8", errors="replace"), self.mask_key)
        commits = entry.history
        if len(commits) > 1:
            latest = commits[0]
            if self.mask_key is not None:
                found.diff = display_diff(ConfigRepository(self.repository), path,
                                          f"{latest.hash}~1", latest.hash, self.mask_key,
                                          context=3)
            else:
                found.diff = GitStore(self.repository).patch(latest.hash, f"{path}.cfg")
            found.diff_title = f"{latest.date}: {latest.subject}"
            # the same change in plain words (netdoc.facts)
            found.facts_changes = changes_between(self.repository, path, f"{latest.hash}~1",
                                                  latest.hash)
        return found


def read_backup_summary(config: Config, client: Client) -> BackupSummary:
    """Every device the backup stage keeps state for, with its status and history."""
    from netdoc.backup.secrets import load_mask_key
    from netdoc.backup.state import describe_age, load_states, state_dir

    files = Workspace.of(config, client.name)
    states = load_states(state_dir(config, client.name))
    summary = BackupSummary(client=client.name, repository=files.configs)
    # `secrets: keep` keeps secrets in the git store only: shown texts are masked
    if client.secrets == "keep":
        summary.mask_key = load_mask_key(state_dir(config, client.name))
    log_by_file: dict[str, list[LogEntry]] = defaultdict(list)
    for commit in GitStore(files.configs).log(HISTORY_COMMITS):
        for path in commit.files:
            log_by_file[path].append(commit)
    for state in states.values():
        status = "failed" if state.consecutive_failures else \
            "stale" if state.is_stale(config.backup.max_age_hours) else "ok"
        summary.entries[state.path] = BackupEntry(
            identity=BackupIdentity(path=state.path, host=state.host, name=state.name,
                                    serial=_meta_serial(files.configs / f"{state.path}.meta.yaml")),
            status=status, last_error=state.last_error, age=describe_age(state.age_hours()),
            last_success=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(state.last_success))
            if state.last_success else "",
            history=log_by_file.get(f"{state.path}.cfg", []))
    return summary


def backed_up_configs(config: Config, client: str, hosts: Collection[str]) -> dict[str, str]:
    """address -> the latest stored configuration (as stored) of the backed-up device at
    that address, for each of `hosts` that has one. An unreadable config file is left
    out; an unreadable backup state raises StoreError."""
    from netdoc.backup.state import load_states

    files = Workspace.of(config, client)
    paths = {state.host: state.path for state in load_states(files.backup_state).values()
             if state.host}
    found: dict[str, str] = {}
    for host in hosts:
        if host not in paths:
            continue
        try:
            found[host] = (files.configs / f"{paths[host]}.cfg").read_text(
                encoding="utf-8", errors="replace")
        except OSError:
            continue
    return found


def _meta_serial(path: Path) -> str:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # a hint only: no serial then
        return ""
    return str(data.get("serial", "")) if isinstance(data, dict) else ""
