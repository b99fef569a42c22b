"""The per-client git repository of configurations.

    config_backups/<client>/            a git repository (branch main)
        <site>/<device>.cfg             the cleaned configuration, nothing else
        <site>/<device>.meta.yaml       platform, driver, commands, version, model, serial

A run writes the files of the devices that succeeded, then makes at most one
commit, only when something changed, authored by netdoc, whose message lists
the devices changed, added and failed. Failed devices' files are never touched.
One writer at a time: `RepositoryLock` (netdoc's one file lock, in the client's state
folder) is held while files are written and committed, so two runs on one
client never interleave. With a remote, the commit is pushed (retried); a failed
push keeps the commit, and the next run pushes it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netdoc.errors import StoreError
from netdoc.facts.model import SAFE_DUMPER
from netdoc.fsutil import (FileLock, LockTimeout, atomic_write_many, fault_point, read_text_or_none,
                           remove_stale_temporaries)
from netdoc.gitstore import GIT_FAILURES, GitStore, git_error
from netdoc.secrets import redact
from netdoc.textsafe import clean

log = logging.getLogger("netdoc.backup.store")

PUSH_ATTEMPTS = 3
PUSH_TIMEOUT = 60.0  # seconds per push attempt, all in
LOCK_WAIT = 600.0  # seconds a second run waits for the first to finish writing


@dataclass
class StoredConfig:
    path: str                 # "<site>/<device>" (no suffix)
    label: str                # how the commit message names the device
    config: str
    metadata: dict[str, Any]


@dataclass
class CommitResult:
    commit: str = ""          # hexsha, "" when nothing changed
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    pushed: bool | None = None  # None: no remote
    push_error: str = ""


class RepositoryLock:
    """Exclusive lock on one client's repository (blocks up to `wait` seconds): the one
    netdoc lock (netdoc.fsutil.FileLock) with this repository's message."""

    def __init__(self, lock_file: Path, wait: float = LOCK_WAIT) -> None:
        self.lock_file = lock_file
        self.wait = wait
        self._lock = FileLock(lock_file, wait)

    def __enter__(self) -> "RepositoryLock":
        try:
            self._lock.__enter__()
        except LockTimeout:
            raise StoreError(f"another netdoc run is still writing to this client's "
                             f"repository (lock {self.lock_file} held for more than "
                             f"{self.wait:.0f} s); try again later") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__()


class ConfigRepository:
    """The client's configs in the one git store (netdoc.gitstore: branch main, netdoc as
    author, one commit per run, recovery of a killed run's git locks)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.git = GitStore(folder, name="backup")
        self.repo = self.git.repo

    def read(self, path: str) -> str | None:
        """The stored config of a device (last good), or None."""
        try:
            return (self.folder / f"{path}.cfg").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read {self.folder / path}.cfg: {exc}") from None

    def write_and_commit(self, stored: list[StoredConfig], failed: list[str]) -> CommitResult:
        """Write the devices' files and commit once if the tree differs from HEAD.

        Git is the truth: a device is "unchanged" only when its files equal HEAD's,
        and any difference an earlier, killed run left uncommitted is committed now.
        Caller holds the repository lock."""
        result = CommitResult()
        with self.git.writing():  # .git/info/exclude: temporaries are never committed
            remove_stale_temporaries(self.folder)  # the lock: no live writer owns them
            self._write(sorted(stored, key=lambda s: s.path))
            try:
                self.git.stage()
                status = self.git.staged_status()
            except GIT_FAILURES as exc:
                raise StoreError(f"cannot stage the configs in {self.folder}: "
                                 f"{_git_error(exc)}") from None
            if not status:
                return result
            labels = {item.path: item.label for item in stored}
            recovered = []
            for path, code in sorted(status.items()):
                stem = _device_path(path)
                if stem in labels:
                    bucket = result.added if code == "A" and path.endswith(".cfg") \
                        else result.changed
                    if labels[stem] not in result.added + result.changed:
                        bucket.append(labels[stem])
                elif stem not in recovered:
                    recovered.append(stem)
            message = commit_message(result.added, result.changed, failed, recovered)
            try:
                result.commit = self.git.commit(message)
            except GIT_FAILURES as exc:
                raise StoreError(f"cannot commit in {self.folder}: {_git_error(exc)}; the files "
                                 f"are written and the next run commits them") from None
        return result

    def _write(self, items: list[StoredConfig]) -> None:
        """Write the devices' files where they differ from what is on disk: all of them
        reach the disk before the first takes its place (one sync, not one per file)."""
        files: dict[Path, str] = {}
        for item in items:
            files[self.folder / f"{item.path}.cfg"] = item.config
            files[self.folder / f"{item.path}.meta.yaml"] = yaml.dump(
                item.metadata, Dumper=SAFE_DUMPER, sort_keys=True, allow_unicode=True,
                default_flow_style=False)
        atomic_write_many(files, mode=0o600)
        for item in items:
            fault_point(f"backup-written:{item.path}")

    def push(self, remote_url: str, attempts: int = PUSH_ATTEMPTS,
             pause: float = 1.0, timeout: float = PUSH_TIMEOUT) -> tuple[bool, str]:
        """Push main to the client's remote; (ok, error). The local commit stays either way.

        Each attempt is cut off after `timeout` seconds (a remote that accepts the
        connection and then stalls must not hold the client's lock), and no message
        shows the URL's credentials (https://user:TOKEN@host/...)."""
        return self.git.push(remote_url, attempts=attempts, pause=pause, timeout=timeout)


def commit_message(added: list[str], changed: list[str], failed: list[str],
                   recovered: list[str] | None = None) -> str:
    parts = []
    if changed:
        parts.append(f"{len(changed)} changed")
    if added:
        parts.append(f"{len(added)} added")
    if failed:
        parts.append(f"{len(failed)} failed")
    if recovered:
        parts.append(f"{len(recovered)} recovered")
    lines = [f"backup: {', '.join(parts) or 'files updated'}", ""]
    for title, names in (("Changed", changed), ("Added", added),
                         ("Failed (last good backup kept)", failed),
                         ("Recovered (left uncommitted by an interrupted run)", recovered or [])):
        if names:
            lines.append(f"{title}:")
            lines.extend(f"  {clean(name, 400)}" for name in names)
    return "\n".join(lines).rstrip() + "\n"


def masked_url(url: str) -> str:
    """A remote URL fit to print: the password/token of `scheme://user:TOKEN@host` (or a
    bare `scheme://TOKEN@host`) replaced by *****."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@]+)@",
                  lambda m: m.group(1) + (m.group(2).split(":", 1)[0] + ":*****"
                                          if ":" in m.group(2) else "*****") + "@", url)


def _scrub(text: str, url: str) -> str:
    """Remove the URL's credentials from a message (git quotes the URL it used)."""
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/@]+)@", url)
    if match:
        for secret in {match.group(1), match.group(1).split(":", 1)[-1]}:
            if len(secret) >= 3:
                text = text.replace(secret, "*****")
    return redact(clean(text.replace(url, masked_url(url)), 400))


def _device_path(path: str) -> str:
    """'hq/sw1.cfg', 'hq/sw1.meta.yaml' and 'hq/sw1.facts.yaml' -> 'hq/sw1'."""
    for suffix in (".meta.yaml", ".facts.yaml", ".cfg"):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path


def _git_error(exc: BaseException) -> str:
    return redact(clean(git_error(exc), 400))
