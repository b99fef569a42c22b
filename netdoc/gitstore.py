"""The one git store: every git repository netdoc writes (the inventory, the configs) or
reads the history of (the site's change pages) goes through `GitStore`.

    branch      main, for every repository netdoc creates (an existing one keeps its own)
    author      netdoc <netdoc@localhost>, as author and committer, also in the
                repository's config so that commits made there by hand look the same
    commit      one per run: stage everything (or the named files), commit only when the
                tree differs from HEAD, by the git command (a kill midway leaves a
                consistent repository), never signed, no hooks
    recovery    lock files a killed netdoc run left in .git are removed on the next write
                (netdoc.fsutil.GitWriting); a lock no netdoc left is waited for, then reported
    push        through netdoc.hub.central.push_refs (time-limited, credentials masked)

The caller holds netdoc's own lock for the folder (netdoc.fsutil.FileLock) around writes.
"""
from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import git

from netdoc.errors import StoreError
from netdoc.fsutil import GitWriting, atomic_write, fault_point, read_text_or_none

log = logging.getLogger("netdoc.gitstore")

BRANCH = "main"
AUTHOR_NAME = "netdoc"
AUTHOR_EMAIL = "netdoc@localhost"
AUTHOR = git.Actor(AUTHOR_NAME, AUTHOR_EMAIL)
TEMPORARIES = (".*.tmp", "*.tmp")  # what a killed atomic_write leaves: never committed
GIT_TIMEOUT = 60.0  # seconds a history read may take


def author_env() -> dict[str, str]:
    """netdoc as author and committer of a commit made by the git command."""
    return {"GIT_AUTHOR_NAME": AUTHOR_NAME, "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
            "GIT_COMMITTER_NAME": AUTHOR_NAME, "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL}


# ---------------------------------------------------------------- running git itself
# Talking to remotes (push, clone, fetch, gitolite's admin repository) runs the git
# command with ssh: it never asks anything, and on timeout git and its ssh child are
# killed together. The hub and the probe's central push use these.

RUN_TIMEOUT = 120.0      # seconds for one git command talking to a remote
CONNECT_TIMEOUT = 15     # seconds for ssh to connect
ALIVE_INTERVAL = 5       # ssh keep-alive every 5 s; 3 unanswered end the connection


def ssh_command(key_file: str = "", known_hosts: str = "",
                connect_timeout: int = CONNECT_TIMEOUT) -> str:
    """GIT_SSH_COMMAND: never asks anything, gives up on a dead or silent server."""
    parts = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={connect_timeout}",
             "-o", f"ServerAliveInterval={ALIVE_INTERVAL}", "-o", "ServerAliveCountMax=3"]
    if key_file:
        parts += ["-i", key_file, "-o", "IdentitiesOnly=yes"]
    if known_hosts:
        parts += ["-o", f"UserKnownHostsFile={known_hosts}",
                  "-o", "StrictHostKeyChecking=yes"]
    return " ".join(shlex.quote(p) for p in parts)


def git_env(ssh: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true",
                "LC_ALL": "C"})
    env["GIT_SSH_COMMAND"] = ssh or ssh_command()
    return env


