"""The backup stage: every device of one client, a bounded pool, one commit.

    backup_client(config, client) -> StageOutcome     (what `netdoc backup` runs)

Devices are fetched in parallel (backup.concurrency workers, in backup.processes
worker processes: netdoc.backup.pool); each has
backup.timeout seconds from its first packet to its last, after which its
session is cut off and it fails alone. Results are then written under the
repository lock: the configs that came back whole replace the stored ones,
failed devices keep their last good file, and one commit records the run.
"""
from __future__ import annotations

import difflib
import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

import yaml

from netdoc.backup.device import DeviceJob, DeviceResult, backup_device
from netdoc.backup.hostkeys import HostKeyStore
from netdoc.backup.platforms import plan_for
from netdoc.backup.pool import process_count, run_in_processes
from netdoc.backup.secrets import load_mask_key, mask_secrets
from netdoc.backup.state import DeviceState, describe_age, load_states, save_states
from netdoc.backup.store import ConfigRepository, RepositoryLock, StoredConfig
from netdoc.backup.targets import BackupTarget, backup_targets
from netdoc.backup.transport import ConfigSource, NetmikoSource
from netdoc.config import Client, Config
from netdoc.errors import StoreError
from netdoc.platforms import load_profiles
from netdoc.facts.store import ParsedFacts, attach_changes, parse_facts, record_facts
from netdoc.app.pipeline import DeviceFailure, Event, StageOutcome
from netdoc.workspace import Workspace

log = logging.getLogger("netdoc.backup")

CUT_OFF_GRACE = 2.0  # seconds past a device's limit before its session is closed from outside
STOP_GRACE = 2.0     # seconds closed sessions get to end when the run is stopped (SIGTERM)


def backup_client(config: Config, client: Client) -> StageOutcome:
    return run_backup(config, client, NetmikoSource())


def run_backup(config: Config, client: Client, source: ConfigSource,
               clock: Callable[[], float] = time.time) -> StageOutcome:
    started = time.monotonic()
    files = Workspace.of(config, client.name)
    folder = files.backup_state_folder()
    targets = backup_targets(config, client)
    repository = ConfigRepository(files.configs)
    states = load_states(folder)
    # one instance for the workers; first-contact keys are written once, after the pool
    host_keys = HostKeyStore(folder, deferred=True)
    mask_key = None if client.secrets == "keep" else load_mask_key(folder)
    variants = dict(getattr(client, "backup_variants", None) or {})
    trace_key = load_mask_key(folder)  # --trace-device transcripts are masked, even with keep
    jobs = [DeviceJob(
        target=target, source=source, host_keys=host_keys, timeout=config.backup.timeout,
        shrink_limit=config.backup.shrink_limit, mask_key=mask_key,
        last_good=repository.read(target.path),
        detected_platform=_remembered_detection(states, target), default_variants=variants,
        credential=_remembered_credential(states, target),
        hold=_identity_hold(host_keys, target), trace_key=trace_key,
        max_bytes=getattr(config.backup, "max_config_bytes", 32 * 1024 * 1024))
        for target in targets]
    # read the platform profiles once, here: load_profiles() is an lru_cache, and the
    # workers' first devices all missing it at once parsed every profile once each
    load_profiles()
    parsed: dict[str, ParsedFacts] = {}  # new configs' facts, parsed by the workers
    processes = process_count(getattr(config.backup, "processes", 1),
                              config.backup.concurrency, len(jobs))
    try:
        if processes > 1:  # the sessions' CPU beyond this interpreter's GIL
            with _Progress(len(jobs)) as progress:
                results = run_in_processes(jobs, config.backup.concurrency,
                                           config.backup.timeout, processes, source, parsed,
                                           progress)
        else:
            results = _run_pool(jobs, config.backup.concurrency, config.backup.timeout,
                                source, parsed)
    finally:
        host_keys.flush()  # also when the run is stopped: keep the keys it learned
    outcome = _store(config, client, repository, files, results, clock(), parsed)
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


