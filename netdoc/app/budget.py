"""Time budgets: a whole run has one, and every stage and device lives inside it.

The runner sets the deadline; a stage asks `remaining()` before starting a
device and reports the devices it had no time for as skipped, never silently
dropping them.
"""
from __future__ import annotations

import contextvars
import math
import time
from contextlib import contextmanager
from typing import Iterator

_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("netdoc_deadline",
                                                                  default=math.inf)


def remaining() -> float:
    """Seconds left in the current run's budget (inf when there is no budget)."""
    return _deadline.get() - time.monotonic()


def exhausted() -> bool:
    return remaining() <= 0


def limit(seconds: float) -> float:
    """`seconds`, shortened to what the budget still allows (never below zero)."""
    return max(0.0, min(seconds, remaining()))


@contextmanager
def budget(seconds: float | None) -> Iterator[None]:
    if not seconds:
        yield
        return
    token = _deadline.set(min(_deadline.get(), time.monotonic() + seconds))
    try:
        yield
    finally:
        _deadline.reset(token)
