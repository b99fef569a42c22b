"""Identification: what a device is, from what SNMP says about itself.

Inputs are plain facts (sysObjectID, sysDescr, the ENTITY-MIB chassis row, the
LLDP capabilities it advertises, and the vendor scalars the poller read); the
output is vendor, os, version, model, serial, role and the netdoc platform
(profile name). Vendor knowledge is data: netdoc/platforms/*.yaml (one file per
platform) and the generic chain's tables in netdoc/data/ (identify.yaml: vendor
MIB scalars and sysDescr patterns; enterprises.tsv.gz + vendors.yaml: the IANA
enterprise registry and one spelling per vendor). This module only applies it:

1. the profile: the best-scoring one whose `match` rules hit (see `score`);
2. version, model, serial: the first usable value of
   a. the profile's `snmp.get` rules (vendor MIB scalars or ENTITY-MIB chassis
      fields, optionally through a regex),
   b. the profile's `extract` regex on sysDescr,
   c. the profile's `snmp.models` table (exact sysObjectID -> model name; model only),
   d. the generic chain, used when the profile says nothing (or no profile matched):
      ENTITY-MIB's chassis row (ModelName, SerialNum, SoftwareRev/FirmwareRev; for the
      model also entPhysicalName/Descr when they read like a model number, else a short
      chassis description without its "Chassis"), then the
      vendor MIB scalars of netdoc/data/identify.yaml, then its sysDescr patterns;
   "Usable" excludes placeholders ("<private>", "unknown", "0", "FFFFFFFF", ...);
3. vendor: the profile's vendor, else the IANA enterprise of sysObjectID, else
   ENTITY-MIB's MfgName, else a vendor of the alias table named in sysDescr, all in
   canonical spelling (netdoc.discover.vendors). A generic
   profile (match.priority <= 5: linux, printer, windows ...) describes an OS, not a
   maker, so for it the enterprise number's vendor, MfgName and a vendor named in
   sysDescr come first;
4. os: the profile's os (the `snmp.get`/`extract` os rules first);
5. role: the profile's `roles` regexes on sysDescr, then the profile's role, then
   the LLDP capabilities the device advertises, else "unknown".

`identify_neighbor(neighbor)` does the same for a device seen only in a switch's
LLDP/CDP table (phones, access points, cameras without SNMP): LLDP-MED inventory first,
then the profiles' sysDescr rules applied to the neighbour's system description, the
role from its advertised capabilities.

Profile keys read here (the `snmp:` section; the loader in netdoc/profiles validates
it through `parse_snmp_section`):

    snmp:
      get:                 # field -> OID | [OID | {oid:, regex:} | {entity:, regex:}, ...]
        model: [{oid: '1.3.6.1.4.1.2636.3.1.2.0', regex: '^Juniper (.+)'}, {entity: model}]
        serial: '1.3.6.1.4.1.14988.1.1.7.3.0'
        version: {entity: software_rev, regex: '^V(\\S+)'}   # entity fields: the Chassis
                           # dataclass below (descr, name, model, serial, software_rev, ...)
        serial: {oid: '1.3.6.1.4.1.368.4.1.1.1.0', format: hex}  # format: an OCTET STRING
                           # holding a MAC shown as 00408C123456 (hex) or 00:40:8c:12:34:56 (mac)
        model: {oid: '{sysObjectID}.1.2.0'}  # an OID under the device's own sysObjectID
                           # (per-model MIB subtrees): '{sysObjectID}' + a numeric suffix
        serial: {column: '1.3.6.1.4.1.31034.12.1.1.2.1.1.1.6'}  # a table column: the value
                           # of its first row with data (units kept in a table whose index
                           # differs per device: daisy-chained PDUs, a CMTS's own row)
        serial: {column: '1.3.6.1.4.1.14823.2.3.3.1.2.1.1.4', row: own}  # the row indexed
                           # by one of the device's own MACs (a cluster's member table: this
                           # member's row), else the first row with data
      models:              # exact sysObjectID -> model, for agents whose only model
        '1.3.6.1.4.1.9.1.359': WS-C2950T-24     # statement is the sysObjectID itself
      fdb_per_vlan: true   # read BRIDGE-MIB per VLAN (Cisco community@vlan / v3 context)
      ports:               # vendor port tables, for agents whose IF-MIB leaves ports out
        - name: '1.3.6.1.4.1.57344.1.2.6.1.20'  # column: each row with a name is a port
          descr: '...'     # optional columns: description, oper status (1 = up)
          oper: '...'
          number: index    # ifIndex = the row's index + offset (index), or offset + the
          offset: 1000     # row's position in the table, first row 0 (rows)
                           # IF-MIB's own row of an ifIndex always wins over a vendor row

The `match:` section (netdoc/profiles) may also name OIDs, for appliances that share
net-snmp's sysObjectID and a plain "Linux host 4.19 ..." sysDescr with every Linux box
(Synology, MobileIron, Unitrends ...): the vendor MIB that answers tells them apart.

    match:
      sys_object_id: ['1.3.6.1.4.1.21865.']        # the usual ways in still work
      oid_present: ['1.3.6.1.4.1.6574.1.5.1.0']    # or: one of these OIDs answers a GET,
      oid_value: {'1.3.6.1.4.1.21865.1.6.1.0': '^U|^80[0-9]{2}'}  # or one value matches

The OID conditions are a second way in, taken only by a device behind a generic agent
(its sysObjectID names no maker: net-snmp, ucd-snmp, a chip vendor's tree, none; see
`generic_agent`); it counts as a sysDescr hit would, so a vendor profile (priority 10)
outranks the generic Linux one. For any other device a holding condition only weighs
among the profiles its sysObjectID or sysDescr already fits (sibling products of one
maker sharing a sysObjectID: ZoneDirector and Unleashed). The poller GETs those
profiles' condition OIDs in its one round of scalar GETs (`match_oids`), and the chosen
profile's `snmp.get` OIDs it did not ask yet right after. Conditions name exact
instances (a scalar's .0, a table cell): they are read with GET, never walked.

Every OID a profile names in `snmp.get` is read in the poller's one round of GETs (24
varbinds a request, sent together), with the generic scalars of the device's enterprise
and the standard MIBs (`scalar_oids`). A profile for a platform (not an OS) should have
match.priority >= 6, so that its vendor outranks the enterprise number's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from netdoc.models import normalise_mac
from netdoc.platforms import PROFILE_DIR, MatchRules, Profile, ProfileError, load_profiles
from netdoc.platforms.snmp import FIELDS as FIELDS
from netdoc.platforms.snmp import NUMERIC_OID as _OID
from netdoc.platforms.snmp import SYS_OBJECT_ID_REF as SYS_OBJECT_ID_REF
from netdoc.platforms.snmp import VALUE_FORMATS as VALUE_FORMATS
from netdoc.platforms.snmp import PortTable as PortTable
from netdoc.platforms.snmp import ScalarRule as ScalarRule
from netdoc.platforms.snmp import SnmpRules as SnmpRules
from netdoc.platforms.snmp import compile_rule_regex as _compile
from netdoc.platforms.snmp import parse_snmp_section as parse_snmp_section
from netdoc.discover.products import hardware_class, product_name
from netdoc.discover.snmp.values import SnmpValue, text
from netdoc.discover.vendors import (canonical_vendor, enterprise_number, vendor_from_sys_object_id,
                            vendor_named_in)

PLACEHOLDER_VALUES = {"", "<private>", "unknown", "n/a", "na", "none", "null", "not available",
                      "not specified", "not set", "0", "-", ".", "ffffffffffff", "123456789",
                      "1234567890", "default string", "to be filled by o.e.m.",
                      "system serial number", "serial number", "serialnumber",
                      "system product name", "1234567", "12345678", "123456",
                      "sample description", "device-description", "unspecified", "undefined",
                      "no such object", "nosuchobject", "nosuchinstance"}
_REPEATED = re.compile(r"^(.)\1{3,}$")  # 0000000, FFFFFFFF, xxxxxx: filler, not data
GENERIC_PRIORITY = 5  # a profile at or below this priority describes an OS, not a maker
GENERIC_DATA = Path(__file__).resolve().parents[1] / "data" / "identify.yaml"

# LLDP system capability bits (IEEE 802.1AB lldpSysCapEnabled), most telling first
LLDP_CAPABILITY_BITS = {0: "other", 1: "repeater", 2: "bridge", 3: "wlan-ap", 4: "router",
                        5: "telephone", 6: "docsis", 7: "station"}
_ROLE_BY_CAPABILITY = (("router", "router"), ("wlan-ap", "wireless"), ("telephone", "phone"),
                       ("bridge", "switch"), ("station", "endpoint"))


@dataclass
class Chassis:
    """The ENTITY-MIB entPhysicalTable row that stands for the device (see choose_chassis)."""

    descr: str = ""
    name: str = ""
    hardware_rev: str = ""
    firmware_rev: str = ""
    software_rev: str = ""
    serial: str = ""
    manufacturer: str = ""
    model: str = ""


@dataclass
class EntityRow:
    """What the poller knows of one entPhysicalTable row when choosing the chassis."""

    index: int
    phys_class: int = 0
    contained_in: int = -1  # -1: not read


CHASSIS_CLASS, STACK_CLASS = 3, 11


def chassis_candidates(rows: list[EntityRow], limit: int = 4) -> list[int]:
    """entPhysicalIndexes worth reading for the chassis, best first.

    A chassis(3) or stack(11) row at the top (entPhysicalContainedIn 0) first, then the
    other chassis rows, lowest index first. Without any chassis row (an agent or a trimmed
    walk that leaves entPhysicalClass out) the roots of the containment tree come first:
    rows contained in 0, and containers other rows name but that have no ContainedIn
    value of their own (the top row the trim dropped from that column); then the
    lowest-index rows (the first with a serial or model will stand for the device).
    """
    tops = [r for r in rows if r.phys_class in (CHASSIS_CLASS, STACK_CLASS) and
            r.contained_in in (0, -1)]
    # a stack's members are chassis rows inside it: their serials are the real ones
    tops.sort(key=lambda r: (r.phys_class == STACK_CLASS, r.index))
    others = sorted((r for r in rows if r.phys_class in (CHASSIS_CLASS, STACK_CLASS) and
                     r not in tops), key=lambda r: r.index)
    chosen = [r.index for r in tops + others]
    if not chosen:
        known = {r.index for r in rows}
        roots = {r.index for r in rows if r.contained_in == 0} | \
            {r.contained_in for r in rows if r.contained_in > 0 and r.contained_in not in known}
        chosen = sorted(roots) + sorted(known - roots)
    return chosen[:limit]


# "SN:DH80092734", "Serial Number: A1B2C3": a label, a separator, a value with a digit in it
# (not "Serial Interface 0/1", a port's description)
_SERIAL_IN_TEXT = re.compile(r"(?i)\b(?:s/?n|serial[ _-]?(?:number|no\.?|num)?)\s*[:#=]\s*"
                             r"(?=[A-Z0-9-]*[0-9])([A-Z0-9][A-Z0-9-]{3,})\b")


def serial_in_descriptions(rows: list[Chassis]) -> str:
    """A serial number some agents write into entPhysicalDescr instead of its own column
    ("SSR 8020 backplane SN:DH80092734 Rev:R3L ..."): the first row's that holds one."""
    for row in rows:
        value = _groups(_SERIAL_IN_TEXT, row.descr)
        if value:
            return value
    return ""


