"""One sanitiser for everything a device (or anyone on the client LAN) can say.

Device-supplied text - sysName, serials, LLDP neighbour names, CLI output in
error messages - reaches terminals, git commit messages, Graphviz DOT, XML
(GraphML, draw.io), JSON, HTML and chat markup. Every such boundary calls into
this module, so there is one definition of "safe":

    clean(text, limit)     control characters (C0, DEL, C1, ANSI escape
                           sequences, Unicode bidi overrides) removed, length
                           bounded; newlines and tabs become spaces
    clean_block(text)      the same for multi-line text: newlines kept
    bounded_name(text)     a file-name-safe stem; a long one is cut and given a
                           hash of the whole, so distinct values stay distinct
    slack_escape / teams_escape   neutralise chat markup (mentions, links)
    clamp_device(device)   every text field of a Device cleaned and bounded

Limits are generous for real devices (a real sysName is at most 255 octets by
RFC 1213; serials are short) and stop a hostile one from breaking a file system
or a renderer.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import fields
from typing import Any

# ANSI/VT escape sequences first (so their parameters go with them), then any
# single control character left: C0 except \t \n \r, DEL, C1, bidi overrides.
_ESCAPES = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|"
                      r"[()][A-Za-z0-9]|[ -/]*[0-~])?|\x9b[0-9;?]*[ -/]*[@-~]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e"
                      "\u2066-\u2069\ufeff\ufff9-\ufffb]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\x85]+")

NAME_LIMIT = 255       # sysName, hostname, LLDP neighbour names
FIELD_LIMIT = 255      # serials, models, versions, MACs, ports
TEXT_LIMIT = 2048      # sysDescr, sysLocation, interface descriptions
FILE_STEM_LIMIT = 100  # file names derived from device values (well under 255 bytes)


def clean(text: object, limit: int = TEXT_LIMIT) -> str:
    """One line of printable text: control characters gone, at most `limit` characters."""
    value = "" if text is None else str(text)
    value = _ESCAPES.sub("", value)
    value = _LINE_BREAKS.sub(" ", value)
    value = _CONTROL.sub("", value)
    return _cut(value, limit)


def clean_block(text: object, limit: int = 1_000_000) -> str:
    """Multi-line text (a diff, a message body): control characters gone, newlines kept."""
    value = "" if text is None else str(text)
    value = _ESCAPES.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    value = value.replace("\t", "    ")
    value = _CONTROL.sub("", value)
    return _cut(value, limit)


def _cut(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    return value[:max(limit - 1, 0)] + "…" if limit > 1 else value[:limit]


def bounded_name(text: str, limit: int = FILE_STEM_LIMIT) -> str:
    """A name for a file: safe characters only; when too long, a prefix plus a hash of
    the whole value, so two long values that share a prefix stay two files."""
    safe = re.sub(r"[^A-Za-z0-9._@+-]+", "_", clean(text, 100_000).strip()).strip("._")
    safe = safe or "unnamed"
    if len(safe) <= limit:
        return safe
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{safe[:limit - 17].rstrip('._-')}-{digest}"


def slack_escape(text: str) -> str:
    """Slack mrkdwn: `<!channel>`, `<@U1>` and `<url|label>` need `<`; escape it (and &, >)."""
    return clean_block(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TEAMS_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def teams_escape(text: str) -> str:
    """Teams/Adaptive Card markdown: links `[x](url)`, emphasis and HTML-like `<at>` tags
    are neutralised: markdown characters get a backslash, `&`, `<`, `>` become entities."""
    body = _TEAMS_SPECIAL.sub(r"\\\1", clean_block(text))
    return body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Device fields and how long each may be; anything else textual gets TEXT_LIMIT.
_DEVICE_LIMITS = {"hostname": NAME_LIMIT, "serial": FIELD_LIMIT, "model": FIELD_LIMIT,
                  "version": FIELD_LIMIT, "vendor": FIELD_LIMIT, "os": FIELD_LIMIT,
                  "platform": FIELD_LIMIT, "base_mac": 64, "mgmt_ip": 64,
                  "sys_object_id": 512, "role": 32, "site": NAME_LIMIT}


def clamp_device(device: Any) -> Any:
    """Every text field of a Device (and its interfaces and neighbours) cleaned and
    bounded, in place; returns the device."""
    for item in fields(device):
        value = getattr(device, item.name)
        if isinstance(value, str):
            setattr(device, item.name, clean(value, _DEVICE_LIMITS.get(item.name, TEXT_LIMIT)))
        elif isinstance(value, list):
            for entry in value:
                if hasattr(entry, "__dataclass_fields__"):
                    _clamp_record(entry)
    return device


def _clamp_record(record: Any) -> None:
    for item in fields(record):
        value = getattr(record, item.name)
        if isinstance(value, str):
            setattr(record, item.name, clean(value, NAME_LIMIT if "name" in item.name
                                              or "port" in item.name else TEXT_LIMIT))
        elif isinstance(value, list) and value and isinstance(value[0], str):
            setattr(record, item.name, [clean(v, FIELD_LIMIT) for v in value])
