"""One unattended run: per client, take the lock, run the stages inside the time
budget, write the run report, send the alerts, print a summary.

Safe to kill at any moment: every file is written atomically, the lock is a
kernel lock (flock) that dies with the process, and the next run simply starts
over. SIGTERM (systemd stop) abandons the current devices and still writes the
report within a few seconds.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any, Iterator

from netdoc.app import budget
from netdoc.config import Client, Config
from netdoc.errors import (EXIT_DEVICES, EXIT_OK, EXIT_TERMINATED, EnvironmentProblem,
                           LockHeld, StageFailed, StoreError)
from netdoc.fsutil import FileLock, LockTimeout, atomic_write, read_json, stable_json
from netdoc.app.output import stamped
from netdoc.app.progress import announce, stage_line
from netdoc.app.pipeline import StageOutcome, run_client_stages
from netdoc.models import Event, EventKind
from netdoc.secrets import redact
from netdoc.textsafe import clean, clean_block
from netdoc.workspace import Workspace

log = logging.getLogger("netdoc.run")

REPORTS_KEPT = 100
SUMMARY_EVENTS = 15  # changes listed in the terminal summary; the report has all
EXIT_FAILURES = EXIT_DEVICES


class Terminated(BaseException):
    """SIGTERM arrived: stop what we are doing, keep what is written."""


class ClientLocked(LockHeld):
    """Another netdoc run is working on this client."""


# run status -> exit code; every code but ok/terminated comes from an error class
STATUS_EXIT: dict[str, int] = {
    "ok": EXIT_OK,
    "failures": EXIT_DEVICES,             # some devices failed or were skipped
    "locked": ClientLocked.exit_code,     # 3
    "environment": EnvironmentProblem.exit_code,  # 4: an output folder not writable, ...
    "stage_failed": StageFailed.exit_code,  # 5: a whole stage failed
    "error": StageFailed.exit_code,       # an unexpected error ended the client's run
    "terminated": EXIT_TERMINATED,
}


@dataclass
class RunReport:
    client: str
    started: str
    finished: str = ""
    seconds: float = 0.0
    status: str = "ok"  # ok | failures | stage_failed | locked | environment | terminated | error
    stages: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    push: dict[str, Any] = field(default_factory=dict)  # central push per repository
    # what started a run of one device between the scheduled ones ("backup: config change
    # notice from sw1 (192.0.2.2)", the listener); "" for a scheduled or manual run
    trigger: str = ""

    @property
    def exit_code(self) -> int:
        return STATUS_EXIT.get(self.status, EXIT_FAILURES)


def run(config: Config, stages: list[str], client_name: str | None,
        as_json: bool = False) -> int:
    reports: list[RunReport] = []
    # Client data is owner-only unless an administrator loosens it afterwards.
    previous_umask = os.umask(0o077)
    try:
        return _run_all(config, stages, client_name, as_json, reports)
    finally:
        os.umask(previous_umask)


def _run_all(config: Config, stages: list[str], client_name: str | None, as_json: bool,
             reports: list[RunReport]) -> int:
    with _sigterm_raises():
        with budget.budget(config.run.budget):
            for client in config.selected_clients(client_name):
                report = run_client(config, client, stages)
                reports.append(report)
                if report.status == "terminated":
                    break
    if as_json:
        sys.stdout.write(redact(stable_json(stamped({"runs": [asdict(r) for r in reports]}))))
    for report in reports:
        print_summary(report)
    return max((r.exit_code for r in reports), default=EXIT_OK)


def run_client(config: Config, client: Client, stages: list[str],
               trigger: str = "") -> RunReport:
    report = RunReport(client=client.name, started=_now(), trigger=clean(trigger, 300))
    started = time.monotonic()
    folder = Workspace.of(config, client.name).inventory
    try:
        with client_lock(folder, config.run.lock_wait):
            outcomes: list[StageOutcome] = []
            try:
                previous = _previous_report(folder)
                for index, stage in enumerate(stages, 1):  # one at a time: said on a TTY
                    announce(stage_line(client.name, stage, index, len(stages), previous))
                    if stage == "render" and outcomes:  # the site shows this run, not the last
                        _write_provisional(folder, report, outcomes, started)
                    log.debug("[%s] stage %d/%d %s: starting", client.name, index,
                              len(stages), stage)
                    done = run_client_stages(config, client, [stage])
                    for outcome in done:  # -v: netdoc's own steps
                        log.debug("[%s] stage %s: %s in %.1f s (%d failure(s), %d event(s))",
                                  client.name, outcome.stage, clean(outcome.summary, 300),
                                  outcome.seconds, len(outcome.failures), len(outcome.events))
                    outcomes += done
            except Terminated:
                report.status = "terminated"
            _fill(report, outcomes)
            if "discover" in stages or "backup" in stages:
                try:  # a stopping run only queues its alerts: no network wait
                    report.alerts = _send_alerts(config, client, report,
                                                 send=report.status != "terminated")
                except Exception as exc:  # noqa: BLE001 - alerting fails alone
                    log.exception("[%s] alerts failed", client.name)
                    report.alerts = [f"alerts not sent: {_reason(exc)}"]
            if report.status != "terminated":  # a push failure never fails the run
                from netdoc.hub.central import push_client

                report.push = push_client(config, client, _pending(report, started))
    except ClientLocked as exc:
        report.status = "locked"
        report.failures.append({"host": "-", "name": "", "reason": str(exc)})
    except EnvironmentProblem as exc:  # StoreError: an output folder not writable, ...
        report.status = "environment"
        report.failures.append({"host": "-", "name": "", "reason": str(exc)})
    except Exception as exc:  # noqa: BLE001 - one client's surprise never stops the others
        log.exception("[%s] run failed", client.name)
        report.status = "error"
        report.failures.append({"host": "-", "name": "",
                                "reason": f"unexpected error: {_reason(exc)}; please report it"})
    report.finished = _now()
    report.seconds = round(time.monotonic() - started, 3)
    if report.status != "locked":
        _write_report(folder, report)
    return report


def _write_provisional(folder: Path, report: RunReport, outcomes: list[StageOutcome],
                       started: float) -> None:
    """This run so far (status "running") as last-run.json, for the render stage to show;
    the final report replaces it when the run ends."""
    provisional = RunReport(client=report.client, started=report.started, status="running")
    _fill(provisional, outcomes)
    provisional.status = "running"
    provisional.seconds = round(time.monotonic() - started, 3)
    _write_report(folder, provisional, keep=False)


def _previous_report(folder: Path) -> dict[str, Any]:
    """The last run's report (for the stage timings shown on a terminal); {} if unreadable."""
    try:
        data = read_json(Workspace.of_inventory(folder).last_run, {})
    except StoreError:
        return {}
    return data if isinstance(data, dict) else {}


