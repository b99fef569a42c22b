"""Start-up cost: `netdoc --help` and `netdoc status` must not import the heavy
libraries that only backups, sweeps, topology or git need (issue 18: a command
starts in under 0.3 s). Checked by what a fresh interpreter has in sys.modules,
not by timing, so the test holds on a loaded machine."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netdoc.app.lazy import LazyModule, lazy_module

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("netmiko", "paramiko", "scapy", "networkx", "git", "jinja2")

PROBE = r"""
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import netdoc.app.cli
loaded = {"import": sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)}
for name, argv in json.loads(sys.argv[3]).items():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            netdoc.app.cli.main(argv)
        except SystemExit:
            pass
    loaded[name] = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
print(json.dumps(loaded))
"""


def _modules_after(commands: dict[str, list[str]]) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT), json.dumps(HEAVY),
                           json.dumps(commands)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert _modules_after({})["import"] == []


def test_help_and_status_import_no_heavy_library(tmp_path: Path) -> None:
    config = tmp_path / "netdoc.yaml"
    subprocess.run([sys.executable, "-m", "netdoc.app.cli", "init", str(config)], check=True,
                   capture_output=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT),
                                                           "PATH": "/usr/bin:/bin"})
    loaded = _modules_after({"help": ["--help"],
                             "status": ["status", "--config", str(config)]})
    assert loaded == {"import": [], "help": [], "status": []}


def test_a_lazy_module_is_imported_at_its_first_use() -> None:
    name = "colorsys"  # small, and nothing in netdoc or pytest imports it
    if name in sys.modules:
        pytest.skip(f"{name} is already imported in this interpreter")
    stand_in = lazy_module(name)
    assert isinstance(stand_in, LazyModule) and name not in sys.modules
    assert stand_in.__name__ == name  # the first attribute access imports it
    assert name in sys.modules
    assert lazy_module(name) is sys.modules[name]  # once imported, the module itself
