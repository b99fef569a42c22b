"""Command output: JSON for programs (--json), plain text for people.

Every JSON document netdoc prints carries `"schema": SCHEMA`, the version of its
shape; a program reading it checks that number and refuses a newer one it does
not know. An error under `--json` is a document too:
`{"schema": 1, "error": {"kind": ..., "message": ..., "exit": N}}` on stdout (the
message also goes to stderr for a person watching).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

SCHEMA = 1


def stamped(data: Any) -> Any:
    """`data` with the schema version (a list or a scalar is wrapped as {"result": ...})."""
    if isinstance(data, dict):
        return {"schema": SCHEMA, **{k: v for k, v in data.items() if k != "schema"}}
    return {"schema": SCHEMA, "result": data}


def dump(data: Any, out: TextIO | None = None) -> None:
    """Write one JSON document (schema stamped, keys sorted, indented) and a newline."""
    stream = out or sys.stdout
    json.dump(stamped(data), stream, indent=2, sort_keys=True, default=str)
    stream.write("\n")


def emit(args: argparse.Namespace, data: Any, human: str) -> None:
    if getattr(args, "json", False):
        dump(data)
    elif human:
        print(human)


def error_document(kind: str, message: str, exit_code: int) -> dict[str, Any]:
    return {"schema": SCHEMA, "error": {"kind": kind, "message": message, "exit": exit_code}}
