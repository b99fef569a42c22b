"""Identification: what a device is, from what SNMP says about itself.

Inputs are plain facts (sysObjectID, sysDescr, the ENTITY-MIB chassis row, the
LLDP capabilities it advertises, and vendor scalars its profile asks for);
the output is vendor, os, version, model, serial, role and the netdoc platform
(profile name). All vendor knowledge lives in netdoc/profiles/*.yaml; this
module only applies it:

1. the profile: the best-scoring one whose `match` rules hit (see `score`);
2. each field: the profile's `snmp.get` rules (vendor MIB scalars or ENTITY-MIB
   chassis fields, optionally through a regex), then its `extract` regex on
   sysDescr, then the ENTITY-MIB chassis row, then the profile's vendor/os;
   the first non-empty value wins (placeholders like "<private>" do not count);
3. the role: the profile's `roles` regexes on sysDescr, then the profile's
   role, then the LLDP capabilities the device advertises, else "unknown".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from netdoc.profiles import (PROFILE_DIR, Profile, ProfileError, load_profiles,
                             register_section)
from netdoc.snmp.values import SnmpValue, text

FIELDS = ("vendor", "os", "version", "model", "serial")
PLACEHOLDER_VALUES = {"", "<private>", "unknown", "n/a", "none", "not available", "0",
                      "ffffffffffff", "123456789", "default string", "to be filled by o.e.m."}

# LLDP system capability bits (IEEE 802.1AB lldpSysCapEnabled), most telling first
LLDP_CAPABILITY_BITS = {0: "other", 1: "repeater", 2: "bridge", 3: "wlan-ap", 4: "router",
                        5: "telephone", 6: "docsis", 7: "station"}
_ROLE_BY_CAPABILITY = (("router", "router"), ("wlan-ap", "wireless"), ("telephone", "phone"),
                       ("bridge", "switch"), ("station", "endpoint"))


@dataclass
class Chassis:
    """The ENTITY-MIB entPhysicalTable row of the chassis (class 3)."""

    descr: str = ""
    name: str = ""
    hardware_rev: str = ""
    firmware_rev: str = ""
    software_rev: str = ""
    serial: str = ""
    manufacturer: str = ""
    model: str = ""


@dataclass
class Facts:
    sys_object_id: str = ""
    sys_descr: str = ""
    sys_name: str = ""
    chassis: Chassis = field(default_factory=Chassis)
    lldp_capabilities: list[str] = field(default_factory=list)
    scalars: dict[str, SnmpValue] = field(default_factory=dict)  # the profile's snmp.get OIDs


@dataclass
class Identification:
    vendor: str = ""
    os: str = ""
    version: str = ""
    model: str = ""
    serial: str = ""
    role: str = "unknown"
    platform: str = ""


# ---------------------------------------------------------------- profile `snmp:` section

@dataclass(frozen=True)
class ScalarRule:
    """One source for a field: a scalar OID or an ENTITY-MIB chassis field, maybe via a regex."""

    oid: str = ""
    entity: str = ""  # a Chassis field name, e.g. software_rev
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True)
class SnmpRules:
    """A profile's `snmp:` section (documented in netdoc/profiles/__init__.py)."""

    get: dict[str, tuple[ScalarRule, ...]] = field(default_factory=dict)
    fdb_per_vlan: bool = False

    def oids(self) -> list[str]:
        return sorted({rule.oid for rules in self.get.values() for rule in rules if rule.oid})


def _scalar_rules(value: Any, where: str) -> tuple[ScalarRule, ...]:
    items = value if isinstance(value, list) else [value]
    rules = []
    for item in items:
        if isinstance(item, str):
            rules.append(ScalarRule(oid=item.strip(".")))
            continue
        if not isinstance(item, dict) or not ("oid" in item) ^ ("entity" in item):
            raise ProfileError(f"{where}: expected an OID, {{oid:, regex:}} or "
                               f"{{entity:, regex:}}, got {item!r}")
        if "entity" in item and item["entity"] not in Chassis.__dataclass_fields__:
            raise ProfileError(f"{where}: entity field must be one of "
                               f"{sorted(Chassis.__dataclass_fields__)}, not {item['entity']!r}")
        try:
            regex = re.compile(item["regex"]) if item.get("regex") else None
        except re.error as exc:
            raise ProfileError(f"{where}: invalid regex {item['regex']!r}: {exc}") from None
        rules.append(ScalarRule(oid=str(item.get("oid", "")).strip("."),
                                entity=str(item.get("entity", "")), regex=regex))
    return tuple(rules)


def snmp_rules(profile_name: str) -> SnmpRules:
    rules = load_profiles()[profile_name].sections.get("snmp")
    return rules if isinstance(rules, SnmpRules) else SnmpRules()


def parse_snmp_section(section: Any, where: str) -> SnmpRules:
    """Check and parse a profile's `snmp:` section (the profile loader calls this at load;
    `where` is "FILE: snmp")."""
    section = section or {}
    if not isinstance(section, dict):
        raise ProfileError(f"{where}: expected a mapping, got {section!r}")
    unknown = set(section) - {"get", "fdb_per_vlan"}
    if unknown:
        raise ProfileError(f"{where}: unknown keys {sorted(unknown)}")
    get = {str(name): _scalar_rules(value, f"{where}.get.{name}")
           for name, value in (section.get("get") or {}).items()}
    bad = set(get) - set(FIELDS)
    if bad:
        raise ProfileError(f"{where}.get: fields must be among {FIELDS}, not {sorted(bad)}")
    return SnmpRules(get=get, fdb_per_vlan=bool(section.get("fdb_per_vlan", False)))


