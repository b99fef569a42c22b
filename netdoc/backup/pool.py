"""The backup pool across worker processes: paramiko's CPU beyond one interpreter's GIL.

    process_count(setting, concurrency, devices) -> int
    run_in_processes(jobs, concurrency, timeout, processes, source, parsed, progress)

One interpreter spends ~35 ms of CPU per device (paramiko's crypto, netmiko, the
cleaning); at 20 devices at once that CPU, behind one GIL, is what the pool waits
for. Here the device sessions run in a few worker processes, each with its own
thread pool, `concurrency` devices at once in all.

Only plain data crosses the process boundary: a device's job (its target with the
credentials resolved in this process, so a worker reads no secret store and
writes nothing) goes out over the worker's pipe; the fetched config, metadata or
failure, the host key learned at first contact and a changed key offered come
back. Everything that writes stays in this process: known_hosts (first-contact
keys are remembered here as results arrive and written once after the pool;
parked changed keys too), the git store, the state, progress, cut-offs and
SIGTERM. A worker process that dies fails the devices it had at that moment,
with a message saying so; the run goes on with the others.
"""
from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable, Protocol, cast

from netdoc.backup.device import DeviceJob, DeviceResult, backup_device
from netdoc.backup.targets import BackupTarget
from netdoc.backup.transport import ConfigSource, HostKey, NetmikoSource
from netdoc.errors import NetdocError
from netdoc.facts.store import ParsedFacts, parse_facts
from netdoc.secrets import redact

log = logging.getLogger("netdoc.backup")

DEVICES_PER_PROCESS = 10  # concurrent sessions one interpreter keeps up with (benchmarks §8)
CUT_OFF_GRACE = 2.0       # as netdoc.backup.stage
STOP_GRACE = 2.0
MAX_RESTARTS = 3          # worker processes started again after all of them died
START_METHOD = "forkserver"  # not fork: the parent has threads (progress, listeners)
# imported once by the forkserver, so every worker forks warm: without them a worker
# spent its first devices importing (paramiko, netmiko's drivers, the config parsers)
PRELOAD = [__name__, "paramiko", "netmiko", "netdoc.facts.tree", "netdoc.facts.structure",
           "ciscoconfparse2", "hier_config"]


def process_count(setting: int, concurrency: int, devices: int) -> int:
    """Worker processes for a run: `backup.processes`, or with -1 one per
    DEVICES_PER_PROCESS devices at once, at most the CPUs; 1 = threads only."""
    if setting >= 0:
        return max(1, min(setting, concurrency, devices))
    wanted = math.ceil(min(concurrency, devices) / DEVICES_PER_PROCESS)
    return max(1, min(os.cpu_count() or 1, wanted))


class Progress(Protocol):
    def advance(self, target: BackupTarget, result: DeviceResult) -> None: ...


# ---------------------------------------------------------------- the worker side

class HostKeyView:
    """A worker's stand-in for the client's HostKeyStore, for one device: the key
    known when the job was sent, and what the session learned (a first-contact key to
    remember, a changed key to park), which travel back with the result."""

    def __init__(self, known: HostKey | None) -> None:
        self._known = known
        self.learned: HostKey | None = None
        self.parked: HostKey | None = None

    def known(self, host: str, port: int) -> HostKey | None:
        return self._known or self.learned

    def remember(self, host: str, port: int, key: HostKey) -> None:
        if self._known is None and self.learned is None:
            self.learned = key

    def park(self, host: str, port: int, offered: HostKey) -> None:
        self.parked = offered


@dataclass
class _Done:
    index: int
    result: DeviceResult
    learned: HostKey | None = None
    parked: HostKey | None = None
    facts: ParsedFacts | None = None


@dataclass
class _Worker:
    process: Any  # multiprocessing's Process of the chosen context
    conn: Connection
    running: set[int] = field(default_factory=set)  # job indexes sent and not done
    alive: bool = True