def pick_chassis(candidates: list[Chassis]) -> Chassis:
    """The first candidate row with a usable serial or model, else the first whose name or
    description reads like a model (a stack row "Stack" gives way to its member chassis
    "AT-8000S/24"), else the first row."""
    for row in candidates:
        if usable(row.serial) or usable(row.model):
            return row
    for row in candidates:
        if looks_like_model(row.name) or looks_like_model(row.descr) or \
                chassis_description_model(row.descr):
            return row
    return candidates[0] if candidates else Chassis()


def fill_chassis(chassis: Chassis, board: Chassis) -> Chassis:
    """The chassis row with what it lacks taken from a board under it (a stack whose
    serial and part name sit on the member's base board): empty fields are filled, and
    a name or description that names no model gives way to the board's."""
    filled = Chassis(**{name: getattr(chassis, name) or getattr(board, name)
                        for name in Chassis.__dataclass_fields__})
    if not looks_like_model(chassis.name):
        filled.name = board.name or chassis.name
    if not chassis_description_model(chassis.descr) and not looks_like_model(chassis.descr):
        filled.descr = board.descr or chassis.descr
    return filled


@dataclass
class Facts:
    sys_object_id: str = ""
    sys_descr: str = ""
    sys_name: str = ""
    chassis: Chassis = field(default_factory=Chassis)
    lldp_capabilities: list[str] = field(default_factory=list)
    scalars: dict[str, SnmpValue] = field(default_factory=dict)  # profile + generic scalars


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
# Checked and parsed by the one profile loader (netdoc.platforms.snmp); used here.

