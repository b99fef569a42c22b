"""Fixtures shared by the whole suite. Others may append fixtures below."""
from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/support importable as support.*

from support.lab_fixtures import (TEST_LAB_ROOT, lab_location,  # noqa: E402
                                  lab_unavailable_reason, sweep_stale_test_labs)


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """`netdoc` commands run in-process install a stderr handler (basicConfig force=True);
    left behind, it writes into a later test's closed capture file. Every test ends with
    the root logger's handlers and levels as it found them."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def lab() -> Iterator["Lab"]:  # noqa: F821 - imported lazily: collecting needs no root
    """The default site lab, up for the whole session and taken down at its end.

    Namespaces are named ndt<pid>-<node>, so several pytest runs (and the demo
    lab, prefix ndlab-) can coexist. Read `lab.ground_truth` for what is there.
    """
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from netdoc.lab import Lab

    sweep_stale_test_labs()
    state_dir, prefix = lab_location()
    site = Lab.up("default", state_dir, prefix)
    try:
        yield site
    finally:
        site.down()
        with contextlib.suppress(OSError):  # only when no other run's lab is in it
            TEST_LAB_ROOT.rmdir()
