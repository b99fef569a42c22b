"""Config facts: what a stored configuration says, as typed data.

    backup stage stores <site>/<device>.cfg
        -> facts_for(config, platform)          pick the parser the profile names
        -> netdoc.facts.<family>.parse_*(text)  one module per platform family
        -> DeviceFacts (netdoc.facts.model)     interfaces, VLANs, routes, neighbours,
                                                DHCP, VPNs, rules, NAT, management
        -> <site>/<device>.facts.yaml           in the same commit (netdoc.facts.store)
        -> describe_changes(old, new)           plain-words changes (netdoc.facts.changes)

Which parser reads a platform's config is profile data: the profile's top-level
`parser:` key names an entry of `PARSERS`. The parsers read masked configs and
never copy a key, password, hash or community into the facts.
"""
from __future__ import annotations

import importlib
from typing import Callable

from netdoc.facts.model import DeviceFacts, FactsError, from_yaml, to_yaml

Parser = Callable[[str], DeviceFacts]

# parser name -> "module:function" (imported on first use)
PARSERS: dict[str, str] = {
    "cisco_ios": "netdoc.facts.cisco:parse_ios",
    "cisco_asa": "netdoc.facts.cisco:parse_asa",
    "fortios": "netdoc.facts.fortios:parse_fortios",
    "pfsense": "netdoc.facts.pfsense:parse_pfsense",
    "routeros": "netdoc.facts.routeros:parse_routeros",
    "junos": "netdoc.facts.junos:parse_junos",
    "panos": "netdoc.facts.panos:parse_panos",
    "sonicos": "netdoc.facts.sonicos:parse_sonicos",
    "sophos": "netdoc.facts.sophos:parse_sophos",
    "procurve": "netdoc.facts.procurve:parse_procurve",
    "aoscx": "netdoc.facts.procurve:parse_aoscx",
}


def parser_named(name: str) -> Parser:
    target = PARSERS.get(name)
    if target is None:
        raise FactsError(f"no facts parser named {name!r}; known: {', '.join(sorted(PARSERS))}")
    module, _, function = target.partition(":")
    parser: Parser = getattr(importlib.import_module(module), function)
    return parser


def parser_for_platform(platform: str) -> str:
    """The facts parser the platform's profile names, '' when it names none."""
    from netdoc.platforms import profile_named

    profile = profile_named(platform.split(":", 1)[0]) if platform else None
    return getattr(profile, "parser", "") if profile is not None else ""


def extract(text: str, parser: str) -> DeviceFacts:
    """Facts of one config text. Any failure inside a parser is a FactsError."""
    try:
        return parser_named(parser)(text)
    except FactsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop a backup
        raise FactsError(f"the {parser} facts parser failed: {exc.__class__.__name__}: "
                         f"{str(exc)[:200]}") from None


def facts_for(text: str, platform: str) -> DeviceFacts | None:
    """Facts of a stored config of `platform`; None when no parser covers it."""
    parser = parser_for_platform(platform)
    return extract(text, parser) if parser else None


__all__ = ["DeviceFacts", "FactsError", "PARSERS", "extract", "facts_for", "from_yaml",
           "parser_for_platform", "parser_named", "to_yaml"]