def snmp_rules(profile_name: str) -> SnmpRules:
    return load_profiles()[profile_name].snmp


# ---------------------------------------------------------------- the generic chain's data

@dataclass(frozen=True)
class GenericRules:
    """netdoc/data/identify.yaml: vendor MIB scalars and sysDescr patterns."""

    scalars: dict[str, tuple[tuple[int | None, ScalarRule], ...]]  # field -> (enterprise, rule)
    sys_descr: dict[str, tuple[re.Pattern[str], ...]]
    sys_descr_ignore: tuple[re.Pattern[str], ...] = ()

    def descr_for_patterns(self, sys_descr: str) -> str:
        for pattern in self.sys_descr_ignore:
            sys_descr = pattern.sub(" ", sys_descr)
        return sys_descr

    def oids(self, sys_object_id: str) -> list[str]:
        """The scalars worth asking this device for: standard MIBs and its enterprise's."""
        wanted = {rule.oid for rules in self.scalars.values() for enterprise, rule in rules
                  if asked_of(enterprise, sys_object_id)}
        wanted |= {rule.requires for rules in self.scalars.values() for _e, rule in rules
                   if rule.requires}
        return sorted(wanted)


GENERIC_AGENT = -1  # identify.yaml `enterprise: generic`: devices whose sysObjectID names no maker


