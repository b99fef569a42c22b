"""Config changes in plain words: compare two DeviceFacts, say what changed.

    describe_changes(old, new) -> ["firewall policy 12 added: wan1 → internal,
                                    all → rdp-server, RDP (tcp/3389), allow", ...]

Each kind of record has a key (a VLAN's id, a rule's id, a VPN's name) and a
one-line summary; a record whose key appears only in the new facts was added,
only in the old removed, in both with another summary changed. Interface VLAN
membership is described per VLAN ("VLAN 30 (VoIP) added to Gi1/0/24"), the
management plane per setting. The line diff stays the exact record; this is the
summary a technician reads first.
"""
from __future__ import annotations

from typing import Any, Callable

from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Neighbor, Route,
                                Rule, Vlan, Vpn)

ARROW = "→"
LIMIT = 200   # changes listed per device; the rest are counted


def _join(values: list[str]) -> str:
    return ", ".join(values) if values else "any"


def rule_summary(rule: Rule) -> str:
    zones = f"{rule.source_zone or 'any'} {ARROW} {rule.destination_zone or 'any'}: " \
        if rule.source_zone or rule.destination_zone else ""
    text = (f"{zones}{_join(rule.sources)} {ARROW} {_join(rule.destinations)} "
            f"{_join(rule.services)} {rule.action}")
    if not rule.enabled:
        text += " (disabled)"
    if rule.applied_to:
        text += f" [{rule.applied_to}]"
    return text


def _rule_title(rule: Rule) -> str:
    kind = "firewall policy" if rule.kind == "policy" else "ACL entry"
    named = f" ({rule.name})" if rule.name and not rule.id.startswith(rule.name) \
        and rule.kind == "policy" else ""   # 'inside_in:1' names its access list already
    return f"{kind} {rule.id}{named}"


def nat_summary(nat: NatRule) -> str:
    parts = []
    if nat.kind == "destination":
        parts.append(f"{nat.destination or 'any'} {nat.service}".strip()
                     + f" {ARROW} {nat.translated_destination} {nat.translated_service}".rstrip())
    else:
        parts.append(f"{nat.source or 'any'} {ARROW} {nat.translated_source or 'unchanged'}")
        if nat.destination and nat.destination != "any":
            parts.append(f"to {nat.destination}")
    if nat.interface:
        parts.append(f"on {nat.interface}")
    if not nat.enabled:
        parts.append("(disabled)")
    return " ".join(parts)


def vpn_summary(vpn: Vpn) -> str:
    parts = [vpn.kind]
    if vpn.peer:
        parts.append(f"peer {vpn.peer}")
    if vpn.local_subnets or vpn.remote_subnets:
        parts.append(f"{_join(vpn.local_subnets)} {ARROW} {_join(vpn.remote_subnets)}")
    if vpn.pool:
        parts.append(f"pool {vpn.pool}")
    if vpn.crypto:
        parts.append(f"({vpn.crypto})")
    if not vpn.enabled:
        parts.append("(disabled)")
    return " ".join(parts)


def _vpn_title(vpn: Vpn) -> str:
    if vpn.kind == "site-to-site" and vpn.peer:
        return f"VPN peer {vpn.peer}" + (f" ({vpn.name})" if vpn.name != vpn.peer else "")
    return f"VPN {vpn.name}"


def _route_summary(route: Route) -> str:
    via = " ".join(x for x in (f"via {route.gateway}" if route.gateway else "",
                               f"dev {route.interface}" if route.interface else "") if x)
    return via + (f" distance {route.distance}" if route.distance is not None else "")


def _dhcp_summary(scope: DhcpScope) -> str:
    return " ".join(x for x in (scope.network, _join(scope.ranges) if scope.ranges else "",
                                f"gateway {scope.gateway}" if scope.gateway else "",
                                f"DNS {_join(scope.dns_servers)}" if scope.dns_servers else "")
                    if x)


def _interface_summary(iface: Interface) -> str:
    return " ".join(x for x in (_join(iface.addresses) if iface.addresses else "",
                                f"zone {iface.zone}" if iface.zone else "",
                                "" if iface.enabled else "(shut down)") if x)


class _Kind:
    """How one kind of record is named (title), matched (key) and said (summary).

    `content`, for kinds whose ids a parser may number by position (an IOS numbered ACL's
    entries, `ip nat` lines): records with the same content in both facts are the same
    record whatever their ids, so one line inserted is one addition, not a cascade of
    "changed" for every record after it. Only what is left is matched by key."""

    def __init__(self, title: Callable[[Any], str], key: Callable[[Any], str],
                 summary: Callable[[Any], str],
                 content: Callable[[Any], str] | None = None) -> None:
        self.title = title
        self.key = key
        self.summary = summary
        self.content = content