def run_git(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = RUN_TIMEOUT, stdin: bytes | None = None) \
        -> tuple[int, bytes, str]:
    """Run git; (exit code, stdout, stderr). On timeout git and its ssh child are killed
    (a process group of their own) and the exit code is -9."""
    process = subprocess.Popen(["git", *args], cwd=cwd, env=env or git_env(),
                               stdin=subprocess.PIPE if stdin is not None else
                               subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(stdin, timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.communicate()
        return -9, b"", ""
    return process.returncode, out, err.decode("utf-8", "replace")


@dataclass(frozen=True)
class LogEntry:
    """One commit of a repository's history, as the site shows it."""

    hash: str
    date: str      # "YYYY-MM-DD HH:MM" (committer date, the repository's time zone)
    subject: str
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileChange:
    """One commit that changed one file."""

    hexsha: str
    committed: float   # committer time, unix
    added: bool        # the file is new in this commit
    insertions: int
    deletions: int
    subject: str       # the message's first line


class GitStore:
    """A git repository netdoc keeps in `folder`.

    `ignore`: patterns written to the tracked .gitignore (files that live beside the
    tracked ones but never in git); `exclude`: patterns written to .git/info/exclude
    (not committed: the tree stays the data and nothing else). `name` prefixes the
    crash-test fault points ("<name>-before-add", "<name>-before-commit", ...).
    """

    def __init__(self, folder: Path, *, name: str = "git", ignore: Sequence[str] = (),
                 exclude: Sequence[str] = TEMPORARIES) -> None:
        self.folder = folder
        self.name = name
        self.ignore = tuple(ignore)
        self.exclude = tuple(exclude)
        self._repo: git.Repo | None = None

    # ------------------------------------------------------------ opening
    @property
    def repo(self) -> git.Repo:
        """The repository, created (branch main, netdoc as author) when there is none."""
        if self._repo is None:
            self._repo = self._open_or_create()
        return self._repo

    def exists(self) -> bool:
        return (self.folder / ".git").exists()

    def _open_or_create(self) -> git.Repo:
        try:
            if self.exists():
                return git.Repo(self.folder)
            # configs are sensitive even masked, inventories name every box: owner only
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            repo = git.Repo.init(self.folder, initial_branch=BRANCH)
            with repo.config_writer() as writer:  # commits made by hand later look the same
                writer.set_value("user", "name", AUTHOR_NAME)
                writer.set_value("user", "email", AUTHOR_EMAIL)
            return repo
        except (git.GitError, OSError) as exc:
            raise StoreError(f"cannot open or create the git repository {self.folder}: "
                             f"{exc}") from None

    def _write_ignores(self) -> None:
        """.gitignore and .git/info/exclude as wanted (older repositories lack newer
        patterns)."""
        for path, patterns, mode in ((self.folder / ".gitignore", self.ignore, 0o644),
                                     (self.folder / ".git" / "info" / "exclude",
                                      self.exclude, 0o600)):
            if not patterns:
                continue
            wanted = "\n".join(patterns) + "\n"
            if read_text_or_none(path) != wanted:
                atomic_write(path, wanted, mode=mode)

    # ------------------------------------------------------------ writing
    @contextmanager
    def writing(self) -> Iterator[GitWriting]:
        """Around every write: the repository exists, its ignore files are current, and
        git lock files a killed netdoc run left are recovered (said in the log)."""
        self.repo  # noqa: B018 - created before the lock recovery looks into .git
        with GitWriting(self.folder) as writing:
            if writing.recovered:
                log.warning("%s: recovered git lock file(s) %s left by a killed netdoc run",
                            self.folder, ", ".join(writing.recovered))
            self._write_ignores()
            yield writing

    def stage(self, paths: Sequence[str] = ()) -> None:
        """`git add` the named paths, or everything (new, changed and deleted files)."""
        fault_point(f"{self.name}-before-add")
        if paths:
            self.repo.git.add("--", *paths)
        else:
            self.repo.git.add("--all", "--", ".")
        fault_point(f"{self.name}-after-add")

    def staged_status(self) -> dict[str, str]:
        """path -> A/M/D for every staged difference from HEAD (all "A" without a HEAD)."""
        if not self.repo.head.is_valid():
            names = self.repo.git.diff("--cached", "--name-only", "--no-renames", "-z")
            return {name: "A" for name in names.split("\0") if name}
        out = self.repo.git.diff("--cached", "--name-status", "--no-renames", "-z", "HEAD")
        parts = [p for p in out.split("\0") if p]
        return {parts[i + 1]: parts[i][:1] for i in range(0, len(parts) - 1, 2)}

    def has_staged(self) -> bool:
        """Anything staged that differs from HEAD (everything, before the first commit)."""
        if not self.repo.head.is_valid():
            return bool(self.repo.git.diff("--cached", "--name-only"))
        return bool(self.repo.git.diff("--cached", "--name-only", "HEAD"))

    def commit(self, message: str) -> str:
        """One commit of what is staged, by netdoc; returns its hexsha."""
        fault_point(f"{self.name}-before-commit")
        # the message on stdin: a first discovery of 10,000 devices lists them all, and
        # one argument may not exceed 128 KiB (MAX_ARG_STRLEN: "Argument list too long")
        with tempfile.TemporaryFile() as text:
            text.write(message.encode("utf-8"))
            text.seek(0)
            self.repo.git.commit("--quiet", "--no-verify", "--no-gpg-sign", "-F", "-",
                                 istream=text, env=author_env())
        fault_point(f"{self.name}-after-commit")
        return self.repo.head.commit.hexsha

    def commit_staged(self, message: str) -> str:
        """Commit what is staged if it differs from HEAD; '' when nothing changed."""
        return self.commit(message) if self.has_staged() else ""

    def commit_all(self, message: str, paths: Sequence[str] = ()) -> str:
        """The whole atomic step: recover, stage (everything or `paths`), commit once
        when something changed. Returns the commit, '' when nothing changed."""
        with self.writing():
            self.stage(paths)
            return self.commit_staged(message)

    def push(self, remote_url: str, refspecs: Sequence[str] | None = None, *,
             remote_name: str = "origin", attempts: int = 3, pause: float = 1.0,
             timeout: float = 60.0) -> tuple[bool, str]:
        """Push (default: main to main) to `remote_url`; (ok, error). Local commits stay
        either way; no message shows the URL's credentials."""
        if not self.exists() or not self.repo.head.is_valid():
            return True, ""
        from netdoc.hub.central import push_refs  # the one module that talks to remotes

        return push_refs(self.folder, remote_url, list(refspecs or [f"{BRANCH}:{BRANCH}"]),
                         remote_name=remote_name, attempts=attempts, pause=pause,
                         timeout=timeout, per_attempt=True)

    # ------------------------------------------------------------ reading
    def head(self) -> str:
        """HEAD's hexsha, '' before the first commit or without a repository."""
        if not self.exists():
            return ""
        try:
            return self.repo.head.commit.hexsha if self.repo.head.is_valid() else ""
        except (git.GitError, ValueError, StoreError):
            return ""

    def log(self, limit: int = 500) -> list[LogEntry]:
        """The latest `limit` commits of HEAD, newest first, with the files each touched;
        [] without a repository or when git cannot read it (the history is a hint)."""
        if not self.exists():
            return []
        text = self._read_git("log", f"-n{limit}", "--name-only",
                              "--format=%x01%H%x09%cI%x09%s")
        commits = []
        for chunk in text.split("\x01")[1:]:
            head, _, files = chunk.partition("\n")
            parts = head.split("\t", 2)
            if len(parts) == 3:
                commits.append(LogEntry(hash=parts[0], date=parts[1].replace("T", " ")[:16],
                                        subject=parts[2],
                                        files=[f for f in files.splitlines() if f.strip()]))
        return commits

    def show(self, rev: str, path: str) -> str | None:
        """The text of `path` at `rev`, or None when it is not there."""
        return self._run_git("show", f"{rev}:{path}")

    def patch(self, commit: str, path: str) -> str:
        """The change `commit` made to `path`, as a diff ('' when none or unreadable)."""
        return self._read_git("show", "--format=", commit, "--", path)

    # ------------------------------------------------------------ history for humans
    # (netdoc diff / history, change alerts): git failures raise StoreError

    def has_commits(self) -> bool:
        """A repository with at least one commit (never creates one)."""
        return bool(self.head())

    def first_parent(self, rev: str = "HEAD") -> str:
        """The first parent of `rev`, '' for a root commit."""
        parents = self._commit(rev).parents
        return str(parents[0].hexsha) if parents else ""

    def resolve(self, rev: str) -> str | None:
        """The commit `rev` names (a hash, a branch, HEAD~2), None when it names none."""
        try:
            return str(self.repo.commit(rev).hexsha)
        except (git.BadName, ValueError, git.GitCommandError):
            return None

    def last_commit_before(self, date: str) -> str:
        """The newest commit of main older than `date` (any form git's --before takes),
        '' when there is none."""
        return str(self._git("rev_list", "-1", f"--before={date}", BRANCH)).strip()

    def diff(self, old: str, new: str, paths: Sequence[str] = (), *,
             context: int | None = None, name_status: bool = False) -> str:
        """`git diff old new [--unified=N | --name-status] -- paths`."""
        options = ["--name-status"] if name_status else []
        if context is not None:
            options.append(f"--unified={context}")
        return str(self._git("diff", old, new, *options, "--", *paths))

    def text_at(self, rev: str, path: str) -> str:
        """The text of `path` at `rev` (StoreError when it is not there)."""
        return str(self._git("show", f"{rev}:{path}"))

    def last_change(self, path: str) -> str:
        """When `path` last changed: committer time, ISO 8601 ('' never)."""
        return str(self._git("log", "-1", "--format=%cI", "--", path)).strip()

    def file_history(self, path: str) -> list[FileChange]:
        """Every commit of main that changed `path`, newest first."""
        if not self.has_commits():
            return []
        changes = []
        try:
            for commit in self.repo.iter_commits(BRANCH, paths=[path]):
                stats = commit.stats.files.get(path)
                added = not commit.parents or path not in commit.parents[0].tree
                message = str(commit.message)
                changes.append(FileChange(
                    hexsha=commit.hexsha, committed=float(commit.committed_date),
                    added=added, insertions=int(stats["insertions"]) if stats else 0,
                    deletions=int(stats["deletions"]) if stats else 0,
                    subject=message.splitlines()[0] if message else ""))
        except GIT_FAILURES as exc:
            raise StoreError(f"cannot read the history of {path} in {self.folder}: "
                             f"{git_error(exc)}") from None
        return changes

    def unpushed(self, remote: str = "origin") -> bool:
        """main is ahead of what `remote` last acknowledged, or was never pushed
        (False without a commit)."""
        if not self.has_commits():
            return False
        try:
            tracking = self.repo.refs[f"{remote}/{BRANCH}"]
        except (IndexError, KeyError):
            return True
        return bool(tracking.commit.hexsha != self.repo.head.commit.hexsha)

    def _commit(self, rev: str) -> git.Commit:
        try:
            return self.repo.commit(rev)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            raise StoreError(f"no commit {rev!r} in {self.folder}: {git_error(exc)}") from None

    def _git(self, command: str, *args: str) -> str:
        try:
            return str(getattr(self.repo.git, command)(*args))
        except git.GitCommandError as exc:
            raise StoreError(f"git {command.replace('_', '-')} in {self.folder} failed: "
                             f"{git_error(exc)}") from None

    def _read_git(self, *args: str) -> str:
        done = self._run_git(*args)
        return done if done is not None else ""

    def _run_git(self, *args: str) -> str | None:
        """A read-only git command with a time limit: its output, None when it failed."""
        try:
            done = subprocess.run(["git", "-C", str(self.folder), *args], capture_output=True,
                                  text=True, timeout=GIT_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("git %s in %s failed: %s", args[0], self.folder, exc)
            return None
        return done.stdout if done.returncode == 0 else None


def git_error(exc: BaseException) -> str:
    """The line of a git failure a technician needs (git's last stderr line)."""
    text = str(getattr(exc, "stderr", "") or exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else exc.__class__.__name__


GIT_FAILURES = (git.GitError, OSError, ValueError)  # what a git write may raise