def _remembered_credential(states: dict[str, DeviceState], target: BackupTarget) -> str:
    state = states.get(target.path)
    return state.credential if state and state.host == target.host else ""


def _identity_hold(host_keys: HostKeyStore, target: BackupTarget) -> str:
    """Why this device gets no credential: its claimed serial or MAC conflicts with a
    known device (a clone, a replacement or an impostor). '' when it may be contacted."""
    device = target.device
    if device is None:
        return ""
    reason = host_keys.check_identity(target.host, target.port,
                                      {"serial": device.serial, "mac": device.base_mac})
    if not reason:
        return ""
    return (f"identity conflict: the device {reason}. Nothing was sent to it. If the change "
            f"is expected, accept it with: netdoc hostkey accept {target.client} {target.host}")


def _remembered_detection(states: dict[str, DeviceState], target: BackupTarget) -> str:
    state = states.get(target.path)
    return state.detected_platform if state and not target.platform else ""


# ---------------------------------------------------------------- the pool

START_SPREAD = 0.03  # seconds between the first devices' starts (see _run_pool)


def _run_pool(jobs: list[DeviceJob], concurrency: int, timeout: float,
              source: ConfigSource,
              parsed: dict[str, ParsedFacts] | None = None) -> list[DeviceResult]:
    """Back up every job, `concurrency` at a time. With `parsed`, a worker also parses
    the facts of a config that changed, while the other devices are still answering:
    parsed after the pool, under the repository lock, they took longer than the pool
    itself at 200 devices."""
    if not jobs:
        return []
    started: dict[int, float] = {}
    lock = threading.Lock()

    def work(index: int) -> DeviceResult:
        if index < concurrency:
            # the first wave starts spread out: started together, every session's key
            # exchange lands on the CPU at once, and the devices go on in lockstep waves
            # that each wait for their slowest handshake
            time.sleep(index * START_SPREAD)
        with lock:
            started[index] = time.monotonic()
        result = backup_device(jobs[index])
        if parsed is not None and result.ok and result.config != jobs[index].last_good:
            try:
                ahead = parse_facts(result.config, str(result.metadata.get("platform", "")))
            except Exception:  # noqa: BLE001 - record_facts parses it again and reports
                return result
            with lock:
                parsed[result.target.path] = ahead
        return result

    results: dict[int, DeviceResult] = {}
    with ExitStack() as stack:
        progress = stack.enter_context(_Progress(len(jobs)))
        pool = ThreadPoolExecutor(max_workers=min(concurrency, len(jobs)),
                                  thread_name_prefix="backup")
        futures: dict[Future[DeviceResult], int] = {pool.submit(work, i): i
                                                    for i in range(len(jobs))}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    index = futures[future]
                    results.setdefault(index, future.result())
                    progress.advance(jobs[index].target, results[index])
                _cut_off_overdue(jobs, started, lock, results, timeout, source, progress)
        except BaseException:
            # SIGTERM (or any abort): queued devices are dropped, running sessions are
            # closed from here, so the workers stop within moments instead of at
            # backup.timeout; the run report is written by the caller.
            pool.shutdown(wait=False, cancel_futures=True)
            with lock:
                running = [i for i in started if i not in results]
            for index in running:
                source.abort(jobs[index].target.host, jobs[index].target.port)
            wait([f for f, i in futures.items() if i in running], timeout=STOP_GRACE)
            raise
        pool.shutdown(wait=True)
    return [results[i] for i in range(len(jobs))]


def _cut_off_overdue(jobs: list[DeviceJob], started: dict[int, float], lock: threading.Lock,
                     results: dict[int, DeviceResult], timeout: float, source: ConfigSource,
                     progress: "_Progress") -> None:
    """A device past its limit (plus grace) is failed now and its session closed."""
    now = time.monotonic()
    with lock:
        overdue = [i for i, t in started.items() if i not in results
                   and now - t > jobs[i].budget + CUT_OFF_GRACE]
    for index in overdue:
        target = jobs[index].target
        source.abort(target.host, target.port)
        results[index] = DeviceResult(target=target, error=f"no result within backup.timeout "
                                                           f"({timeout:g} s): session cut off",
                                      seconds=round(now - started[index], 3))
        progress.advance(target, results[index])


