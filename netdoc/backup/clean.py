"""Cleaning: from a terminal transcript to exactly the device's configuration.

Three steps, each a pure function of text so it can be tested alone:

    terminal_text()  what a terminal would show: ANSI escapes gone, backspaces and
                     carriage-return overwrites applied, pager prompts removed,
                     the echoed command and the trailing prompt dropped
    apply_recipe()   the platform's rules: header before `strip_until` dropped,
                     volatile lines (timestamps, uptime, byte counts) dropped (a
                     volatile regex that spans lines, i.e. holds `\n`, drops every
                     block it matches, such as pfSense's <revision> element),
                     blank noise at both ends removed
    check_complete() refuse output that is empty, lacks the end marker, still
                     contains a pager prompt, or shrank too much (truncated)

Secrets are masked separately (netdoc.backup.secrets).
"""
from __future__ import annotations

import json
import re

from netdoc.platforms import BackupRecipe, pager_rules

ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][A-Z0-9]|[=>78DEHM])")
CONTROL = re.compile(r"[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")
# Page-break prompts are profile data (`backup.more_prompts`, combined by
# netdoc.platforms.pager_rules): cut out of every transcript line, and, when one is
# still in the cleaned text, the output was cut at a page break.


class IncompleteOutput(Exception):
    """The output is not a whole configuration; the message says why."""


def terminal_text(raw: str, command: str = "", prompt: str = "") -> str:
    """What the operator would have seen, minus the command echo and the final prompt."""
    text = ANSI.sub("", raw).replace("\r\n", "\n")
    lines: list[str] = []
    for line in text.split("\n"):
        visible = _pager_free(_overwrite(line))
        if visible is not None:
            lines.append(CONTROL.sub("", visible))
    if command and lines and lines[0].rstrip().endswith(command.strip()):
        lines = lines[1:]
    if prompt:
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and _is_prompt(lines[-1], prompt):
            lines.pop()
    return "\n".join(lines)


def _overwrite(line: str) -> str:
    """Apply backspaces and carriage returns the way a terminal would."""
    if "\b" not in line and "\r" not in line:
        return line
    cells: list[str] = []
    cursor = 0
    for char in line:
        if char == "\b":
            cursor = max(0, cursor - 1)
        elif char == "\r":
            cursor = 0
        else:
            if cursor < len(cells):
                cells[cursor] = char
            else:
                cells.append(char)
            cursor += 1
    # what was overwritten by spaces (a pager erasing itself) is no content
    return "".join(cells).rstrip()


def _pager_free(line: str) -> str | None:
    """The line without pager prompts; None when the line was only a pager prompt."""
    remnant = pager_rules().remnant
    if not remnant.search(line):
        return line
    stripped = remnant.sub("", line)
    return stripped if stripped.strip() else None


def _is_prompt(line: str, prompt: str) -> bool:
    line, base = line.strip(), prompt.strip()
    return bool(base) and (line == base or bool(
        re.match(r"(?:\* )?[<\[(]?" + re.escape(base) + r".{0,60}[>#$%\]:]$", line)))


def apply_recipe(text: str, recipe: BackupRecipe) -> str:
    """Platform rules: JSON re-indented, header before `strip_until`, volatile lines,
    blank noise, a last line that is a prompt of the platform's shape (`prompt`)."""
    if recipe.reformat == "json":
        text = reindent_json(text)
    lines = text.split("\n")
    if recipe.strip_until is not None:
        for index, line in enumerate(lines):
            if recipe.strip_until.search(line):
                lines = lines[index:]
                break
    blocks = [v for v in recipe.volatile if _spans_lines(v)]
    if blocks:
        text = "\n".join(lines) + "\n"
        for pattern in blocks:
            text = pattern.sub("", text)
        lines = text.split("\n")
    single = [v for v in recipe.volatile if not _spans_lines(v)]
    lines = [line for line in lines if not any(v.search(line) for v in single)]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if recipe.prompt is not None and lines and recipe.prompt.search(lines[-1]):
        lines.pop()  # a prompt of the platform's shape the login prompt did not catch
        while lines and not lines[-1].strip():
            lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def _spans_lines(pattern: re.Pattern[str]) -> bool:
    return "\\n" in pattern.pattern or "\n" in pattern.pattern


def reindent_json(text: str) -> str:
    """A JSON document printed on one line (after any header lines), re-indented with the
    device's key order kept: one member per line, and an object or list holding only plain
    values on one line (`"password": {"plaintext": null, "cyphered": "..."}`), so line
    rules see a setting with its context. Text that is not one whole JSON document stays
    as it is, so the completeness check refuses it (a cut-off export)."""
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return text
    try:
        document = json.loads(text[start:])
    except ValueError:
        return text
    return _json_lines(document, "") + "\n"


def _json_lines(value: object, indent: str) -> str:
    def inline(item: object) -> str:
        return json.dumps(item, ensure_ascii=False, separators=(", ", ": "))

    if isinstance(value, dict):
        items = [(json.dumps(str(k), ensure_ascii=False) + ": ", v) for k, v in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, list):
        items = [("", v) for v in value]
        opening, closing = "[", "]"
    else:
        return inline(value)
    if not items or all(not isinstance(v, (dict, list)) for _, v in items):
        return inline(value)
    inner = indent + "  "
    body = ",\n".join(inner + label + _json_lines(v, inner) for label, v in items)
    return f"{opening}\n{body}\n{indent}{closing}"


def check_complete(text: str, recipe: BackupRecipe, last_good: str | None,
                   shrink_limit: float) -> None:
    """Raise IncompleteOutput unless `text` looks like a whole configuration."""
    if not text.strip():
        raise IncompleteOutput("the device returned an empty configuration")
    if recipe.end_marker is not None and not recipe.end_marker.search(text):
        raise IncompleteOutput(f"the output lacks the platform's end marker "
                               f"/{recipe.end_marker.pattern}/: truncated")
    for pattern in (pager_rules().left, *recipe.pager):
        found = pattern.search(text)
        if found:
            raise IncompleteOutput(f"a pager prompt {found.group(0).strip()!r} is left in the "
                                   f"output: paging was not disabled, the config is incomplete")
    if last_good and shrink_limit > 0 and len(text) < shrink_limit * len(last_good):
        raise IncompleteOutput(f"the configuration shrank from {len(last_good)} to {len(text)} "
                               f"bytes, below backup.shrink_limit ({shrink_limit:g}) of the last "
                               f"good backup: refused as truncated (raise or set shrink_limit "
                               f"to 0 if the device really lost that much configuration)")