class _Forward(logging.Handler):
    """A worker's log records go to the run's process, secrets redacted."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        super().__init__()
        self.send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self.send(("log", record.levelno, record.name, redact(text)))
        except Exception:  # noqa: BLE001 - a log line must not fail a device
            pass


def _worker_main(conn: Connection, source_spec: Any, threads: int, trace_dir: Path | None,
                 level: int) -> None:
    """A worker process: jobs in, results out, over its pipe; the sessions in threads."""
    import netdoc.backup.device as device_module
    from netdoc.platforms import load_profiles

    device_module.TRACE_DIR = trace_dir
    source: ConfigSource = source_spec() if isinstance(source_spec, type) else source_spec
    send_lock = threading.Lock()

    def send(message: Any) -> None:
        with send_lock:
            conn.send(message)

    logger = logging.getLogger("netdoc")
    logger.handlers[:] = [_Forward(send)]
    logger.setLevel(level)
    logger.propagate = False
    load_profiles()
    live: dict[int, tuple[str, int]] = {}
    live_lock = threading.Lock()

    def work(index: int, job: DeviceJob) -> None:
        with live_lock:
            live[index] = (job.target.host, job.target.port)
        send(("started", index))
        result = backup_device(job)
        facts = None
        if result.ok and result.config != job.last_good:
            try:
                facts = parse_facts(result.config, str(result.metadata.get("platform", "")))
            except Exception:  # noqa: BLE001 - the parent parses it again and reports
                facts = None
        view = cast(HostKeyView, job.host_keys)
        result.target = replace(result.target, credentials=())  # no secret travels back
        with live_lock:
            live.pop(index, None)
        send(_Done(index, result, view.learned, view.parked, facts))

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="backup")
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break  # the run's process is gone
            if message[0] == "job":
                job = replace(message[2], source=source)
                pool.submit(work, message[1], job)
            elif message[0] == "abort":
                source.abort(message[1], message[2])
            elif message[0] == "stop":
                with live_lock:
                    sessions = list(live.values())
                for host, port in sessions:
                    source.abort(host, port)
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    os._exit(0)  # the sessions' threads were told to stop; do not wait for stragglers


# ---------------------------------------------------------------- the run's side

def worker_job(job: DeviceJob) -> DeviceJob:
    """What goes to a worker process: the job with the credentials revealed here (a
    worker reads no secret store) and the device's known host key, without the source."""
    sets = []
    for credential in job.target.credentials:
        ssh = credential.ssh
        if ssh is not None:
            ssh = replace(ssh, password=_revealed(ssh.password),
                          enable=_revealed(ssh.enable))
            credential = replace(credential, ssh=ssh, snmp=None)
        sets.append(credential)
    target = replace(job.target, credentials=tuple(sets))
    known = job.host_keys.known(job.target.host, job.target.port)
    return replace(job, target=target, host_keys=HostKeyView(known),
                   source=cast(ConfigSource, None))


def _revealed(secret: Any) -> Any:
    if secret is None:
        return None
    try:
        return replace(secret, _plain=secret.reveal())
    except NetdocError:
        return secret  # the worker fails the device with the same message


def run_in_processes(jobs: list[DeviceJob], concurrency: int, timeout: float, processes: int,
                     source: ConfigSource, parsed: dict[str, ParsedFacts] | None,
                     progress: Progress) -> list[DeviceResult]:
    return _ProcessPool(jobs, concurrency, timeout, processes, source, parsed,
                        progress).run()