def asked_of(enterprise: int | None, sys_object_id: str) -> bool:
    """A generic scalar is asked of this device: a standard MIB's (None), its enterprise's,
    or, for `enterprise: generic`, any device behind a generic agent (`generic_agent`)."""
    if enterprise is None:
        return True
    if enterprise == GENERIC_AGENT:
        return generic_agent(sys_object_id)
    return enterprise == enterprise_number(sys_object_id)


@lru_cache(maxsize=1)
def generic_rules() -> GenericRules:
    where = f"{GENERIC_DATA.name}"
    data = yaml.safe_load(GENERIC_DATA.read_text(encoding="utf-8")) or {}
    scalars: dict[str, list[tuple[int | None, ScalarRule]]] = {}
    for number, entry in enumerate(data.get("scalars") or []):
        at = f"{where}: scalars[{number}]"
        if entry.get("field") not in ("model", "serial", "version") or \
                not _OID.fullmatch(str(entry.get("oid", "")).strip(".")):
            raise ProfileError(f"{at}: needs field (model/serial/version) and a numeric oid")
        enterprise = entry.get("enterprise")
        if enterprise == "generic":
            enterprise = GENERIC_AGENT
        elif enterprise is not None and not isinstance(enterprise, int):
            raise ProfileError(f"{at}: enterprise must be a number or 'generic', not "
                               f"{enterprise!r}")
        rule = ScalarRule(oid=str(entry["oid"]).strip("."), regex=_compile(entry.get("regex"), at),
                          requires=str(entry.get("requires") or "").strip("."))
        scalars.setdefault(entry["field"], []).append(
            (int(enterprise) if enterprise is not None else None, rule))
    patterns = {str(name): tuple(re.compile(p) for p in values or [])
                for name, values in (data.get("sys_descr") or {}).items()}
    return GenericRules(scalars={k: tuple(v) for k, v in scalars.items()}, sys_descr=patterns,
                        sys_descr_ignore=tuple(re.compile(p) for p in
                                               data.get("sys_descr_ignore") or []))


