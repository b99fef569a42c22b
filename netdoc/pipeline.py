"""Run the stages of a netdoc cycle for each selected client.

A stage is a function `(config, client) -> StageOutcome` living in its own
module. The pipeline only sequences them and summarises; it never reaches into
a stage's internals. A stage whose module does not exist yet says so plainly.
"""
from __future__ import annotations

import importlib
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from netdoc.config import Client, Config
from netdoc.errors import NetdocError

log = logging.getLogger("netdoc.pipeline")

# stage name -> "module:function"
STAGES: dict[str, str] = {
    "discover": "netdoc.discovery.stage:discover_client",
    "backup": "netdoc.backup.stage:backup_client",
    "render": "netdoc.render.stage:render_client",
}


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
    outputs: dict[str, str] = field(default_factory=dict)  # what -> path
    seconds: float = 0.0


StageFunction = Callable[[Config, Client], StageOutcome]


def load_stage(stage: str) -> StageFunction | None:
    module_name, _, function = STAGES[stage].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    return getattr(module, function)  # type: ignore[no-any-return]


def run_stages(config: Config, stages: list[str], client_name: str | None,
               as_json: bool = False) -> int:
    outcomes: list[StageOutcome] = []
    for client in config.selected_clients(client_name):
        for stage in stages:
            outcomes.append(run_one(config, client, stage))
    _report(outcomes, as_json)
    return 1 if any(o.failures for o in outcomes) else 0


def run_one(config: Config, client: Client, stage: str) -> StageOutcome:
    function = load_stage(stage)
    if function is None:
        return StageOutcome(stage=stage, client=client.name, built=False,
                            summary=f"the {stage} stage is not built yet")
    started = time.monotonic()
    try:
        outcome = function(config, client)
    except NetdocError as exc:
        outcome = StageOutcome(stage=stage, client=client.name, summary=f"failed: {exc}",
                               failures=[DeviceFailure(host="-", reason=str(exc))])
    outcome.seconds = round(time.monotonic() - started, 3)
    return outcome


def _report(outcomes: list[StageOutcome], as_json: bool) -> None:
    if as_json:
        data: list[dict[str, Any]] = [asdict(o) for o in outcomes]
        json.dump({"stages": data}, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return
    for outcome in outcomes:
        print(f"[{outcome.client}] {outcome.stage}: {outcome.summary} ({outcome.seconds:.1f} s)")
        for what, path in sorted(outcome.outputs.items()):
            print(f"    {what}: {path}")
        for change in outcome.changes:
            print(f"    change: {change}")
        for failure in outcome.failures:
            label = f"{failure.name} ({failure.host})" if failure.name else failure.host
            print(f"    FAILED {label}: {failure.reason}")
