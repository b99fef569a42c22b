"""Files that are never half-written, and JSON that diffs cleanly."""
from __future__ import annotations

import functools
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from netdoc.errors import StoreError


def atomic_write(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """Write `path` so that a crash leaves either the old or the new file, never a mix."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            fault_point(f"before-rename:{path.name}")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}; "
                         f"the previous version is unchanged") from None


def atomic_write_many(files: dict[Path, str], mode: int = 0o600) -> list[Path]:
    """Write several files all-or-nothing: every new version is written to a
    temporary file first, and only when all of them made it to disk are they
    renamed into place (a rename needs no space). Unchanged files are left alone.
    Returns the paths that changed.

    The temporaries reach the disk with one syncfs() per file system rather than an
    fsync() each: every fsync is a journal commit of its own, and 600 of them were most
    of the time a 200-device backup spent storing."""
    changed = {p: d for p, d in files.items() if not _same_content(p, d)}
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in changed.items():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data.encode("utf-8"))
            os.chmod(tmp, mode)
        _to_disk([Path(tmp) for tmp, _ in staged])
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"cannot write in {_common_parent(list(changed))}: "
                         f"{exc.strerror or exc}; the previous version is unchanged") from None
    for tmp, path in staged:
        fault_point(f"before-rename:{path.name}")
        os.replace(tmp, path)
    return list(changed)


def _to_disk(paths: list[Path]) -> None:
    """Make the files' data durable: syncfs() once for each file system they are on
    (Linux), else fsync() each."""
    syncfs = _load_syncfs() if len(paths) > 1 else None
    if syncfs is not None:
        done = True
        for folder in {os.stat(p).st_dev: p.parent for p in paths}.values():
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                done = syncfs(fd) == 0 and done
            finally:
                os.close(fd)
        if done:
            return
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@functools.cache
def _load_syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(), loaded when first needed (ctypes is no part of a command's start)."""
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).syncfs  # the C library Python runs on
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = [ctypes.c_int], ctypes.c_int
    return function


def _same_content(path: Path, data: str) -> bool:
    try:
        return path.read_bytes() == data.encode("utf-8")
    except OSError:
        return False


def _common_parent(paths: list[Path]) -> str:
    return os.path.commonpath([str(p.parent) for p in paths]) if paths else "?"