def scalar_oids(profile: Profile | None, sys_object_id: str,
                sys_descr: str | None = None) -> list[str]:
    """Every scalar identification may use for this device: one GET batch for the poller.

    With `sys_descr`, also what the profiles with OID conditions that could fit this
    device need (`match_oids`), so that one round of GETs serves matching as well."""
    wanted = set(generic_rules().oids(sys_object_id))
    if profile is not None:
        wanted |= set(snmp_rules(profile.name).oids(sys_object_id))
    if sys_descr is not None:
        wanted |= set(match_oids(sys_object_id, sys_descr))
    return sorted(wanted)


def generic_agent(sys_object_id: str) -> bool:
    """True when the sysObjectID names no maker: net-snmp's or ucd-snmp's tree, a chip
    vendor's reference firmware, none at all (netdoc/data/vendors.yaml, `enterprises`)."""
    return not vendor_from_sys_object_id(sys_object_id)


def match_oids(sys_object_id: str, sys_descr: str = "") -> list[str]:
    """The OIDs to GET before the profile can be chosen: for a device behind a generic
    agent (`generic_agent`), every profile's `oid_present`/`oid_value` OIDs; for any
    other device only those of the profiles its sysObjectID or sysDescr already fits
    (sibling products of one maker that share a sysObjectID, told apart by their MIB)."""
    generic = generic_agent(sys_object_id)
    return sorted({oid for profile in load_profiles().values()
                   if profile.match.oid_conditions() and
                   (generic or score(profile, sys_object_id, sys_descr))
                   for oid in (*profile.match.oid_present,
                               *(oid for oid, _regex in profile.match.oid_value))})


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
    """How well a profile fits (0 = not at all), before its OID conditions are checked.

    A sysDescr pattern hit counts most, then the length of the matching
    sysObjectID prefix; `priority` breaks ties between profiles that hit alike.
    A profile that has sysDescr patterns *and* sysObjectID prefixes needs only
    one of them to hit; `not_sys_descr` rules it out whatever else matched.
    OID conditions (`oid_present`, `oid_value`) are a second way in, for devices
    behind a generic agent only: see `match_profile`.
    """
    rules = profile.match
    if any(p.search(sys_descr) for p in rules.not_sys_descr):
        return 0
    oid_hit = max((_oid_prefix_length(sys_object_id, p) for p in rules.sys_object_id), default=0)
    descr_hit = any(p.search(sys_descr) for p in rules.sys_descr)
    if not oid_hit and not descr_hit:
        return 0
    return (100 if descr_hit else 0) + oid_hit + 1000 * rules.priority + 1


def oid_conditions_hold(rules: MatchRules, scalars: dict[str, SnmpValue] | None) -> bool:
    """One of a profile's OID conditions holds: an `oid_present` OID answered, or an
    `oid_value` OID's value matches its regex. False without conditions or scalars."""
    if not scalars:
        return False
    return any(oid in scalars for oid in rules.oid_present) or \
        any(oid in scalars and regex.search(text(scalars[oid])) for oid, regex in rules.oid_value)


_MATCHED: dict[tuple[str, str], tuple[int, str]] = {}  # (sysObjectID, sysDescr) -> best
_MATCHED_FROM: list[dict[str, Profile]] = []  # the profile set those answers came from


def _best_by_system(sys_object_id: str, sys_descr: str) -> tuple[int, str]:
    """The best (score, profile name) by sysObjectID and sysDescr; (0, '') when none fits."""
    profiles = load_profiles()
    if not _MATCHED_FROM or _MATCHED_FROM[0] is not profiles or len(_MATCHED) > 4096:
        _MATCHED.clear()
        _MATCHED_FROM[:] = [profiles]
    key = (sys_object_id, sys_descr)
    if key not in _MATCHED:
        best: tuple[int, str] = (0, "")
        for name, profile in profiles.items():
            points = score(profile, sys_object_id, sys_descr)
            if points > best[0] or (points == best[0] and points and name < best[1]):
                best = (points, name)
        _MATCHED[key] = best
    return _MATCHED[key]