class _Progress:
    """A rich progress bar on stderr (devices done/total, ETA), only at a terminal and
    never under systemd (netdoc.app.progress.interactive)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> "_Progress":
        from netdoc.app.progress import interactive

        if interactive():  # a terminal, not systemd's journal
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("backup"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("ETA"), TimeRemainingColumn(),
                                TextColumn("{task.description}"),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("", total=self.total)
        return self

    def advance(self, target: BackupTarget, result: DeviceResult) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1,
                            description=f"{target.label}: {'ok' if result.ok else 'FAILED'}")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


# ---------------------------------------------------------------- storing

def _store(config: Config, client: Client, repository: ConfigRepository, files: Workspace,
           results: list[DeviceResult], now: float,
           parsed: dict[str, ParsedFacts] | None = None) -> StageOutcome:
    outcome = StageOutcome(stage="backup", client=client.name)
    folder = files.backup_state
    stored = [StoredConfig(r.target.path, r.target.label, r.config, r.metadata)
              for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    with RepositoryLock(files.backup_lock):
        states = load_states(folder)  # again: another run may have finished meanwhile
        facts = record_facts(repository.folder, stored, parsed)  # config facts, same commit
        commit = repository.write_and_commit(
            stored, [f"{r.target.label}: {r.error}" for r in failed])
        for result in results:
            _update_state(states, result, now)
        save_states(folder, states)
    if client.remote and (commit.commit or _never_pushed(repository)):
        ok, error = repository.push(client.remote)
        if not ok:
            outcome.failures.append(DeviceFailure(host="-", name="git remote", reason=(
                f"{error}; the commit is kept locally and will be pushed by the next run")))
    for result in failed:
        state = states[result.target.path]
        outcome.failures.append(DeviceFailure(
            host=result.target.host, name=result.target.label.split(" (")[0],
            reason=f"{result.error} ({_failure_context(state)})"))
    outcome.changes = [f"changed {n}" for n in commit.changed] + \
        [f"added {n}" for n in commit.added] + \
        [f"credential {r.target.label}: {r.credential_note}" for r in results
         if r.credential_note]
    outcome.events = _events(repository, stored, commit, failed, states,
                             load_mask_key(folder) if client.secrets == "keep" else None)
    attach_changes(outcome.events, facts)  # plain-words changes beside the line diff
    outcome.changes += facts.warnings
    stale = _stale(results, states, config.backup.max_age_hours, now)
    outcome.changes += [f"stale {label}: last good backup {age}" for label, age in stale]
    outcome.events += [Event("backup_stale", label, f"last good backup {age}")
                       for label, age in stale]
    outcome.outputs = {"repository": str(repository.folder),
                       "backup state": str(files.backup_states)}
    if commit.commit:
        outcome.outputs["commit"] = commit.commit[:12]
    unchanged = len(results) - len(failed) - len(commit.added) - len(commit.changed)
    outcome.summary = (f"{len(results)} device(s): {len(commit.changed)} changed, "
                       f"{len(commit.added)} added, {unchanged} unchanged, {len(failed)} failed"
                       + (f", {len(stale)} stale" if stale else "")
                       + (f"; commit {commit.commit[:12]}" if commit.commit else "; no commit"))
    return outcome


def _events(repository: ConfigRepository, stored: list[StoredConfig], commit: Any,
            failed: list[DeviceResult], states: dict[str, DeviceState],
            unmasked_key: bytes | None = None) -> list[Event]:
    """What the alerting stage may tell a technician: changed configs (with the diff,
    secrets already masked), failures with how many runs in a row, host-key changes."""
    events = []
    paths = {item.label: item.path for item in stored}
    for label in commit.changed:
        diff = ""
        if commit.commit and label in paths:
            diff = display_diff(repository, paths[label], "HEAD~1", "HEAD", unmasked_key)
        events.append(Event("config_changed", _device_name(label),
                            f"{paths.get(label, label)}.cfg", diff=_diff_body(diff)))
    for result in failed:
        name = result.target.name
        if result.host_key_changed:
            events.append(Event("host_key_changed", name, result.error))
        events.append(Event("backup_failed", name, result.error,
                            streak=states[result.target.path].consecutive_failures))
    return events


# ---------------------------------------------------------------- showing stored configs

def display_text(repository_folder: Path, path: str, text: str, mask_key: bytes | None) -> str:
    """A stored config as it may be shown outside the git store (the site, run reports,
    alerts). `secrets: keep` keeps secrets in the store only: with a mask key (the
    client keeps secrets) the text is masked here with the device's platform rules;
    when that is impossible, nothing is shown rather than a secret."""
    if mask_key is None:
        return text
    try:
        meta = yaml.safe_load((repository_folder / f"{path}.meta.yaml").read_text(
            encoding="utf-8")) or {}
        plan = plan_for("-", str(meta.get("platform", "")))
        return mask_secrets(text, plan.recipe, mask_key)
    except Exception:  # noqa: BLE001 - unknown platform, unreadable meta: show nothing
        return "(not shown: this client keeps secrets in its config store, and the " \
               "device's platform rules to mask them are unknown)\n"


def display_diff(repository: ConfigRepository, path: str, old: str, new: str,
                 mask_key: bytes | None, context: int = 2) -> str:
    """`git diff old new -- path.cfg`, of the masked texts when the client keeps secrets."""
    try:
        if mask_key is None:
            return repository.git.diff(old, new, [f"{path}.cfg"], context=context)
        before, after = (display_text(repository.folder, path,
                                      repository.git.text_at(rev, f"{path}.cfg"), mask_key)
                         for rev in (old, new))
    except StoreError:
        return ""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True), f"a/{path}.cfg",
                                        f"b/{path}.cfg", n=context))


def _device_name(label: str) -> str:
    """'hq/core-sw (192.0.2.2)' -> 'core-sw'."""
    return label.split(" (")[0].split("/", 1)[-1]


def _diff_body(diff: str) -> str:
    """The hunks of a git diff, without the header lines a technician does not need."""
    return "\n".join(line for line in diff.splitlines()
                     if not line.startswith(("diff --git", "index ", "--- ", "+++ ")))


def _update_state(states: dict[str, DeviceState], result: DeviceResult, now: float) -> None:
    target = result.target
    state = states.setdefault(target.path, DeviceState(path=target.path))
    state.host, state.port, state.name, state.site = target.host, target.port, target.name, \
        target.site
    state.platform = result.metadata.get("platform", "") or target.platform or state.platform
    if result.detected_platform:
        state.detected_platform = result.detected_platform
    if result.ok:
        state.record_success(now)
        state.credential = str(result.metadata.get("credential_set", "")) or state.credential
    else:
        state.record_failure(now, result.error)


def _failure_context(state: DeviceState) -> str:
    age = describe_age(state.age_hours())
    times = state.consecutive_failures
    return (f"failure {times} in a row; " if times > 1 else "") + \
        (f"last good backup {age}" if state.last_success else "never backed up")


def _stale(results: list[DeviceResult], states: dict[str, DeviceState], max_age: float,
           now: float) -> list[tuple[str, str]]:
    stale = []
    for result in results:
        state = states[result.target.path]
        if state.is_stale(max_age, now):
            stale.append((result.target.label, describe_age(state.age_hours(now))))
    return stale


def _never_pushed(repository: ConfigRepository) -> bool:
    """True when main is ahead of what the remote last acknowledged (or never pushed)."""
    return repository.git.unpushed("origin")
