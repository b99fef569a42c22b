"""`netdoc backup DEVICE...`: the devices a command names, for the stages to honour.

The stages keep their `(config, client)` signature; a command that works on some
devices only sets the selection around the run, and the stage's target list asks
`selected()` (by configured name, host or repository path, case-insensitive).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_only: ContextVar[frozenset[str] | None] = ContextVar("netdoc_only_devices", default=None)


@contextmanager
def only_devices(names: list[str] | None) -> Iterator[None]:
    token = _only.set(frozenset(n.strip().lower() for n in names) if names else None)
    try:
        yield
    finally:
        _only.reset(token)


def selected(*keys: str) -> bool:
    """True when no selection is active or one of `keys` (name, host, path) is named."""
    wanted = _only.get()
    return wanted is None or any(k and k.lower() in wanted for k in keys)


def active() -> frozenset[str] | None:
    return _only.get()