def _pending(report: RunReport, started: float) -> dict[str, Any]:
    """The report as it stands before the push (what the hub sees of this run)."""
    data = asdict(report)
    data["finished"] = _now()
    data["seconds"] = round(time.monotonic() - started, 3)
    pending: dict[str, Any] = json.loads(redact(json.dumps(data)))
    return pending


def _reason(exc: BaseException) -> str:
    return clean(redact(f"{exc.__class__.__name__}: {exc}"), 500)


def _fill(report: RunReport, outcomes: list[StageOutcome]) -> None:
    for outcome in outcomes:
        report.stages.append({"stage": outcome.stage, "built": outcome.built,
                              "summary": outcome.summary, "seconds": outcome.seconds,
                              "changes": outcome.changes, "outputs": outcome.outputs,
                              "failed": len(outcome.failures), "skipped": len(outcome.skipped)})
        # device-supplied text is cleaned before it reaches the JSON report (and the site,
        # the summary and the alerts that read it)
        report.events += [{**asdict(e), "device": clean(e.device, 255),
                           "detail": clean(e.detail, 2000), "diff": clean_block(e.diff),
                           "facts_changes": [clean(c, 500) for c in e.facts_changes]}
                          for e in outcome.events]
        report.failures += [{"stage": outcome.stage, **{k: clean(v, 1000) if isinstance(v, str)
                                                          else v for k, v in asdict(f).items()}}
                            for f in outcome.failures]
        report.skipped += [f"{outcome.stage}: {s}" for s in outcome.skipped]
    if report.status == "ok" and any(e.get("kind") == EventKind.STAGE_FAILED for e in report.events):
        report.status = "stage_failed"
    elif report.status == "ok" and (report.failures or report.skipped):
        report.status = "failures"


def _send_alerts(config: Config, client: Client, report: RunReport,
                 send: bool = True) -> list[str]:
    from netdoc.app.alerts import deliver

    events = [Event.from_dict(e) for e in report.events]
    return deliver(config, client, events, report, send=send)


