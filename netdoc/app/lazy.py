"""Modules imported on first use, so that commands that never need them start fast.

`netdoc --help` and `netdoc status` must not pay for paramiko (about 0.13 s),
scapy (about 1 s) and the like. Most code imports such a module inside the
function that needs it; where a module uses one throughout (in `except`
clauses, say), `lazy_module("paramiko")` stands in for it at module level:

    if TYPE_CHECKING:
        import paramiko
    else:
        paramiko = lazy_module("paramiko")

The real import happens at the first attribute access, in whichever thread
gets there first; Python's import lock makes concurrent first uses safe.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for a module until one of its attributes is needed."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        state = "imported" if self._name in sys.modules else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


def lazy_module(name: str) -> Any:
    """The module itself when it is already imported, else a stand-in that imports it
    at first use. Typed Any: declare the real module under TYPE_CHECKING."""
    module: ModuleType | None = sys.modules.get(name)
    return module if module is not None else LazyModule(name)