def match_profile(sys_object_id: str, sys_descr: str,
                  scalars: dict[str, SnmpValue] | None = None) -> Profile | None:
    """The best-fitting profile.

    Two ways in: the sysObjectID/sysDescr rules (`score`), and, for a device behind a
    generic agent (`generic_agent`: net-snmp on a Linux appliance), a profile's OID
    conditions holding on `scalars` (what the poller's GET round read, `match_oids`),
    which counts as a sysDescr hit would (priority first). For any other device the
    conditions only weigh among the profiles its sysObjectID or sysDescr already fits:
    one holding counts as a sysDescr hit would (a ZoneDirector and an Unleashed AP share
    a sysObjectID; the ZoneDirector MIB answering "ZD..." says which one it is)."""
    profiles = load_profiles()
    best = _best_by_system(sys_object_id, sys_descr)
    if scalars:
        generic = generic_agent(sys_object_id)
        for name, profile in profiles.items():
            rules = profile.match
            if not rules.oid_conditions() or not oid_conditions_hold(rules, scalars) or \
                    any(p.search(sys_descr) for p in rules.not_sys_descr):
                continue
            fits = score(profile, sys_object_id, sys_descr)
            if generic:
                points = max(fits, 100 + 1000 * rules.priority + 1)
            elif fits:
                points = fits if any(p.search(sys_descr) for p in rules.sys_descr) else \
                    fits + 100
            else:
                continue
            if points > best[0] or (points == best[0] and name < best[1]):
                best = (points, name)
    return profiles[best[1]] if best[0] else None


# ---------------------------------------------------------------- fields

def usable(value: str) -> str:
    """The value with spaces tidied, or '' when it is a placeholder rather than data."""
    value = " ".join(value.split()).strip()
    lowered = value.lower()
    if lowered in PLACEHOLDER_VALUES or _REPEATED.match(lowered.replace(" ", "")):
        return ""
    return value


_usable = usable  # the name older callers know


def _groups(pattern: re.Pattern[str], value: str) -> str:
    """The regex's capture groups that matched, joined by a space (whole match if none)."""
    found = pattern.search(value)
    if not found:
        return ""
    if not found.groups():
        return usable(found.group(0))
    return usable(" ".join(g for g in found.groups() if g))


def formatted(value: SnmpValue | None, how: str) -> str:
    """A scalar as text; `how` "mac" shows 6 octets as 00:40:8c:12:34:56, "hex" as
    00408C123456 (an OCTET STRING that holds a MAC, e.g. an Axis camera's serial number).
    A value the agent already sent as text ("00:40:8C:12:34:56") is normalised alike."""
    if not how or value is None:
        return text(value)
    mac = normalise_mac(value) if isinstance(value, bytes) and len(value) == 6 else \
        normalise_mac(text(value))
    if not mac:
        if isinstance(value, bytes) and any(b < 0x20 or b > 0x7e for b in value.rstrip(b"\0")):
            return value.hex().upper() if how == "hex" else ""  # binary, but no MAC
        return text(value)
    return mac if how == "mac" else mac.replace(":", "").upper()


def _rule_value(rule: ScalarRule, facts: Facts) -> str:
    if rule.requires and rule.requires not in facts.scalars:
        return ""
    raw = getattr(facts.chassis, rule.entity) if rule.entity else \
        formatted(facts.scalars.get(rule.oid_for(facts.sys_object_id)), rule.format)
    return _groups(rule.regex, raw) if rule.regex is not None else usable(raw)


def _from_rules(rules: tuple[ScalarRule, ...], facts: Facts) -> str:
    for rule in rules:
        value = _rule_value(rule, facts)
        if value:
            return value
    return ""


def _from_sys_descr(profile: Profile, name: str, sys_descr: str) -> str:
    pattern = profile.extract.get(name)
    return _groups(pattern, sys_descr) if pattern is not None else ""


_MODEL_LIKE = re.compile(r"^(?=.*[0-9])(?=(?:.*[A-Za-z]){2})[\w][\w\-+/.() ]{1,38}$")
_NOT_A_MODEL = re.compile(r"(?i)\b(chassis|system|unit|slot|module|board|port|stack|cpu|"
                          r"processor|fan|power|supply|container|backplane|sensor|shelf|"
                          r"gigabit|ethernet|interface|card|rack|switch|router)\b|"
                          r"[0-9]+/[0-9]+|^[0-9.]+\s*[a-z]{0,3}$")


