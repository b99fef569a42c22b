"""The typed facts of one device's configuration, and their stable YAML form.

    DeviceFacts  <- a family parser (netdoc.facts.<family>) reads a stored config
    to_yaml()    -> <site>/<device>.facts.yaml next to the .cfg in the config repo
    from_yaml()  <- the previous facts, to describe what changed (netdoc.facts.changes)

Every list is sorted and every empty value left out, so the file only changes when
the device's configuration means something else. No field holds a secret: the
parsers never read key, password, hash or community values, and `to_yaml` refuses
any value that still looks masked or secret (belt and braces).
"""
from __future__ import annotations

import ipaddress
import re
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

import yaml

from netdoc.errors import NetdocError

# The facts file's format. Bump it when a parser's output changes: the backup stage
# skips reading an unchanged config whose facts file has the current format.
FORMAT = 2   # 2: IOS zone-based firewall rules, SonicOS 6.x forms and built-in objects


class FactsError(NetdocError):
    """A configuration could not be turned into facts (that device's facts only)."""


@dataclass
class Interface:
    name: str
    description: str = ""
    addresses: list[str] = field(default_factory=list)   # "192.0.2.1/24"
    access_vlan: int | None = None
    tagged_vlans: list[int] = field(default_factory=list)
    mode: str = ""          # access | trunk | routed | ""
    zone: str = ""          # nameif / security zone / interface role (wan, lan)
    enabled: bool = True
    dhcp_client: bool = False


@dataclass
class Vlan:
    id: int
    name: str = ""


@dataclass
class Route:
    destination: str        # "0.0.0.0/0"
    gateway: str = ""
    interface: str = ""
    distance: int | None = None


@dataclass
class Neighbor:
    protocol: str           # bgp | ospf | rip | eigrp
    address: str = ""       # neighbour address, or the network for OSPF/RIP/EIGRP
    remote_as: str = ""
    area: str = ""
    description: str = ""


@dataclass
class DhcpScope:
    name: str
    network: str = ""
    ranges: list[str] = field(default_factory=list)   # "192.0.2.100-192.0.2.199"
    gateway: str = ""
    dns_servers: list[str] = field(default_factory=list)
    interface: str = ""


@dataclass
class Vpn:
    name: str
    kind: str = "site-to-site"          # site-to-site | remote-access | wireguard (an instance)
    peer: str = ""
    local_subnets: list[str] = field(default_factory=list)
    remote_subnets: list[str] = field(default_factory=list)
    crypto: str = ""                    # proposal / transform set / IKE version, as named
    pool: str = ""                      # remote-access address pool
    interface: str = ""
    enabled: bool = True


@dataclass
class Rule:
    id: str                             # policy number or rule name, ACL "name:line"
    kind: str = "policy"                # policy (firewall) | acl
    name: str = ""
    source_zone: str = ""               # "from": interface, zone or chain
    destination_zone: str = ""          # "to"
    sources: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)   # "tcp/3389", "any", object names
    action: str = ""                    # allow | deny | reject | other words as given
    enabled: bool = True
    applied_to: str = ""                # where an ACL is bound ("outside in")
    comment: str = ""


@dataclass
class NatRule:
    id: str
    kind: str = "source"                # source | destination (port forward) | static
    interface: str = ""
    source: str = ""
    destination: str = ""
    service: str = ""
    translated_source: str = ""
    translated_destination: str = ""
    translated_service: str = ""
    enabled: bool = True
    comment: str = ""


@dataclass
class Management:
    aaa_servers: list[str] = field(default_factory=list)   # "tacacs+ 198.51.100.60"
    ntp_servers: list[str] = field(default_factory=list)
    syslog_servers: list[str] = field(default_factory=list)
    dns_servers: list[str] = field(default_factory=list)
    snmp_versions: list[str] = field(default_factory=list)   # v1 | v2c | v3 (no communities)
    snmp_hosts: list[str] = field(default_factory=list)      # trap receivers / allowed pollers
    local_users: list[str] = field(default_factory=list)     # names only, never hashes
    ssh: bool | None = None
    https: bool | None = None
    http: bool | None = None
    telnet: bool | None = None
    access: list[str] = field(default_factory=list)   # "ssh from 192.0.2.0/24 (inside)"


