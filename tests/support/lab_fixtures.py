"""Helpers for tests that use the site lab (netdoc.lab): where test labs live, cleanup."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

# Test labs live here, one folder per pytest process, so a later run can find and
# remove the lab of a run that was killed before its teardown.
TEST_LAB_ROOT = Path("/run/netdoc-test-labs")
# This checkout: netdoc run inside a lab node imports it from here.
ROOT = Path(__file__).resolve().parents[2]


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


@contextlib.contextmanager
def own_lab(topology: str, tag: str) -> Iterator[Any]:
    """Topology `topology` up as a lab of this module alone (namespaces ndt<pid><tag>-), for
    tests that change their lab; skips where the lab cannot run. Taken down at the end, also
    when a test failed; a teardown that leaves anything behind fails."""
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from netdoc.lab import Lab

    sweep_stale_test_labs()
    state_dir, prefix = lab_location(tag)
    lab = Lab.up(topology, state_dir, prefix)
    try:
        yield lab
    finally:
        problems = lab.down()
        with contextlib.suppress(OSError):  # only when no other run's lab is in it
            TEST_LAB_ROOT.rmdir()
    assert problems == [], problems


def lab_settings(lab: Any, folder: Path) -> dict[str, Any]:
    """The lab's netdoc.yaml as data with its outputs (inventory, config_backups) moved into
    `folder`, the test's own: change it, then `write_settings`."""
    data: dict[str, Any] = yaml.safe_load(Path(lab.config_path).read_text(encoding="utf-8"))
    data["output"] = {"inventory": str(folder / "inventory"),
                      "config_backups": str(folder / "config_backups")}
    return data


def write_settings(data: dict[str, Any], folder: Path) -> Path:
    """`data` as `folder`/netdoc.yaml; its path."""
    config = folder / "netdoc.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config


def probe_env() -> dict[str, str]:
    """What netdoc needs in its environment to run inside a lab node from this checkout."""
    return {"PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/root")}


def netdoc_at(lab: Any, node: str, config: Path, *args: str,
              timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`netdoc --config CONFIG ARGS...` inside a lab node's namespace, as a technician runs
    it at the site's probe."""
    done: subprocess.CompletedProcess[str] = lab.exec(
        node, [sys.executable, "-m", "netdoc.app.cli", "--config", str(config), *args],
        timeout=timeout, env=probe_env())
    return done
