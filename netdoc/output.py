"""Command output: JSON for programs (--json), plain text for people."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def emit(args: argparse.Namespace, data: Any, human: str) -> None:
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    elif human:
        print(human)
