"""The per-client git repository of configurations.

    config_backups/<client>/            a git repository (branch main)
        <site>/<device>.cfg             the cleaned configuration, nothing else
        <site>/<device>.meta.yaml       platform, driver, commands, version, model, serial

A run writes the files of the devices that succeeded, then makes at most one
commit, only when something changed, authored by netdoc, whose message lists
the devices changed, added and failed. Failed devices' files are never touched.
One writer at a time: `RepositoryLock` (an flock on a file in the client's state
folder) is held while files are written and committed, so two runs on one
client never interleave. With a remote, the commit is pushed (retried); a failed
push keeps the commit, and the next run pushes it.
"""
from __future__ import annotations

import fcntl
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import git
import yaml

from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write

log = logging.getLogger("netdoc.backup.store")

AUTHOR = git.Actor("netdoc", "netdoc@localhost")
BRANCH = "main"
PUSH_ATTEMPTS = 3
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
    """Exclusive lock on one client's repository (blocks up to `wait` seconds)."""

    def __init__(self, lock_file: Path, wait: float = LOCK_WAIT) -> None:
        self.lock_file = lock_file
        self.wait = wait
        self.handle: IO[str] | None = None

    def __enter__(self) -> "RepositoryLock":
        self.lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.handle = open(self.lock_file, "a+", encoding="utf-8")
        give_up = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    self.handle.close()
                    raise StoreError(f"another netdoc run is still writing to this client's "
                                     f"repository (lock {self.lock_file} held for more than "
                                     f"{self.wait:.0f} s); try again later") from None
                time.sleep(0.2)
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"{os.getpid()}\n")
        self.handle.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class ConfigRepository:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.repo = self._open_or_create()

    def _open_or_create(self) -> git.Repo:
        try:
            if (self.folder / ".git").exists():
                return git.Repo(self.folder)
            # configs are sensitive even masked (and hold secrets with `secrets: keep`)
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            repo = git.Repo.init(self.folder, initial_branch=BRANCH)
            with repo.config_writer() as writer:  # commits made by hand later look the same
                writer.set_value("user", "name", AUTHOR.name)
                writer.set_value("user", "email", AUTHOR.email)
            return repo
        except (git.GitError, OSError) as exc:
            raise StoreError(f"cannot open or create the git repository {self.folder}: "
                             f"{exc}") from None

    def read(self, path: str) -> str | None:
        """The stored config of a device (last good), or None."""
        try:
            return (self.folder / f"{path}.cfg").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read {self.folder / path}.cfg: {exc}") from None

    def write_and_commit(self, stored: list[StoredConfig], failed: list[str]) -> CommitResult:
        """Write changed files, commit once if anything changed. Caller holds the lock."""
        result = CommitResult()
        for item in sorted(stored, key=lambda s: s.path):
            state = self._write(item)
            if state == "added":
                result.added.append(item.label)
            elif state == "changed":
                result.changed.append(item.label)
        if not (result.added or result.changed) and not self._dirty():
            return result
        message = commit_message(result.added, result.changed, failed)
        try:
            self.repo.index.commit(message, author=AUTHOR, committer=AUTHOR)
        except (git.GitError, OSError) as exc:
            raise StoreError(f"cannot commit in {self.folder}: {exc}") from None
        result.commit = self.repo.head.commit.hexsha
        return result

    def _write(self, item: StoredConfig) -> str:
        """Write one device's files; returns "added", "changed" or "same"."""
        config_path = self.folder / f"{item.path}.cfg"
        meta_path = self.folder / f"{item.path}.meta.yaml"
        meta_text = yaml.safe_dump(item.metadata, sort_keys=True, allow_unicode=True,
                                   default_flow_style=False)
        old_config = _read_or_none(config_path)
        old_meta = _read_or_none(meta_path)
        if old_config == item.config and old_meta == meta_text and self._tracked(item.path):
            return "same"
        atomic_write(config_path, item.config, mode=0o600)
        atomic_write(meta_path, meta_text, mode=0o600)
        try:
            self.repo.index.add([f"{item.path}.cfg", f"{item.path}.meta.yaml"])
        except (git.GitError, OSError) as exc:
            raise StoreError(f"cannot stage {item.path} in {self.folder}: {exc}") from None
        if old_config is None:
            return "added"
        return "changed" if self._staged_differs(item.path) else "same"

    def _tracked(self, path: str) -> bool:
        return (f"{path}.cfg", 0) in self.repo.index.entries

    def _staged_differs(self, path: str) -> bool:
        if not self.repo.head.is_valid():
            return True
        return bool(self.repo.index.diff("HEAD", paths=[f"{path}.cfg", f"{path}.meta.yaml"]))

    def _dirty(self) -> bool:
        if not self.repo.head.is_valid():
            return bool(self.repo.index.entries)
        return bool(self.repo.index.diff("HEAD"))

    def push(self, remote_url: str, attempts: int = PUSH_ATTEMPTS,
             pause: float = 1.0) -> tuple[bool, str]:
        """Push main to the client's remote; (ok, error). The local commit stays either way."""
        if not self.repo.head.is_valid():
            return True, ""
        try:
            remote = self.repo.remote("origin") if "origin" in [r.name for r in
                                                                self.repo.remotes] \
                else self.repo.create_remote("origin", remote_url)
            if remote.url != remote_url:
                remote.set_url(remote_url)
        except (git.GitError, ValueError) as exc:
            return False, f"cannot configure remote {remote_url}: {exc}"
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                self.repo.git.push("origin", f"{BRANCH}:{BRANCH}", "--porcelain")
                return True, ""
            except git.GitCommandError as exc:
                lines = str(exc.stderr or exc).strip().splitlines()
                error = lines[-1].strip() if lines else str(exc)
                log.info("push to %s failed (attempt %d/%d): %s", remote_url, attempt,
                         attempts, error)
                if attempt < attempts:
                    time.sleep(pause * attempt)
        return False, f"push to {remote_url} failed after {attempts} attempts: {error}"

    def log_for(self, path: str, since: str | None = None) -> list[git.Commit]:
        args: dict[str, Any] = {"paths": [f"{path}.cfg"]}
        if since:
            args["since"] = since
        return list(self.repo.iter_commits(BRANCH, **args)) if self.repo.head.is_valid() else []


def commit_message(added: list[str], changed: list[str], failed: list[str]) -> str:
    parts = []
    if changed:
        parts.append(f"{len(changed)} changed")
    if added:
        parts.append(f"{len(added)} added")
    if failed:
        parts.append(f"{len(failed)} failed")
    lines = [f"backup: {', '.join(parts) or 'files updated'}", ""]
    for title, names in (("Changed", changed), ("Added", added), ("Failed (last good "
                                                                  "backup kept)", failed)):
        if names:
            lines.append(f"{title}:")
            lines.extend(f"  {name}" for name in names)
    return "\n".join(lines).rstrip() + "\n"


def _read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