def _write_report(folder: Path, report: RunReport, keep: bool = True) -> None:
    files = Workspace.of_inventory(folder)
    runs = files.runs
    text = redact(stable_json(asdict(report)))
    try:
        if not keep:  # a provisional report: last-run.json only, not the history
            atomic_write(files.last_run, text)
            return
        atomic_write(runs / f"{report.started.replace(':', '')}.json", text)
        atomic_write(files.last_run, text)
        for old in sorted(runs.glob("*.json"))[:-REPORTS_KEPT]:
            old.unlink()
    except (StoreError, OSError) as exc:
        log.error("[%s] could not write the run report: %s", report.client, exc)


def print_summary(report: RunReport) -> None:
    """The human summary, on stderr (stdout stays for --json)."""
    out = sys.stderr
    print(f"[{report.client}] run {report.status} in {report.seconds:.1f} s", file=out)
    for stage in report.stages:
        print(f"  {stage['stage']}: {clean(stage['summary'], 1000)} ({stage['seconds']:.1f} s)",
              file=out)
        for what, path in sorted(stage["outputs"].items()):
            print(f"      {what}: {path}", file=out)
    for event in report.events[:SUMMARY_EVENTS]:
        detail = f": {clean(event['detail'], 300)}" if event["detail"] else ""
        print(f"  change: {event['kind']} {clean(event['device'], 255)}{detail}", file=out)
        for words in event.get("facts_changes", [])[:SUMMARY_EVENTS]:  # the change, said
            print(f"      {clean(words, 300)}", file=out)
    if len(report.events) > SUMMARY_EVENTS:
        print(f"  ... and {len(report.events) - SUMMARY_EVENTS} more change(s): see the run "
              f"report (last-run.json)", file=out)
    for failure in report.failures:
        label = failure.get("name") or failure["host"]
        print(f"  FAILED {clean(label, 300)}: {clean(redact(failure['reason']), 1000)}",
              file=out)
    for skipped in report.skipped:
        print(f"  SKIPPED {clean(skipped, 300)}", file=out)
    for alert in report.alerts:
        print(f"  alert: {clean(alert, 500)}", file=out)
    for repo, push in sorted(report.push.items()):
        print(f"  central push {repo}: {push.get('status', '')}"
              f"{': ' + clean(push['reason'], 500) if push.get('reason') else ''}", file=out)


# ---------------------------------------------------------------- locking

@contextmanager
def client_lock(folder: Path, wait: float) -> Iterator[None]:
    """At most one run per client; wait up to `wait` seconds for the other to finish
    (netdoc.fsutil.FileLock on `.run.lock`: a killed run's lock is taken over)."""
    lock = FileLock(Workspace.of_inventory(folder).run_lock, wait)
    try:
        lock.__enter__()
    except LockTimeout as exc:
        raise ClientLocked(f"another netdoc run is working on this client ({exc.holder}); "
                           f"waited {wait:g} s. Try again later or raise run.lock_wait") from None
    try:
        log.debug("lock of %s taken", folder)
        if lock.previous:
            log.debug("lock taken over from a finished or killed run (%s)", lock.previous)
        yield
    finally:
        lock.__exit__()


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. inside a test runner thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- the run history (reader)

@dataclass
class RunHistory:
    """What the runner publishes for the stages and commands after it: the last run's
    report (while a run renders, the run so far, status "running") and a summary of
    the latest reports, newest first."""

    last: dict[str, Any] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)  # in full, as `recent`


def read_run_history(files: Workspace, count: int = 10) -> RunHistory:
    """The run reports in `files.runs` and `files.last_run` ({} / [] when there are none).
    Of the latest `count` reports, one that cannot be read is left out (said in the log):
    a damaged report hides itself, not the others."""
    history = RunHistory(last=_report_or_none(files.last_run) or {})
    for path in sorted(files.runs.glob("*.json"), reverse=True)[:count]:
        report = _report_or_none(path)
        if report is None:
            continue
        history.reports.append(report)
        history.recent.append({
            "started": report.get("started", ""), "status": report.get("status", ""),
            "trigger": report.get("trigger", ""),
            "seconds": report.get("seconds", 0),
            "stages": ", ".join(s.get("stage", "") for s in report.get("stages", [])),
            "changes": len(report.get("events", [])),
            "failures": len(report.get("failures", []))})
    return history


def _report_or_none(path: Path) -> dict[str, Any] | None:
    try:
        report = read_json(path, {})
    except StoreError as exc:
        log.warning("run report left out: %s", exc)
        return None
    return report if isinstance(report, dict) else None
