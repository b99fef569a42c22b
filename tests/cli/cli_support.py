"""Running `netdoc` in-process for the command-line tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netdoc.app.cli import main

CONFIG = """\
credentials:
  lab-snmp:
    snmp: {version: 2c, community: "env:ND_CLI_TEST_COMMUNITY"}
clients:
  acme:
    sites:
      hq:
        subnets: [192.0.2.0/29]
        credentials: [lab-snmp]
output: {inventory: inventory, config_backups: config_backups}
"""


def write_config(folder: Path, text: str = CONFIG) -> Path:
    path = folder / "netdoc.yaml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def netdoc_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """Run netdoc with --json; the exit code and the one JSON document it printed."""
    capsys.readouterr()
    code = main(["--json", *argv])
    out = capsys.readouterr().out
    return code, json.loads(out)
