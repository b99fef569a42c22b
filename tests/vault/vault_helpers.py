"""Helpers shared by the vault tests (a plain module: conftest.py names collide across folders)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def vault_variables() -> list[str]:
    return [name for name in os.environ
            if name.startswith("NETDOC_VAULT") or name == "CREDENTIALS_DIRECTORY"]


def netdoc_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment for a `netdoc` subprocess: the test's vault settings only."""
    env = {k: v for k, v in os.environ.items() if k not in vault_variables()}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def run_netdoc(args: list[str], tmp_path: Path, *, stdin: str | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netdoc.app.cli", *args], cwd=tmp_path,
                          input=stdin if stdin is not None else "", capture_output=True,
                          text=True, env=env or netdoc_env(tmp_path), timeout=60,
                          start_new_session=True)  # no controlling terminal: like cron