register_section("snmp", parse_snmp_section)  # the profile loader validates snmp: at load


# ---------------------------------------------------------------- matching

def _oid_prefix_length(sys_object_id: str, prefix: str) -> int:
    """Sub-identifiers of `prefix` matched by `sys_object_id` (0 = no match)."""
    oid = sys_object_id.strip(".")
    prefix = prefix.strip(".") if not prefix.endswith(".") else prefix.lstrip(".")
    if prefix.endswith("."):
        hit = oid.startswith(prefix)
    else:
        hit = oid == prefix or oid.startswith(prefix + ".")
    return len(prefix.strip(".").split(".")) if hit else 0


def score(profile: Profile, sys_object_id: str, sys_descr: str) -> int:
    """How well a profile fits (0 = not at all).

    A sysDescr pattern hit counts most, then the length of the matching
    sysObjectID prefix; `priority` breaks ties between profiles that hit alike.
    A profile that has sysDescr patterns *and* sysObjectID prefixes needs only
    one of them to hit; `not_sys_descr` rules it out whatever else matched.
    """
    rules = profile.match
    if any(p.search(sys_descr) for p in rules.not_sys_descr):
        return 0
    oid_hit = max((_oid_prefix_length(sys_object_id, p) for p in rules.sys_object_id), default=0)
    descr_hit = any(p.search(sys_descr) for p in rules.sys_descr)
    if not oid_hit and not descr_hit:
        return 0
    return (100 if descr_hit else 0) + oid_hit + 1000 * rules.priority + 1


def match_profile(sys_object_id: str, sys_descr: str) -> Profile | None:
    best: tuple[int, str] = (0, "")
    for name, profile in load_profiles().items():
        points = score(profile, sys_object_id, sys_descr)
        if points > best[0] or (points == best[0] and points and name < best[1]):
            best = (points, name)
    return load_profiles()[best[1]] if best[0] else None


# ---------------------------------------------------------------- fields

def _usable(value: str) -> str:
    value = " ".join(value.split())
    return "" if value.lower() in PLACEHOLDER_VALUES else value


def _groups(pattern: re.Pattern[str], value: str) -> str:
    """The regex's capture groups that matched, joined by a space (whole match if none)."""
    found = pattern.search(value)
    if not found:
        return ""
    if not found.groups():
        return _usable(found.group(0))
    return _usable(" ".join(g for g in found.groups() if g))


def _from_rules(rules: tuple[ScalarRule, ...], facts: Facts) -> str:
    for rule in rules:
        raw = getattr(facts.chassis, rule.entity) if rule.entity else \
            text(facts.scalars.get(rule.oid))
        value = _groups(rule.regex, raw) if rule.regex is not None else _usable(raw)
        if value:
            return value
    return ""


def _from_sys_descr(profile: Profile, name: str, sys_descr: str) -> str:
    pattern = profile.extract.get(name)
    return _groups(pattern, sys_descr) if pattern is not None else ""


def _from_chassis(name: str, chassis: Chassis) -> str:
    if name == "model":
        return _usable(chassis.model)
    if name == "serial":
        return _usable(chassis.serial)
    if name == "version":
        return _usable(chassis.software_rev) or _usable(chassis.firmware_rev)
    return ""


def decode_capabilities(bits: SnmpValue | None) -> list[str]:
    """LLDP capability BITS (first octet, MSB = bit 0) -> names."""
    if not isinstance(bits, bytes) or not bits:
        return []
    first = bits[0]
    return [name for bit, name in LLDP_CAPABILITY_BITS.items() if first & (0x80 >> bit)]


def _role(profile: Profile | None, facts: Facts) -> str:
    if profile is not None:
        for pattern, role in profile.roles:
            if pattern.search(facts.sys_descr):
                return role
        if profile.role and profile.role != "unknown":
            return profile.role
    for capability, role in _ROLE_BY_CAPABILITY:
        if capability in facts.lldp_capabilities:
            return role
    return "unknown"


def identify(facts: Facts) -> Identification:
    profile = match_profile(facts.sys_object_id, facts.sys_descr)
    found = Identification(role=_role(profile, facts))
    rules = snmp_rules(profile.name) if profile else SnmpRules()
    for name in FIELDS:
        value = _from_rules(rules.get.get(name, ()), facts)
        if not value and profile is not None:
            value = _from_sys_descr(profile, name, facts.sys_descr)
        if not value:
            value = _from_chassis(name, facts.chassis)
        if not value and profile is not None and name in ("vendor", "os"):
            value = getattr(profile, name)
        setattr(found, name, value)
    if not found.vendor:
        found.vendor = _usable(facts.chassis.manufacturer)
    found.platform = profile.name if profile else ""
    return found


def profile_path(name: str) -> Path:
    return PROFILE_DIR / load_profiles()[name].source