KINDS: list[tuple[str, _Kind]] = [
    ("vlans", _Kind(lambda v: f"VLAN {v.id}" + (f" ({v.name})" if v.name else ""),
                    lambda v: str(v.id), lambda v: v.name)),
    ("interfaces", _Kind(lambda i: f"interface {i.name}", lambda i: i.name,
                         _interface_summary)),
    ("routes", _Kind(lambda r: f"route {r.destination}",
                     lambda r: f"{r.destination}|{r.gateway}|{r.interface}", _route_summary)),
    ("neighbors", _Kind(lambda n: f"{n.protocol.upper()} neighbour {n.address}",
                        lambda n: f"{n.protocol}|{n.address}",
                        lambda n: " ".join(x for x in (f"AS {n.remote_as}" if n.remote_as
                                                       else "", f"area {n.area}" if n.area
                                                       else "", n.description) if x))),
    ("dhcp", _Kind(lambda d: f"DHCP scope {d.name}", lambda d: d.name, _dhcp_summary)),
    ("vpns", _Kind(_vpn_title, lambda v: f"{v.kind}|{v.peer or v.name}", vpn_summary)),
    ("rules", _Kind(_rule_title, lambda r: f"{r.kind}|{r.id}", rule_summary,
                    content=lambda r: f"{r.kind}|{r.name}|{rule_summary(r)}")),
    ("nat", _Kind(lambda n: f"NAT rule {n.id}", lambda n: n.id, nat_summary,
                  content=lambda n: f"{n.kind}|{nat_summary(n)}")),
]


def _unmatched(old: list[Any], new: list[Any], content: Callable[[Any], str]) \
        -> tuple[list[Any], list[Any]]:
    """The records of each side whose content the other side does not also have (as a
    multiset: two identical entries on one side need two on the other)."""
    left: dict[str, list[Any]] = {}
    for record in old:
        left.setdefault(content(record), []).append(record)
    added = []
    for record in new:
        same = left.get(content(record))
        if same:
            same.pop(0)
        else:
            added.append(record)
    leftover = {id(x) for rest in left.values() for x in rest}
    return [r for r in old if id(r) in leftover], added



def _records(kind: str, facts: DeviceFacts) -> list[Any]:
    value: list[Any] = getattr(facts, kind)
    return value


def describe_changes(old: DeviceFacts | None, new: DeviceFacts) -> list[str]:
    """Plain-words changes from `old` to `new` facts (old None: nothing to compare)."""
    if old is None:
        return []
    out: list[str] = []
    if old.hostname != new.hostname and old.hostname and new.hostname:
        out.append(f"host name changed: {old.hostname} {ARROW} {new.hostname}")
    if old.default_gateway != new.default_gateway:
        out.append(f"default gateway changed: {old.default_gateway or 'none'} {ARROW} "
                   f"{new.default_gateway or 'none'}")
    for kind, spec in KINDS:
        old_records, new_records = _records(kind, old), _records(kind, new)
        if spec.content is not None:
            old_records, new_records = _unmatched(old_records, new_records, spec.content)
        before = {spec.key(r): r for r in old_records}
        after = {spec.key(r): r for r in new_records}
        for key, record in after.items():
            if key not in before:
                detail, title = spec.summary(record), spec.title(record)
                out.append(f"{title} added" + (f": {detail}" if detail and detail not in title
                                               else ""))
            elif spec.summary(before[key]) != spec.summary(record):
                out.append(f"{spec.title(record)} changed: {spec.summary(before[key]) or '-'} "
                           f"{ARROW} {spec.summary(record) or '-'}")
        for key, record in before.items():
            if key not in after:
                out.append(f"{spec.title(record)} removed")
    out += _memberships(old, new)
    out += _management(old, new)
    if len(out) > LIMIT:
        out = out[:LIMIT] + [f"... and {len(out) - LIMIT} more changes"]
    return out


def _memberships(old: DeviceFacts, new: DeviceFacts) -> list[str]:
    """'VLAN 30 (VoIP) added to Gi1/0/24' for each port that gained or lost a VLAN."""
    names = {v.id: v.name for v in old.vlans}
    names.update({v.id: v.name for v in new.vlans})

    def label(vid: int) -> str:
        return f"VLAN {vid}" + (f" ({names[vid]})" if names.get(vid) else "")

    def members(facts: DeviceFacts) -> dict[str, set[int]]:
        return {i.name: set(i.tagged_vlans) | ({i.access_vlan} if i.access_vlan is not None
                                                and i.mode != "routed" else set())
                for i in facts.interfaces}

    before, after = members(old), members(new)
    out = []
    for name in after.keys() & before.keys():
        for vid in sorted(after[name] - before[name]):
            out.append(f"{label(vid)} added to {name}")
        for vid in sorted(before[name] - after[name]):
            out.append(f"{label(vid)} removed from {name}")
    return sorted(out)


def _management(old: DeviceFacts, new: DeviceFacts) -> list[str]:
    out = []
    a, b = old.management, new.management
    for field_name, title in (("aaa_servers", "AAA server"), ("ntp_servers", "NTP server"),
                              ("syslog_servers", "syslog server"),
                              ("dns_servers", "DNS server"), ("snmp_versions", "SNMP"),
                              ("snmp_hosts", "SNMP host"), ("local_users", "local user"),
                              ("access", "management access")):
        before, after = getattr(a, field_name), getattr(b, field_name)
        out += [f"{title} {x} added" for x in after if x not in before]
        out += [f"{title} {x} removed" for x in before if x not in after]
    for service in ("ssh", "https", "http", "telnet"):
        x, y = getattr(a, service), getattr(b, service)
        if x is not None and y is not None and x != y:
            out.append(f"{service} {'enabled' if y else 'disabled'}")
    return out


__all__ = ["describe_changes", "rule_summary", "nat_summary", "vpn_summary", "Neighbor"]