@dataclass
class DeviceFacts:
    parser: str
    hostname: str = ""
    domain: str = ""
    interfaces: list[Interface] = field(default_factory=list)
    vlans: list[Vlan] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    default_gateway: str = ""
    neighbors: list[Neighbor] = field(default_factory=list)
    dhcp: list[DhcpScope] = field(default_factory=list)
    vpns: list[Vpn] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    nat: list[NatRule] = field(default_factory=list)
    management: Management = field(default_factory=Management)
    notes: list[str] = field(default_factory=list)   # what the parser could not read

    def finish(self) -> "DeviceFacts":
        """Sort, de-duplicate, derive the default gateway from a default route."""
        if not self.default_gateway:
            for route in self.routes:
                if route.destination in ("0.0.0.0/0", "::/0") and route.gateway:
                    self.default_gateway = route.gateway
                    break
        _normalise(self)
        return self


# ---------------------------------------------------------------- sorting & serialising

# the order a list of records is kept in: a number-aware sort on these fields
_ORDER: dict[type, tuple[str, ...]] = {
    Interface: ("name",), Vlan: ("id",), Route: ("destination", "gateway", "interface"),
    Neighbor: ("protocol", "address"), DhcpScope: ("name", "network"), Vpn: ("name", "peer"),
    NatRule: ("id",),
}
# rules keep their configured order within a kind (order decides what matches first)
_KEEP_ORDER = {Rule}
_ALWAYS = {"id", "name", "kind"}
_MASKED = re.compile(r"<masked[:>]")


def natural_key(text: str) -> tuple[Any, ...]:
    """'Gi1/0/10' after 'Gi1/0/9'; addresses in numeric order."""
    try:
        return (0, int(ipaddress.ip_network(text, strict=False).network_address),
                ipaddress.ip_network(text, strict=False).prefixlen)
    except ValueError:
        pass
    return (1,) + tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                        for part in re.split(r"(\d+)", text) if part)


def _record_key(item: Any) -> tuple[Any, ...]:
    names = _ORDER.get(type(item), ())
    return tuple(natural_key(str(getattr(item, n) if getattr(item, n) is not None else ""))
                 for n in names)


def _normalise(obj: Any) -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            _normalise(value)
        elif isinstance(value, list):
            for item in value:
                if is_dataclass(item):
                    _normalise(item)
            if value and all(isinstance(v, (str, int)) for v in value):
                unique = list(dict.fromkeys(value))
                if f.name not in ("sources", "destinations", "services", "ranges"):
                    unique.sort(key=lambda v: natural_key(str(v)))
                setattr(obj, f.name, unique)
            elif value and is_dataclass(value[0]) and type(value[0]) not in _KEEP_ORDER:
                value.sort(key=_record_key)


def _plain(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in fields(obj):
            value = _plain(getattr(obj, f.name))
            if value in (None, "", [], {}):
                continue
            if f.default is not MISSING and value == f.default and f.name not in _ALWAYS:
                continue   # a default (enabled: true, dhcp_client: false) goes unsaid
            out[f.name] = value
        return out
    if isinstance(obj, list):
        return [v for v in (_plain(v) for v in obj) if v not in ("", None)]
    if isinstance(obj, str):
        return "" if _MASKED.search(obj) else obj   # a masked secret never becomes a fact
    return obj


# libyaml's emitter when PyYAML has it: the same text as the pure-Python one, 8x faster
# (200 devices' files are written while the backup holds the repository lock)
SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_dict(facts: DeviceFacts) -> dict[str, Any]:
    data = _plain(facts)
    data.pop("parser", None)
    return {"format": FORMAT, "parser": facts.parser, **data}


def to_yaml(facts: DeviceFacts) -> str:
    """The facts file's text: keys in model order, lists sorted, empty values left out."""
    return yaml.dump(to_dict(facts), Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=200)


def _build(kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return None if value is None else _build(options[0], value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_build(item, v) for v in (value or [])]
    if isinstance(kind, type) and is_dataclass(kind):
        if not isinstance(value, dict):
            raise FactsError(f"expected a mapping for {kind.__name__}, got {value!r:.60}")
        hints = typing.get_type_hints(kind)
        known = {f.name for f in fields(kind)}
        return kind(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    return value


def from_dict(data: Any) -> DeviceFacts:
    if not isinstance(data, dict) or "parser" not in data:
        raise FactsError("not a facts file (no parser key)")
    body = {k: v for k, v in data.items() if k != "format"}
    facts: DeviceFacts = _build(DeviceFacts, body)
    return facts


def from_yaml(text: str) -> DeviceFacts:
    try:
        return from_dict(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise FactsError(f"facts file is not valid YAML: {exc}") from None
