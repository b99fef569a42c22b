"""A profile's `events:` section: which messages a platform sends when its
configuration or a link changed. Vendor knowledge stays in the profile files:

    events:
      config_changed: ['%SYS-5-CONFIG_I\\b']         # regexes searched in the syslog message
      link_changed: ['%LINK-3-UPDOWN\\b']
      config_traps: ['1.3.6.1.4.1.9.9.43.2.0.1']     # trap OIDs meaning "config changed"

linkDown/linkUp traps (IF-MIB, RFC 2863) mean "link changed" for every platform.
A device whose platform is unknown is matched against every profile's patterns.
The profile loader calls `parse_events_section` when it loads a profile.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from netdoc.platforms import ProfileError, load_profiles, register_section

CONFIG_CHANGED, LINK_CHANGED = "config_changed", "link_changed"
KINDS = (CONFIG_CHANGED, LINK_CHANGED)
_OID = re.compile(r"\d+(?:\.\d+)+")


@dataclass(frozen=True)
class EventRules:
    config_changed: tuple[re.Pattern[str], ...] = ()
    link_changed: tuple[re.Pattern[str], ...] = ()
    config_traps: tuple[str, ...] = ()

    def classify(self, text: str) -> str:
        """"config_changed", "link_changed" or "" for a syslog message's text."""
        if any(p.search(text) for p in self.config_changed):
            return CONFIG_CHANGED
        if any(p.search(text) for p in self.link_changed):
            return LINK_CHANGED
        return ""


def parse_events_section(section: Any, where: str) -> EventRules:
    if not isinstance(section, dict):
        raise ProfileError(f"{where}: expected a mapping of config_changed, link_changed, "
                           f"config_traps")
    unknown = set(section) - {"config_changed", "link_changed", "config_traps"}
    if unknown:
        raise ProfileError(f"{where}: unknown keys {sorted(unknown)} (known: config_changed, "
                           f"link_changed, config_traps)")
    patterns: dict[str, tuple[re.Pattern[str], ...]] = {}
    for kind in KINDS:
        values = section.get(kind) or []
        if not isinstance(values, list):
            raise ProfileError(f"{where}.{kind}: expected a list of regexes")
        compiled = []
        for value in values:
            try:
                compiled.append(re.compile(str(value)))
            except re.error as exc:
                raise ProfileError(f"{where}.{kind}: {value!r} is not a valid regex: "
                                   f"{exc}") from None
        patterns[kind] = tuple(compiled)
    traps = section.get("config_traps") or []
    if not isinstance(traps, list) or not all(_OID.fullmatch(str(t).strip(".")) for t in traps):
        raise ProfileError(f"{where}.config_traps: expected a list of dotted OIDs")
    return EventRules(config_changed=patterns[CONFIG_CHANGED],
                      link_changed=patterns[LINK_CHANGED],
                      config_traps=tuple(str(t).strip(".") for t in traps))


register_section("events", parse_events_section)


def rules_for(platform: str) -> EventRules:
    """The event rules of a platform (netdoc profile name, alias or netmiko driver, with
    an optional :VARIANT); every profile's rules together when it is unknown or has none."""
    if platform:
        from netdoc.backup.platforms import resolve

        try:
            profile, _, _ = resolve(platform)
        except Exception:  # noqa: BLE001 - an odd platform value means "unknown"
            profile = None
        rules = profile.sections.get("events") if profile is not None else None
        if isinstance(rules, EventRules):
            return rules
    return all_rules()


@lru_cache(maxsize=1)
def all_rules() -> EventRules:
    found = [p.sections["events"] for p in load_profiles().values()
             if isinstance(p.sections.get("events"), EventRules)]
    return EventRules(
        config_changed=tuple(dict.fromkeys(x for r in found for x in r.config_changed)),
        link_changed=tuple(dict.fromkeys(x for r in found for x in r.link_changed)),
        config_traps=tuple(dict.fromkeys(x for r in found for x in r.config_traps)))
