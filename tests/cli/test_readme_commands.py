"""The README's command table and `netdoc --help` name the same commands."""
from __future__ import annotations

import re
from pathlib import Path

from netdoc.app.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def _help_commands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")  # noqa: SLF001
    assert action.choices is not None
    return set(action.choices)


def _readme_commands() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| command | what it does |"):]
    table = table[:table.index("\n\n")]
    found: set[str] = set()
    for row in table.splitlines()[2:]:
        first_cell = row.split(" | ")[0]
        # `netdoc discover`, `backup`, `render`: every backticked word names a command
        found |= {m.group(1) for m in re.finditer(r"`(?:netdoc )?([a-z][a-z-]*)", first_cell)}
    return found


def test_every_command_of_the_help_is_in_the_readme_table() -> None:
    missing = _help_commands() - _readme_commands()
    assert not missing, f"add a README row for: {sorted(missing)}"


def test_the_readme_table_names_no_command_netdoc_lacks() -> None:
    extra = _readme_commands() - _help_commands()
    assert not extra, f"README rows for commands netdoc does not have: {sorted(extra)}"
