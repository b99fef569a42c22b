"""A profile's `snmp:` section: identification extras read over SNMP.

    snmp:
      get:                       # fields from vendor MIB scalars or ENTITY-MIB; first
        serial: '1.3.6.1.4.1.14988.1.1.7.3.0'              # non-empty wins
        model: [{oid: '1.3.6.1.4.1.2636.3.1.2.0', regex: '^Juniper (.+)'}, {entity: model}]
        version: {oid: '{sysObjectID}.1.2.0', format: hex}  # relative to the sysObjectID
      models: {'1.3.6.1.4.1.9.1.359': WS-C2950T-24}         # sysObjectID -> model name
      ports: [{name: COLUMN-OID, descr: OID, oper: OID, number: index|rows|packed, offset: 0,
               label: 'NAME-{1}/{2}'}]
      fdb_per_vlan: true         # read BRIDGE-MIB once per VLAN (Cisco IOS / IOS-XE)

Part of the one profile loader (netdoc.platforms): checked and parsed when the
profiles load; netdoc.discover.identify uses the parsed rules (`SnmpRules`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from netdoc.errors import ProfileError

FIELDS = ("vendor", "os", "version", "model", "serial")  # what identification fills in
# the ENTITY-MIB chassis fields a rule may read (netdoc.discover.identify.Chassis)
ENTITY_FIELDS = ("descr", "name", "hardware_rev", "firmware_rev", "software_rev", "serial",
                 "manufacturer", "model")

@dataclass(frozen=True)
class ScalarRule:
    """One source for a field: a scalar OID or an ENTITY-MIB chassis field, maybe via a regex."""

    oid: str = ""  # numeric, or SYS_OBJECT_ID_REF + ".suffix": under the device's sysObjectID
    entity: str = ""  # a Chassis field name, e.g. software_rev
    regex: re.Pattern[str] | None = None
    requires: str = ""  # generic table only: an OID that must have answered
    format: str = ""  # "mac" / "hex": an OCTET STRING of bytes shown as a MAC / hex digits
    column: bool = False  # `oid` is a table column: the poller stores its first row under it
    own_row: bool = False  # column, `row: own`: the row indexed by one of the device's MACs

    def oid_for(self, sys_object_id: str) -> str:
        """The OID to GET for a device with this sysObjectID ('' if it cannot be built)."""
        if not self.oid.startswith(SYS_OBJECT_ID_REF):
            return self.oid
        base = sys_object_id.strip(".")
        return f"{base}{self.oid[len(SYS_OBJECT_ID_REF):]}" if NUMERIC_OID.fullmatch(base) else ""


@dataclass(frozen=True)
class PortTable:
    """A vendor table whose rows are ports IF-MIB does not list (a profile's `snmp.ports`):
    DPDK routers, optical shelves, radios that list their peers as ports."""

    name: str  # column OID: every row with a name is a port
    descr: str = ""  # column OID, optional
    oper: str = ""  # column OID, optional: 1 = up
    number: str = "index"  # "index": ifIndex = row index + offset; "rows": offset + position;
    # "packed": a multi-part index (shelf.slot.subslot.port.subport) as one number, each part
    # three decimal digits (1.1.0.3.0 -> 1001000003000), + offset
    offset: int = 0
    label: str = ""  # a name made of the index parts, "100gbe-{1}/{2}/{4}" ({1} = the
    # first part), for tables that hold no name: then `name` is any column every row has

    def if_index(self, index: tuple[int, ...], position: int) -> int | None:
        """The ifIndex netdoc gives the row with this index, at this position (from 0)."""
        if self.number == "rows":
            return self.offset + position
        if self.number == "packed":
            if not index or any(not 0 <= part < 1000 for part in index):
                return None
            return self.offset + int("".join(f"{part:03d}" for part in index))
        return self.offset + index[0] if len(index) == 1 else None

    def port_name(self, index: tuple[int, ...], value: str) -> str:
        """The port's name: the label filled with the index parts, else the name column's."""
        if not self.label:
            return value
        parts = {str(number): str(part) for number, part in enumerate(index, start=1)}
        return re.sub(r"\{([0-9]+)\}", lambda m: parts.get(m.group(1), "?"), self.label)


@dataclass(frozen=True)
class SnmpRules:
    """A profile's `snmp:` section (documented in this module's docstring)."""

    get: dict[str, tuple[ScalarRule, ...]] = field(default_factory=dict)
    fdb_per_vlan: bool = False
    models: dict[str, str] = field(default_factory=dict)
    ports: tuple[PortTable, ...] = ()

    def oids(self, sys_object_id: str = "") -> list[str]:
        """The OIDs the `get` rules read on a device with this sysObjectID."""
        found = {rule.oid_for(sys_object_id) for rules in self.get.values() for rule in rules
                 if rule.oid and not rule.column}
        return sorted(oid for oid in found if oid)

    def columns(self, sys_object_id: str = "") -> list[str]:
        """The table columns whose first row the `get` rules read (walked, not GET)."""
        found = {rule.oid_for(sys_object_id) for rules in self.get.values() for rule in rules
                 if rule.column}
        return sorted(oid for oid in found if oid)

    def own_row_columns(self, sys_object_id: str = "") -> set[str]:
        """The columns read at the row indexed by the device's own MAC first (`row: own`:
        a cluster's member table, this member's row), else at their first row with data."""
        return {rule.oid_for(sys_object_id) for rules in self.get.values() for rule in rules
                if rule.column and rule.own_row}


def _scalar_rules(value: Any, where: str) -> tuple[ScalarRule, ...]:
    items = value if isinstance(value, list) else [value]
    rules = []
    for item in items:
        if isinstance(item, str):
            rules.append(ScalarRule(oid=_rule_oid(item, where)))
            continue
        if not isinstance(item, dict) or \
                sum(key in item for key in ("oid", "entity", "column")) != 1:
            raise ProfileError(f"{where}: expected an OID, {{oid:, regex:}}, "
                               f"{{column:, regex:}} or {{entity:, regex:}}, got {item!r}")
        unknown = set(item) - {"oid", "entity", "column", "regex", "format", "row"}
        if unknown:
            raise ProfileError(f"{where}: unknown keys {sorted(unknown)} (expected oid, column "
                               f"or entity, and regex, format, row)")
        if "row" in item and (item["row"] != "own" or "column" not in item):
            raise ProfileError(f"{where}: 'row: own' goes with a column (the row of the "
                               f"device's own MAC), got {item!r}")
        if item.get("format", "") not in VALUE_FORMATS:
            raise ProfileError(f"{where}: format must be one of {sorted(VALUE_FORMATS)}, not "
                               f"{item['format']!r}")
        if "entity" in item and item["entity"] not in ENTITY_FIELDS:
            raise ProfileError(f"{where}: entity field must be one of "
                               f"{sorted(ENTITY_FIELDS)}, not {item['entity']!r}")
        oid = _rule_oid(item["oid"], where) if "oid" in item else \
            _rule_oid(item["column"], where) if "column" in item else ""
        rules.append(ScalarRule(oid=oid, entity=str(item.get("entity", "")),
                                regex=compile_rule_regex(item.get("regex"), where),
                                format=str(item.get("format", "")), column="column" in item,
                                own_row=item.get("row") == "own"))
    return tuple(rules)


NUMERIC_OID = re.compile(r"[0-9]+(\.[0-9]+)+")
SYS_OBJECT_ID_REF = "{sysObjectID}"
VALUE_FORMATS = {"", "mac", "hex"}


def _rule_oid(value: Any, where: str) -> str:
    """A rule's OID: numeric, or '{sysObjectID}.SUFFIX' (relative to the device's own)."""
    oid = str(value).strip()
    if oid.startswith(SYS_OBJECT_ID_REF):
        rest = oid[len(SYS_OBJECT_ID_REF):]
        if not re.fullmatch(r"(\.[0-9]+)+", rest):
            raise ProfileError(f"{where}: {value!r}: write {SYS_OBJECT_ID_REF}.SUFFIX with a "
                               f"numeric suffix, e.g. '{SYS_OBJECT_ID_REF}.1.2.0'")
        return oid
    if not NUMERIC_OID.fullmatch(oid.strip(".")):
        raise ProfileError(f"{where}: {value!r} is not a numeric OID (or "
                           f"'{SYS_OBJECT_ID_REF}.SUFFIX')")
    return oid.strip(".")


def compile_rule_regex(pattern: Any, where: str) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(str(pattern))
    except re.error as exc:
        raise ProfileError(f"{where}: invalid regex {pattern!r}: {exc}") from None


def parse_snmp_section(section: Any, where: str) -> SnmpRules:
    """Check and parse a profile's `snmp:` section (the profile loader calls this at load;
    `where` is "FILE: snmp")."""
    section = section or {}
    if not isinstance(section, dict):
        raise ProfileError(f"{where}: expected a mapping, got {section!r}")
    unknown = set(section) - {"get", "fdb_per_vlan", "models", "ports"}
    if unknown:
        raise ProfileError(f"{where}: unknown keys {sorted(unknown)} (known: fdb_per_vlan, "
                           f"get, models, ports)")
    get = {str(name): _scalar_rules(value, f"{where}.get.{name}")
           for name, value in (section.get("get") or {}).items()}
    bad = set(get) - set(FIELDS)
    if bad:
        raise ProfileError(f"{where}.get: fields must be among {FIELDS}, not {sorted(bad)}")
    models = section.get("models") or {}
    if not isinstance(models, dict):
        raise ProfileError(f"{where}.models: expected a mapping sysObjectID -> model")
    for oid, model in models.items():
        if not NUMERIC_OID.fullmatch(str(oid).strip(".")) or not isinstance(model, (str, int, float)):
            raise ProfileError(f"{where}.models: {oid!r}: expected 'sysObjectID: model name'")
    return SnmpRules(get=get, fdb_per_vlan=bool(section.get("fdb_per_vlan", False)),
                     models={str(k).strip("."): str(v) for k, v in models.items()},
                     ports=_port_tables(section.get("ports"), f"{where}.ports"))


def _port_tables(value: Any, where: str) -> tuple[PortTable, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ProfileError(f"{where}: expected a list of {{name:, descr:, oper:, number:, "
                           f"offset:}}")
    tables = []
    for number, item in enumerate(value):
        at = f"{where}[{number}]"
        if not isinstance(item, dict) or "name" not in item:
            raise ProfileError(f"{at}: expected {{name: COLUMN-OID, ...}}, got {item!r}")
        unknown = set(item) - {"name", "descr", "oper", "number", "offset", "label"}
        if unknown:
            raise ProfileError(f"{at}: unknown keys {sorted(unknown)} (known: name, descr, "
                               f"oper, number, offset, label)")
        if item.get("number", "index") not in ("index", "rows", "packed"):
            raise ProfileError(f"{at}: number must be 'index', 'rows' or 'packed', not "
                               f"{item['number']!r}")
        if not isinstance(item.get("offset", 0), int):
            raise ProfileError(f"{at}: offset must be a whole number, not {item['offset']!r}")
        columns = {key: _rule_oid(item[key], f"{at}.{key}") if item.get(key) else ""
                   for key in ("name", "descr", "oper")}
        if any(oid.startswith(SYS_OBJECT_ID_REF) for oid in columns.values()):
            raise ProfileError(f"{at}: port table columns are numeric OIDs")
        tables.append(PortTable(**columns, number=str(item.get("number", "index")),
                                offset=int(item.get("offset", 0)),
                                label=str(item.get("label") or "")))
    return tuple(tables)
