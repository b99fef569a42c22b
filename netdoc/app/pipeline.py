"""Run the stages of a netdoc cycle for each selected client.

A stage is a function `(config, client) -> StageOutcome` living in its own
module. The pipeline only sequences them, keeps the time budget and
summarises; it never reaches into a stage's internals. A stage whose module
does not exist yet says so plainly.
"""
from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from netdoc.app import budget
from netdoc.config import Client, Config
from netdoc.errors import EnvironmentProblem, NetdocError
from netdoc.models import Event, EventKind
from netdoc.secrets import redact
from netdoc.textsafe import clean

log = logging.getLogger("netdoc.app.pipeline")

__all__ = ["CYCLE", "STAGES", "DeviceFailure", "Event", "EventKind", "StageOutcome",
           "load_stage", "run_client_stages", "run_one"]

# stage name -> "module:function", in cycle order
STAGES: dict[str, str] = {
    "discover": "netdoc.discover.stage:discover_client",
    "backup": "netdoc.backup.stage:backup_client",
    "render": "netdoc.render.stage:render_client",
    # collect -> inventory (discover) -> topology -> render: render runs the topology
    # stage first and draws its result, so the cycle names render only
    "topology": "netdoc.topology.stage:topology_client",
}
CYCLE = ["discover", "backup", "render"]


@dataclass
class DeviceFailure:
    host: str
    reason: str
    name: str = ""


@dataclass
class StageOutcome:
    stage: str
    client: str
    built: bool = True
    summary: str = ""
    failures: list[DeviceFailure] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # devices the budget left no time for
    outputs: dict[str, str] = field(default_factory=dict)  # what -> path
    seconds: float = 0.0


StageFunction = Callable[[Config, Client], StageOutcome]


def load_stage(stage: str) -> StageFunction:
    """The stage's entry point. Every stage ships with netdoc: one that cannot be
    imported is a broken installation, reported as such, never "nothing to do"."""
    module_name, _, function = STAGES[stage].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise EnvironmentProblem(f"the {stage} stage cannot be loaded: module {exc.name!r} is "
                                 f"missing; reinstall netdoc (pip install .)") from exc
    return getattr(module, function)  # type: ignore[no-any-return]


def run_client_stages(config: Config, client: Client, stages: list[str]) -> list[StageOutcome]:
    outcomes = []
    for stage in stages:
        if budget.exhausted():
            outcomes.append(StageOutcome(stage=stage, client=client.name,
                                         summary="skipped: the run's time budget is spent",
                                         skipped=["(whole stage)"]))
            continue
        outcomes.append(run_one(config, client, stage))
    return outcomes


def run_one(config: Config, client: Client, stage: str) -> StageOutcome:
    function = load_stage(stage)
    started = time.monotonic()
    try:
        outcome = function(config, client)
    except Exception as exc:  # noqa: BLE001 - a stage fails alone, whatever the cause
        # the text may come from a device: cleaned here, so no log handler sees it raw
        message = clean(redact(str(exc))) if isinstance(exc, NetdocError) else \
            clean(redact(f"unexpected error ({exc.__class__.__name__}: {exc}); please report it"))
        if isinstance(exc, NetdocError):
            log.error("[%s] %s stage failed: %s", client.name, stage, message)
        else:
            log.exception("[%s] %s stage failed: %s", client.name, stage, message)
        outcome = StageOutcome(stage=stage, client=client.name, summary=f"failed: {message}",
                               failures=[DeviceFailure(host="-", reason=message)],
                               events=[Event(EventKind.STAGE_FAILED, "-", f"{stage}: {message}")])
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome
