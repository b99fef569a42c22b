"""Progress for a person at a terminal, and nothing at all for anyone else.

Shown only when stderr is a terminal and netdoc is not running under systemd
(INVOCATION_ID / JOURNAL_STREAM set: the journal wants the summary, not bars). The
backup stage adds its own bar (devices done/total); the runner announces each stage
with how long it took last time, from the previous run report.
"""
from __future__ import annotations

import os
import sys
from typing import Any


def interactive() -> bool:
    if os.environ.get("INVOCATION_ID") or os.environ.get("JOURNAL_STREAM"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def stage_line(client: str, stage: str, index: int, total: int,
               previous: dict[str, Any] | None) -> str:
    """'[acme] stage 2/3: backup (last run: 41 s)'."""
    last = None
    for entry in (previous or {}).get("stages", []):
        if entry.get("stage") == stage and isinstance(entry.get("seconds"), (int, float)):
            last = float(entry["seconds"])
    eta = f" (last run: {_duration(last)})" if last is not None else ""
    return f"[{client}] stage {index}/{total}: {stage}{eta}"


def announce(line: str) -> None:
    if interactive():
        from rich.console import Console

        Console(stderr=True, highlight=False).print(line, markup=False)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