def stable_json(data: Any) -> str:
    """JSON with sorted keys and a final newline: byte-identical for equal data."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None


# ---------------------------------------------------------------- git repositories

FAULT_ENV = "NETDOC_FAULT_POINT"
WRITER_NOTE = "netdoc-writer.pid"
GIT_LOCKS = ("index.lock", "HEAD.lock", "config.lock", "packed-refs.lock", "ORIG_HEAD.lock")
FOREIGN_LOCK_WAIT = 5.0  # seconds a lock not left by netdoc may take to go away


def fault_point(name: str) -> None:
    """Crash tests: with NETDOC_FAULT_POINT=<name> in the environment, the process is
    killed (SIGKILL, no clean-up) at this point, as a power cut or the OOM killer would."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _process_identity(pid: int) -> str:
    """'<pid> <start time>': unlike a bare pid, not confused by a recycled pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return ""
    return f"{pid} {stat.rsplit(')', 1)[-1].split()[19]}"


def _alive(note: str) -> bool:
    try:
        pid = int(note.split()[0])
    except (ValueError, IndexError):
        return False
    return _process_identity(pid) == note.strip()


def git_locks(git_dir: Path) -> list[Path]:
    found = [git_dir / name for name in GIT_LOCKS if (git_dir / name).exists()]
    refs = git_dir / "refs"
    if refs.is_dir():
        found += sorted(refs.rglob("*.lock"))
    return found


class GitWriting:
    """Around every write netdoc makes to a git repository (caller holds netdoc's own
    lock, so no other netdoc writes it meanwhile).

    On entry, lock files git left (index.lock, HEAD.lock, refs/heads/main.lock) are
    recovered when the netdoc process noted as their writer is dead; a lock that no
    netdoc left (a technician's git command?) is given a few seconds, then reported.
    While inside, `.git/netdoc-writer.pid` names this process; a kill leaves it behind
    for the next run to find.
    """

    def __init__(self, repo_dir: Path, wait: float | None = None) -> None:
        self.git_dir = repo_dir / ".git"
        self.wait = FOREIGN_LOCK_WAIT if wait is None else wait
        self.recovered: list[str] = []

    def __enter__(self) -> "GitWriting":
        note_path = self.git_dir / WRITER_NOTE
        locks = git_locks(self.git_dir)
        if locks:
            try:
                note = note_path.read_text(encoding="utf-8")
            except OSError:
                note = ""
            if note and not _alive(note):
                for lock in locks:
                    lock.unlink(missing_ok=True)
                self.recovered = [str(lock.relative_to(self.git_dir)) for lock in locks]
            else:
                give_up = time.monotonic() + self.wait
                while locks and time.monotonic() < give_up:
                    time.sleep(0.2)
                    locks = git_locks(self.git_dir)
                if locks:
                    raise StoreError(f"{locks[0]} exists and no netdoc run left it: another git "
                                     f"command may be working in {self.git_dir.parent}. If none "
                                     f"is, delete the file and run netdoc again")
        if self.git_dir.is_dir():
            atomic_write(note_path, _process_identity(os.getpid()) + "\n")
        return self

    def __exit__(self, *exc: object) -> None:
        (self.git_dir / WRITER_NOTE).unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files atomic_write leaves when killed (`.NAME.XXXX.tmp`); call with the
    folder's writer lock held, so none of them belongs to a live writer."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.rglob(".*.tmp"):
        if ".git" in path.relative_to(folder).parts:
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


# ---------------------------------------------------------------- the one file lock

LOCK_POLL = 0.2  # seconds between two attempts on a held lock


class LockTimeout(StoreError):
    """A FileLock stayed held by another process for longer than the caller would wait.
    Callers say what the lock protects by raising their own error from it (the client
    lock's ClientLocked is exit code 3)."""

    def __init__(self, path: Path, wait: float, holder: str) -> None:
        super().__init__(f"{path} held by another netdoc process ({holder}) for more than "
                         f"{wait:g} s")
        self.path, self.wait, self.holder = path, wait, holder


def read_text_or_none(path: Path) -> str | None:
    """The file's text; None when there is no such file; StoreError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None


# Lock files held by this process. A forked child (the passive LLDP listener, a worker
# pool) closes its copies at once: a flock lives as long as any copy of its file
# descriptor, so a child outliving a killed run would otherwise hold the client's lock.
_HELD: set[int] = set()


def _drop_inherited_locks() -> None:
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)


class FileLock:
    """An exclusive lock on `path`: the one lock netdoc uses (client runs, the config
    repository, the inventory, the vault).

    A kernel lock (flock) on the file, so it dies with its process: a run killed with
    SIGKILL never leaves a lock behind, and the next holder takes over, noting whose
    it was (`previous`). Waits at most `wait` seconds (None: until it is free), then
    raises LockTimeout naming the holder. While held, the file says who holds it:
    {"pid": ..., "since": ...}. Each `with` opens its own file description, so two
    threads of one process exclude each other too.
    """

    def __init__(self, path: Path, wait: float | None = None, poll: float = LOCK_POLL) -> None:
        self.path = path
        self.wait = wait
        self.poll = poll
        self.previous = ""  # the last holder's note, when it left one (finished or killed)
        self._fd: int | None = None

    def __enter__(self) -> "FileLock":
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: "
                             f"{exc.strerror or exc}") from None
        deadline = None if self.wait is None else time.monotonic() + self.wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise LockTimeout(self.path, self.wait or 0.0, _holder(fd)) from None
                    time.sleep(self.poll)
            note = _holder(fd)
            self.previous = "" if note == "unknown" else note
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode("ascii"), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD.add(fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            _HELD.discard(self._fd)
            os.close(self._fd)  # closing releases the lock
            self._fd = None


def _holder(fd: int) -> str:
    """Who the lock file says holds (or last held) the lock: 'pid N, since T'."""
    try:
        note = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {note['pid']}, since {note['since']}"
    except (ValueError, KeyError, TypeError, OSError):
        return "unknown"
