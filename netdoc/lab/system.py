"""The lab's few contacts with the operating system: `ip`, namespaces, processes.

Processes are remembered by PID *and* by their start time and executable (the
command line is kept for people, but lldpd rewrites its own), so that `lab down` - possibly run much later, from another process - ends exactly
the processes the lab started and never a stranger that inherited a PID.
"""
from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from netdoc.errors import LabError

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
REQUIRED_TOOLS = ("ip", "snmpd", "lldpd", "lldpcli", "dnsmasq")


def require_root_and_tools() -> None:
    if os.geteuid() != 0:
        raise LabError("the site lab needs root (it creates network namespaces); "
                       "run it with sudo or as root")
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None and
               not Path("/usr/sbin", tool).exists()]
    if missing:
        raise LabError(f"the site lab needs {', '.join(missing)}, not found on this machine; "
                       f"install them with: scripts/setup.sh (or apt-get install iproute2 "
                       f"snmpd lldpd dnsmasq-base)")
    if importlib.util.find_spec("asyncssh") is None:
        raise LabError("the site lab's SSH CLI needs the Python package asyncssh; "
                       "install it with: pip install 'netdoc[lab]'")


def tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/sbin/{name}" if Path("/usr/sbin", name).exists()
                                   else None)
    if not found:
        raise LabError(f"{name} is not installed; run scripts/setup.sh")
    return found


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 20.0,
        input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              input=input_text)
    except FileNotFoundError:
        raise LabError(f"{argv[0]} is not installed; run scripts/setup.sh") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout:g} s") from None
    if check and done.returncode != 0:
        raise LabError(f"`{' '.join(argv)}` failed (exit {done.returncode}): "
                       f"{done.stderr.strip() or done.stdout.strip()}")
    return done


def ip(*args: str, netns: str | None = None, check: bool = True) -> str:
    argv = [tool("ip")] + (["-n", netns] if netns else []) + list(args)
    return run(argv, check=check).stdout


def ip_batch(commands: Sequence[str], netns: str | None = None) -> None:
    """Many `ip` commands in one process: creating a lab is hundreds of them."""
    if not commands:
        return
    argv = [tool("ip")] + (["-n", netns] if netns else []) + ["-batch", "-"]
    run(argv, input_text="\n".join(commands) + "\n", timeout=60)


def list_netns() -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir())


_libc: Any = None


def _setns(fd: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise LabError(f"cannot enter a network namespace: {os.strerror(err)}")


@contextlib.contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Run the body with this thread inside the namespace (sockets stay there after)."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(NETNS_DIR / name, os.O_RDONLY)
    except FileNotFoundError:
        os.close(home)
        raise LabError(f"network namespace {name!r} does not exist; is the lab up?") from None
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def write_sysctls(netns: str, values: Mapping[str, str]) -> None:
    """net.* sysctls are per namespace: write them from inside it."""
    with in_netns(netns):
        for key, value in values.items():
            try:
                Path("/proc/sys", *key.split(".")).write_text(value)
            except OSError as exc:
                raise LabError(f"cannot set sysctl {key}={value} in namespace {netns}: "
                               f"{exc.strerror}") from None


# ---------------------------------------------------------------- processes

@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    node: str
    daemon: str
    cmdline: tuple[str, ...]
    start_time: int  # clock ticks after boot (/proc/PID/stat field 22)
    exe: str  # /proc/PID/exe once the daemon runs

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cmdline"] = list(self.cmdline)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ProcessRecord":
        return cls(pid=int(data["pid"]), node=str(data["node"]), daemon=str(data["daemon"]),
                   cmdline=tuple(data["cmdline"]), start_time=int(data["start_time"]),
                   exe=str(data["exe"]))


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a live process, None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    after_name = raw[raw.rindex(")") + 2:].split()  # the name may hold spaces and parens
    return after_name[0], int(after_name[1]), int(after_name[19])


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def is_ours(record: ProcessRecord) -> bool:
    """The PID still belongs to the very process we started, and it has not exited."""
    stat = _stat(record.pid)
    return stat is not None and stat[0] not in ("Z", "X") and stat[2] == record.start_time \
        and _exe(record.pid) == record.exe


def start_process(netns: str, argv: Sequence[str], *, node: str, daemon: str, log: Path,
                  env: Mapping[str, str] | None = None) -> ProcessRecord:
    """Start a daemon in the foreground inside a namespace; `ip netns exec` execs it."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(log, "ab") as out:
        proc = subprocess.Popen([tool("ip"), "netns", "exec", netns, *argv], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, env=full_env,
                                start_new_session=True)
    _started[proc.pid] = proc
    ip_exe = os.path.realpath(tool("ip"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # wait for the exec so the record holds the daemon
        stat = _stat(proc.pid)
        if stat is None or proc.poll() is not None:
            raise LabError(f"{daemon} on {node} exited at once (exit {proc.poll()}): "
                           f"{_tail(log)}")
        exe = _exe(proc.pid)
        if exe and exe != ip_exe:
            return ProcessRecord(pid=proc.pid, node=node, daemon=daemon, cmdline=tuple(argv),
                                 start_time=stat[2], exe=exe)
        time.sleep(0.005)
    proc.kill()
    raise LabError(f"{daemon} on {node} did not start within 5 s; see {log}")


def _tail(log: Path, lines: int = 5) -> str:
    """The end of a daemon's log, for the error message (a failed `up` removes the file)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(text[-lines:]) or "empty log"


# Popen objects of processes started by this Python process, so they can be reaped.
_started: dict[int, subprocess.Popen[bytes]] = {}


def _descendants(roots: set[int]) -> dict[int, int]:
    """pid -> start time of every live descendant of `roots`."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                children.setdefault(stat[1], []).append((int(entry.name), stat[2]))
    found: dict[int, int] = {}
    todo = list(roots)
    while todo:
        for pid, start in children.get(todo.pop(), []):
            if pid not in found:
                found[pid] = start
                todo.append(pid)
    return found


def _signal(pid: int, start_time: int, sig: int) -> None:
    stat = _stat(pid)
    if stat is not None and stat[2] == start_time:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def stop_processes(records: Sequence[ProcessRecord], grace: float = 3.0) -> list[str]:
    """End our processes and their children; returns what could not be ended.

    Only PIDs whose start time and command line still match the record are
    signalled, and children are looked up before anything is killed, so a PID
    recycled by the system is never hit.
    """
    ours = [r for r in records if is_ours(r)]
    family = _descendants({r.pid for r in ours})
    for record in ours:
        _signal(record.pid, record.start_time, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap()
        if not any(is_ours(r) for r in ours) and \
                not any(_alive(pid, start) for pid, start in family.items()):
            return []
        time.sleep(0.02)
    for record in ours:
        _signal(record.pid, record.start_time, signal.SIGKILL)
    for pid, start in family.items():
        _signal(pid, start, signal.SIGKILL)
    time.sleep(0.1)
    _reap()
    return [f"{r.daemon} on {r.node} (pid {r.pid})" for r in ours if is_ours(r)] + \
        [f"child process {pid}" for pid, start in family.items() if _alive(pid, start)]


def _alive(pid: int, start_time: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == start_time and stat[0] not in ("Z", "X")


def _reap() -> None:
    for pid, proc in list(_started.items()):
        if proc.poll() is not None:
            del _started[pid]