class _ProcessPool:
    def __init__(self, jobs: list[DeviceJob], concurrency: int, timeout: float,
                 processes: int, source: ConfigSource,
                 parsed: dict[str, ParsedFacts] | None, progress: Progress) -> None:
        self.jobs, self.timeout, self.parsed, self.progress = jobs, timeout, parsed, progress
        self.processes = processes
        self.threads = max(1, math.ceil(min(concurrency, len(jobs)) / processes))
        self.source_spec: Any = type(source) if type(source) is NetmikoSource else source
        self.context = multiprocessing.get_context(START_METHOD)
        # the forkserver imports netmiko/paramiko once; each worker forks from it in ~5 ms
        # instead of ~0.3 s of imports (spawn: ~0.4 s) before its first device
        self.context.set_forkserver_preload(PRELOAD)
        self.workers: list[_Worker] = []
        self.queue = list(range(len(jobs)))  # not yet sent, in order
        self.started: dict[int, float] = {}
        self.results: dict[int, DeviceResult] = {}
        self.restarts = 0

    def run(self) -> list[DeviceResult]:
        try:
            for _ in range(self.processes):
                self.workers.append(self._start())
            while len(self.results) < len(self.jobs):
                self._dispatch()
                self._receive(0.25)
                self._cut_off_overdue()
        except BaseException:
            self._stop()  # SIGTERM or any abort: the caller writes the run report
            raise
        self._stop()
        return [self.results[i] for i in range(len(self.jobs))]

    def _start(self) -> _Worker:
        mine, theirs = self.context.Pipe()
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_worker_main, name="netdoc-backup", daemon=True,
            args=(theirs, self.source_spec, self.threads,
                  _trace_dir(), logging.getLogger("netdoc").getEffectiveLevel()))
        process.start()
        theirs.close()
        return _Worker(process, mine)

    def _dispatch(self) -> None:
        live = [w for w in self.workers if w.alive]
        if not live and self.queue:
            if self.restarts >= MAX_RESTARTS:
                self._fail(list(self.queue), "not backed up: the backup worker processes "
                           "kept dying; see the log for the devices they had")
                self.queue.clear()
                return
            self.restarts += 1
            live = [self._start()]
            self.workers.extend(live)
        for worker in live:
            while self.queue and len(worker.running) < self.threads:
                index = self.queue.pop(0)
                try:
                    worker.conn.send(("job", index, worker_job(self.jobs[index])))
                except (OSError, ValueError):
                    self.queue.insert(0, index)
                    break  # it died: _receive notices and fails what it had
                worker.running.add(index)

    def _receive(self, seconds: float) -> None:
        by_handle: dict[Any, _Worker] = {}
        for worker in self.workers:
            if worker.alive:
                by_handle[worker.conn] = worker
                by_handle[worker.process.sentinel] = worker
        if not by_handle:
            return
        for ready in wait(list(by_handle), timeout=seconds):
            worker = by_handle[ready]
            if not worker.alive:
                continue
            if ready is worker.conn:
                self._drain(worker)
            else:
                self._drain(worker)  # what it sent before it went
                self._died(worker)

    def _drain(self, worker: _Worker) -> None:
        try:
            while worker.alive and worker.conn.poll():
                self._handle(worker, worker.conn.recv())
        except (EOFError, OSError):
            self._died(worker)

    def _handle(self, worker: _Worker, message: Any) -> None:
        if isinstance(message, _Done):
            index = message.index
            worker.running.discard(index)
            job = self.jobs[index]
            result = replace(message.result, target=job.target)
            if message.learned is not None:
                job.host_keys.remember(job.target.host, job.target.port, message.learned)
            if message.parked is not None:
                job.host_keys.park(job.target.host, job.target.port, message.parked)
            if index in self.results:
                return  # cut off already
            if message.facts is not None and self.parsed is not None:
                self.parsed[job.target.path] = message.facts
            self.results[index] = result
            self.progress.advance(job.target, result)
        elif message[0] == "started":
            self.started[message[1]] = time.monotonic()
        elif message[0] == "log":
            logging.getLogger(message[2]).log(message[1], "%s", message[3])

    def _died(self, worker: _Worker) -> None:
        if not worker.alive:
            return
        worker.alive = False
        worker.process.join(1)
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else \
            f"exit code {code}"
        lost = sorted(i for i in worker.running if i not in self.results)
        worker.running.clear()
        worker.conn.close()
        if lost:
            log.warning("backup worker process %s ended (%s) with %d device(s) in progress",
                        worker.process.pid, how, len(lost))
        self._fail(lost, f"the backup worker process (pid {worker.process.pid}) ended "
                         f"({how}) while this device was being backed up; the other devices "
                         f"were not affected and the last good backup is kept")

    def _fail(self, indexes: list[int], reason: str) -> None:
        now = time.monotonic()
        for index in indexes:
            if index in self.results:
                continue
            target = self.jobs[index].target
            self.results[index] = DeviceResult(
                target=target, error=reason,
                seconds=round(now - self.started.get(index, now), 3))
            self.progress.advance(target, self.results[index])

    def _cut_off_overdue(self) -> None:
        """A device past its limit (plus grace) is failed now and its session closed."""
        now = time.monotonic()
        for worker in self.workers:
            if not worker.alive:
                continue
            for index in sorted(worker.running):
                job = self.jobs[index]
                if index in self.results or index not in self.started or \
                        now - self.started[index] <= job.budget + CUT_OFF_GRACE:
                    continue
                try:
                    worker.conn.send(("abort", job.target.host, job.target.port))
                except (OSError, ValueError):
                    pass
                self._fail([index], f"no result within backup.timeout ({self.timeout:g} s): "
                                    f"session cut off")

    def _stop(self) -> None:
        """Tell every worker to close its sessions and go; those that do not, are ended."""
        for worker in self.workers:
            if worker.alive:
                try:
                    worker.conn.send(("stop",))
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + STOP_GRACE
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1)
            if worker.alive:
                worker.alive = False
                worker.conn.close()


def _trace_dir() -> Path | None:
    import netdoc.backup.device as device_module

    return device_module.TRACE_DIR
