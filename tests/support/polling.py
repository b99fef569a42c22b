"""Waiting for something a daemon does in its own time (a listener's backup, a trap's re-read)."""
from __future__ import annotations

import time
from typing import Any, Callable


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """`check()`'s first true value, asked every 0.2 s; an AssertionError naming `what` when
    none came within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
