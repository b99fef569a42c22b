"""Helpers for tests that use the site lab (netdoc.lab): where test labs live, cleanup."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# Test labs live here, one folder per pytest process, so a later run can find and
# remove the lab of a run that was killed before its teardown.
TEST_LAB_ROOT = Path("/run/netdoc-test-labs")


def lab_unavailable_reason() -> str | None:
    """Why the site lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "the site lab needs root (it creates network namespaces)"
    missing = [tool for tool in ("ip", "snmpd", "lldpd", "lldpcli", "snmpget", "snmpwalk")
               if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists()]
    if missing:
        return f"the site lab needs {', '.join(missing)} (run scripts/setup.sh)"
    return None


def sweep_stale_test_labs() -> None:
    """Take down test labs whose pytest process is gone (killed runs skip teardown)."""
    from netdoc.errors import LabError
    from netdoc.lab import Lab
    from netdoc.lab.lab import remove_namespaces

    if not TEST_LAB_ROOT.is_dir():
        return
    for folder in TEST_LAB_ROOT.iterdir():
        owner = folder.name.split("-")[0]
        if owner.isdigit() and Path(f"/proc/{owner}").exists():
            continue  # a live pytest run (maybe another engineer's) owns it
        try:
            Lab.load(folder).down()
        except LabError:
            shutil.rmtree(folder, ignore_errors=True)
        if owner.isdigit():
            remove_namespaces(f"ndt{owner}-")


def lab_location(tag: str = "") -> tuple[Path, str]:
    """(state dir, namespace prefix) for a test lab of this pytest process."""
    pid = os.getpid()
    return TEST_LAB_ROOT / f"{pid}{'-' + tag if tag else ''}", f"ndt{pid}{tag}-"