def looks_like_model(value: str) -> str:
    """entPhysicalName/Descr as a model: short, letters and digits, at most 4 words, not a
    description of a part ("Chassis", "Slot 1", "Fan Tray")."""
    value = usable(value)
    if not value or len(value.split()) > 4 or not _MODEL_LIKE.match(value):
        return ""
    return "" if _NOT_A_MODEL.search(value) else value


_CHASSIS_WORDS = re.compile(r"(?i)[\s,-]*\b(chassis|system|series)\b\s*$")


def chassis_description_model(descr: str) -> str:
    """A chassis row's entPhysicalDescr as the model when nothing better is known:
    "Aruba 8325 1-slot Chassis" -> "Aruba 8325 1-slot"; only a short description with a
    number in it (a product line, not "Linux chassis" or a sentence)."""
    value = usable(descr)
    previous = None
    while previous != value:
        previous, value = value, _CHASSIS_WORDS.sub("", value).strip()
    if not value or len(value.split()) > 6 or len(value) > 48 or not re.search(r"[0-9]", value):
        return ""
    if all(_PART_WORD.fullmatch(word) or word.isdigit() for word in value.split()):
        return ""  # "Unit 1", "Port 3 Unit 1": a part and its number, no product name
    return value


_PART_WORD = re.compile(r"(?i)chassis|system|unit|slot|module|board|port|stack|member|"
                        r"container|shelf|rack|card")


_HEX_ID = re.compile(r"(?i)^0x[0-9a-f]+$")  # a board ID number, not a model name
_DOTTED_NUMBER = re.compile(r"^v?[0-9]+(\.[0-9]+)+$")  # "4.4.2": a release, not a model name


def _from_chassis(name: str, chassis: Chassis) -> str:
    if name == "model":
        model = usable(chassis.model)
        return "" if _HEX_ID.match(model) or _DOTTED_NUMBER.match(model) else model
    if name == "serial":
        return usable(chassis.serial)
    if name == "version":
        return usable(chassis.software_rev) or usable(chassis.firmware_rev)
    return ""


def _generic(name: str, facts: Facts) -> str:
    """The generic chain for one field: ENTITY-MIB, vendor MIB scalars, sysDescr patterns."""
    rules = generic_rules()
    value = _from_chassis(name, facts.chassis)
    for enterprise, rule in rules.scalars.get(name, ()):
        if value:
            break
        if asked_of(enterprise, facts.sys_object_id):
            value = _rule_value(rule, facts)
    if not value and name == "model":
        value = looks_like_model(facts.chassis.name) or looks_like_model(facts.chassis.descr) \
            or chassis_description_model(facts.chassis.descr)
    descr = rules.descr_for_patterns(facts.sys_descr) if not value else ""
    for pattern in rules.sys_descr.get(name, ()):
        if value:
            break
        value = _groups(pattern, descr)
    if not value and name == "model":  # netdoc.discover.products: the vendor's PRODUCTS-MIB name of
        # the sysObjectID, else the machine class an OS names ("Generic x86 64-bit")
        value = product_name(facts.sys_object_id) or hardware_class(facts.sys_descr)
    return value


_BITS_AS_TEXT = re.compile(rb"\s*([0-9A-Fa-f]{2})(?:\s+[0-9A-Fa-f]{1,2})*\s*")


def decode_capabilities(bits: SnmpValue | None) -> list[str]:
    """LLDP capability BITS (first octet, MSB = bit 0) -> names.

    Walks recorded with net-snmp tools hold BITS as net-snmp prints them, "39 2 3 4 7"
    (the octets in hex, then the bit numbers): that text is read by its first octet."""
    if not isinstance(bits, bytes) or not bits:
        return []
    looks_printed = len(bits) > 2 or (len(bits) == 2 and bits[1] != 0)  # raw: 2nd octet 0
    as_text = _BITS_AS_TEXT.fullmatch(bits) if looks_printed else None
    first = int(as_text.group(1), 16) if as_text else bits[0]
    return [name for bit, name in LLDP_CAPABILITY_BITS.items() if first & (0x80 >> bit)]


