"""A config as a tree of lines, and the small value helpers every family shares.

Indented configs (IOS, ASA, ProCurve, AOS-CX, SonicOS, FortiOS) and brace configs
(Junos, PAN-OS) are read by ciscoconfparse2, which knows their block rules
(banners, `exit`, `{ ... }` and `;`); this module only hands its lines on as a
plain tree of `Node`s so the family modules stay small and typed.
"""
from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

from netdoc.facts.model import FactsError


@dataclass
class Node:
    text: str                                  # the line, stripped
    children: list["Node"] = field(default_factory=list)

    @cached_property
    def words(self) -> list[str]:
        return split_words(self.text)

    def find(self, pattern: str) -> Iterator["Node"]:
        """Children whose line matches the regex (anchored at the start)."""
        rx = re.compile(pattern)
        return (c for c in self.children if rx.match(c.text))

    def first(self, pattern: str) -> "Node | None":
        return next(self.find(pattern), None)

    def value(self, keyword: str) -> str:
        """The rest of the first child line that starts with `keyword `, unquoted."""
        for child in self.children:
            if child.text == keyword:
                return ""
            if child.text.startswith(keyword + " "):
                return unquote(child.text[len(keyword) + 1:].strip().rstrip(";"))
        return ""

    def walk(self) -> Iterator["Node"]:
        for child in self.children:
            yield child
            yield from child.walk()

    def path(self, *patterns: str) -> Iterator["Node"]:
        """Descendants reached by one regex per level."""
        level: list[Node] = [self]
        for pattern in patterns:
            level = [c for node in level for c in node.find(pattern)]
        return iter(level)


# ciscoconfparse2 finds each line's parent by walking back over its siblings: fine for a
# switch, quadratic for a firewall table (6,000 lines under one FortiOS `config` took
# 58 s; benchmarks/facts_scale.py). Longer configs are read by the linear reader below,
# which builds the same tree (tests/facts check both readers agree on every fixture).
LIBRARY_LIMIT = 1500


def parse_tree(text: str, syntax: str = "ios", reader: str = "") -> Node:
    """The config as a tree; syntax is ciscoconfparse2's (ios, asa, junos). reader forces
    'library' or 'linear' (default: by size)."""
    lines = text.splitlines()
    if syntax == "junos":  # ciscoconfparse2 reads '#' comments in brace configs badly
        lines = [re.sub(r"\s*## SECRET-DATA\s*$", "", line) for line in lines
                 if not line.lstrip().startswith(("#", "/*", "*"))]
    use_library = reader == "library" or (not reader and len(lines) <= LIBRARY_LIMIT)
    rows = _library_rows(lines, syntax) if use_library else _linear_rows(lines, syntax)
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for indent, line in rows:
        if not line or line in ("!", "exit", "}"):
            continue
        while stack[-1][0] >= indent:
            stack.pop()
        node = Node(line.rstrip(";").rstrip())
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root


def _library_rows(lines: list[str], syntax: str) -> list[tuple[int, str]]:
    from ciscoconfparse2 import CiscoConfParse

    _quiet_library()
    try:
        # loguru=True: leave loguru as _quiet_library set it (loguru=False re-configures it)
        parsed = CiscoConfParse(lines, syntax=syntax, loguru=True, ignore_blank_lines=True)
        return [(obj.indent, obj.text.strip()) for obj in list(parsed.objs)]
    except Exception as exc:  # noqa: BLE001 - the library raises many kinds
        raise FactsError(f"ciscoconfparse2 could not read the config: "
                         f"{exc.__class__.__name__}: {str(exc)[:200]}") from None


_QUIETED: list[bool] = []


def _quiet_library() -> None:
    """ciscoconfparse2 logs through loguru. Asked not to (loguru=False), it removes and
    re-adds loguru's handlers on every parse: loguru's global lock, taken 5 times per
    config, which the backup's 20 workers parsing configs queued on (about a third of
    the worker pool's CPU at 200 devices). Once per process instead: its handlers
    removed and its logger disabled, so its log calls cost nothing and print nothing."""
    if _QUIETED:
        return
    from loguru import logger

    logger.remove()
    logger.disable("ciscoconfparse2")
    _QUIETED.append(True)


def _linear_rows(lines: list[str], syntax: str) -> list[tuple[int, str]]:
    rows: list[tuple[int, str]] = []
    if syntax == "junos":   # `{` opens a level, `}` closes it, `;` ends a statement
        depth = 0
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if text.startswith("}"):
                depth = max(depth - 1, 0)
                continue
            if text.endswith("{"):
                rows.append((depth * 4, text[:-1].rstrip()))
                depth += 1
            else:
                rows.append((depth * 4, text.rstrip(";").rstrip()))
        return rows
    banner_end = ""
    for line in lines:
        if banner_end:   # a banner's text is no config: skip to its delimiter
            if banner_end in line:
                banner_end = ""
            continue
        expanded = line.expandtabs(4)
        text = expanded.strip()
        if not text:
            continue
        match = re.match(r"^banner \S+ (\^C|\S)", text)
        if match and text.count(match.group(1)) < 2:
            banner_end = match.group(1)
        rows.append((len(expanded) - len(expanded.lstrip()), text))
    return rows


def split_words(text: str) -> list[str]:
    """Words of a config line; double or single quotes group, quotes removed."""
    if '"' not in text and "'" not in text:
        return text.split()
    try:
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        return list(lexer)
    except ValueError:  # an unbalanced quote: plain split
        return [unquote(w) for w in text.split()]


def unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def prefix(address: str, mask: str) -> str:
    """'192.0.2.1', '255.255.255.0' -> '192.0.2.1/24' (mask may be a length)."""
    try:
        network = ipaddress.ip_interface(f"{address}/{mask}")
    except ValueError:
        return address
    return f"{network.ip}/{network.network.prefixlen}"


def network(address: str, mask: str = "") -> str:
    """'192.0.2.0', '255.255.255.0' -> '192.0.2.0/24'; a host is /32."""
    try:
        return str(ipaddress.ip_network(f"{address}/{mask}" if mask else address, strict=False))
    except ValueError:
        return f"{address} {mask}".strip()


def wildcard_network(address: str, wildcard: str) -> str:
    """ACL form '192.0.2.0 0.0.0.255' -> '192.0.2.0/24'."""
    try:
        inverted = ".".join(str(255 - int(o)) for o in wildcard.split("."))
    except ValueError:
        return f"{address} {wildcard}"
    return network(address, inverted)


def is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def port_range(first: str, last: str = "") -> str:
    return f"{first}-{last}" if last and last != first else first
