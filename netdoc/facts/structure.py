"""Structure-aware config changes with hier-config, where the facts say nothing.

    section_changes(old_text, new_text, os) -> ["under interface Gi0/1.10: description
                                                  staff", "removed: ntp server 192.0.2.123"]

hier-config builds the remediation (the commands that turn the old config into the
new one) knowing each platform's sections and negation. The result is said in
plain words, one line per top-level section. Which hier-config OS a platform is
is profile data (`structure:`); a platform without it gets no such lines.
"""
from __future__ import annotations

from typing import Any

LIMIT = 30


def section_changes(old: str, new: str, os_name: str) -> list[str]:
    from hier_config import Host

    try:
        host = Host("device", os_name)
        host.load_running_config(old)
        host.load_generated_config(new)
        remediation = host.remediation_config()
    except Exception:  # noqa: BLE001 - a library failure costs these lines only
        return []
    out: list[str] = []
    for child in remediation.children:
        out.append(_describe(child))
    if len(out) > LIMIT:
        out = out[:LIMIT] + [f"... and {len(out) - LIMIT} more sections"]
    return out


def _describe(child: Any) -> str:
    text = str(child.text)
    inner = [str(c.text) for c in child.all_children_sorted()]
    if not inner:
        if text.startswith("no "):
            return f"removed: {text[3:]}"
        return f"added: {text}"
    # 'no description a' next to 'description b' is a replacement: say the new line only
    set_words = {line.split(" ", 1)[0] for line in inner if not line.startswith("no ")}
    inner = [line for line in inner if not (line.startswith("no ") and
                                            line[3:].split(" ", 1)[0] in set_words)]
    parts = [f"removed {line[3:]}" if line.startswith("no ") else line for line in inner[:6]]
    more = f" (+{len(inner) - 6} more)" if len(inner) > 6 else ""
    return f"under {text}: {'; '.join(parts)}{more}"


def structure_os(platform: str) -> str:
    """The hier-config OS the platform's profile names (`structure:`), '' for none."""
    from netdoc.platforms import profile_named

    profile = profile_named(platform.split(":", 1)[0]) if platform else None
    return str(getattr(profile, "structure", "") or "") if profile is not None else ""