def role_from_capabilities(capabilities: list[str]) -> str:
    for capability, role in _ROLE_BY_CAPABILITY:
        if capability in capabilities:
            return role
    return "unknown"


def _role(profile: Profile | None, facts: Facts) -> str:
    if profile is not None:
        for pattern, role in profile.roles:
            if pattern.search(facts.sys_descr):
                return role
        if profile.role and profile.role != "unknown":
            return profile.role
    return role_from_capabilities(facts.lldp_capabilities)


def _vendor(profile: Profile | None, rules: SnmpRules, facts: Facts) -> str:
    from_profile = _from_rules(rules.get.get("vendor", ()), facts)
    if not from_profile and profile is not None:
        from_profile = _from_sys_descr(profile, "vendor", facts.sys_descr) or profile.vendor
    from_enterprise = vendor_from_sys_object_id(facts.sys_object_id)
    from_entity = usable(facts.chassis.manufacturer)
    generic = profile is None or profile.match.priority <= GENERIC_PRIORITY
    named = vendor_named_in(facts.sys_descr)
    order = (from_enterprise, from_entity, named, from_profile) if generic else \
        (from_profile, from_enterprise, from_entity, named)
    for candidate in order:
        if usable(candidate):
            return canonical_vendor(usable(candidate))
    return ""


def identify(facts: Facts) -> Identification:
    profile = match_profile(facts.sys_object_id, facts.sys_descr, facts.scalars)
    found = Identification(role=_role(profile, facts))
    rules = snmp_rules(profile.name) if profile else SnmpRules()
    for name in ("version", "model", "serial", "os"):
        value = _from_rules(rules.get.get(name, ()), facts)
        if not value and profile is not None:
            value = _from_sys_descr(profile, name, facts.sys_descr)
        if not value and name == "model":
            value = rules.models.get(facts.sys_object_id.strip("."), "")
        if not value and name == "os":
            value = profile.os if profile is not None else ""
        elif not value:
            value = _generic(name, facts)
        setattr(found, name, value)
    found.vendor = _vendor(profile, rules, facts)
    found.platform = profile.name if profile else ""
    return found


def identify_neighbor(neighbor: Any) -> Identification:
    """What a switch's LLDP/CDP table says about a neighbour, as an identification: for
    endpoints that answer no SNMP (phones, access points, cameras). Uses the LLDP-MED
    inventory, the advertised capabilities and the profiles' sysDescr rules applied to
    the neighbour's system description (its platform string for CDP/FDP).

    `neighbor` is a netdoc.models.Neighbor."""
    descr = str(neighbor.remote_platform or "")
    profile = match_profile("", descr) if descr else None
    facts = Facts(sys_descr=descr, lldp_capabilities=list(neighbor.remote_capabilities))
    found = Identification(platform=profile.name if profile else "")
    found.role = role_from_capabilities(facts.lldp_capabilities)
    if found.role in ("unknown", "switch", "endpoint") and profile is not None and \
            profile.role not in ("", "unknown"):
        found.role = profile.role
    software = str(neighbor.remote_software or "")
    from_med = bool(neighbor.remote_med_class or neighbor.remote_model)
    for name, announced in (("model", neighbor.remote_model), ("serial", neighbor.remote_serial),
                            ("version", software if from_med else "")):
        value = usable(str(announced or ""))
        if not value and profile is not None:  # a CDP/FDP version string reads like a sysDescr
            value = _from_sys_descr(profile, name, descr) or \
                (_from_sys_descr(profile, name, software) if name == "version" else "")
        if not value and name == "version" and software:
            value = next((v for v in (_groups(p, software) for p in
                                      generic_rules().sys_descr.get("version", ())) if v), "")
        setattr(found, name, value)
    vendor = usable(str(neighbor.remote_manufacturer or "")) or \
        (profile.vendor if profile is not None and profile.match.priority > GENERIC_PRIORITY
         else "") or vendor_named_in(descr)
    found.vendor = canonical_vendor(vendor)
    found.os = profile.os if profile is not None else ""
    return found


def profile_path(name: str) -> Path:
    return PROFILE_DIR / load_profiles()[name].source
