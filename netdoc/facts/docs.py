"""Client documentation from config facts: the site's docs.html.

    config_backups/<client>/**/<device>.facts.yaml  -> load_client_facts()
        -> client_docs(): addressing plan, VLAN table, VPN table, firewall and NAT
           tables per device, what is exposed to the internet, management settings
           with their inconsistencies flagged
        -> render_docs() -> site/docs.html (netdoc/templates/docs.html.j2)

Everything here is derived from the facts files the backup stage commits; a facts
file that cannot be read is skipped with a note on the page.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdoc.facts.changes import nat_summary
from netdoc.facts.model import DeviceFacts, FactsError, Rule, from_yaml, natural_key
from netdoc.facts.store import SUFFIX

# zone, interface role or nameif words that mean "the internet side"
WAN = re.compile(r"(?i)^(?:nat )?(?:wan\d*|outside|untrust|internet|external|isp\S*)$")


@dataclass
class ClientFacts:
    devices: dict[str, DeviceFacts] = field(default_factory=dict)   # "site/device" -> facts
    notes: list[str] = field(default_factory=list)


def load_client_facts(repository: Path) -> ClientFacts:
    found = ClientFacts()
    if not repository.is_dir():
        return found
    for path in sorted(repository.rglob(f"*{SUFFIX}")):
        if ".git" in path.parts:
            continue
        name = str(path.relative_to(repository))[:-len(SUFFIX)]
        try:
            found.devices[name] = from_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, FactsError) as exc:
            found.notes.append(f"{name}: facts not readable: {exc}")
    return found


def wan_names(facts: DeviceFacts) -> set[str]:
    """Interface names and zones of a device that face the internet."""
    names: set[str] = set()
    for iface in facts.interfaces:
        if WAN.match(iface.zone or "") or WAN.match(iface.description or "") \
                or WAN.match(iface.name):
            names.update(x for x in (iface.name, iface.zone, iface.description) if x)
    for route in facts.routes:   # the interface the default route leaves by
        if route.destination == "0.0.0.0/0" and route.interface:
            names.add(route.interface)
    names.update(z for z in ("WAN", "wan", "untrust", "outside") if facts.parser in (
        "routeros", "pfsense", "sophos", "sonicos", "junos", "panos"))
    return names


def _is_wan_rule(rule: Rule, wan: set[str]) -> bool:
    zones = {z.strip() for z in rule.source_zone.split(",") if z.strip()}
    if zones & wan or any(WAN.match(z) for z in zones):
        return True
    bound, _, direction = rule.applied_to.rpartition(" ")
    return direction == "in" and bound in wan


def exposure(name: str, facts: DeviceFacts) -> list[dict[str, str]]:
    """Allow rules from the WAN side, port forwards, management reachable from the WAN."""
    wan = wan_names(facts)
    out = []
    for rule in facts.rules:
        if rule.enabled and rule.action == "allow" and _is_wan_rule(rule, wan):
            out.append({"device": name, "what": "rule", "id": rule.id,
                        "detail": f"{', '.join(rule.sources)} → {', '.join(rule.destinations)}"
                                  f" {', '.join(rule.services)}"})
    for nat in facts.nat:
        if nat.enabled and nat.kind == "destination":
            out.append({"device": name, "what": "port forward", "id": nat.id,
                        "detail": nat_summary(nat)})
    for access in facts.management.access:
        target = access.split(" on ", 1)[-1].split(" (", 1)[0]
        zone = access.rsplit("(", 1)[-1].rstrip(")").replace("zone ", "")
        if target in wan or WAN.match(zone) or zone in wan:
            out.append({"device": name, "what": "management", "id": access.split(" ")[0],
                        "detail": access})
    return out


def addressing(devices: dict[str, DeviceFacts]) -> list[dict[str, Any]]:
    plan: dict[str, dict[str, Any]] = {}
    for name, facts in devices.items():
        vlan_names = {v.id: v.name for v in facts.vlans}
        for iface in facts.interfaces:
            for address in iface.addresses:
                try:
                    net = ipaddress.ip_interface(address).network
                except ValueError:
                    continue
                entry = plan.setdefault(str(net), {"network": str(net), "where": [],
                                                   "vlan": "", "use": "", "dhcp": ""})
                entry["where"].append(f"{name} {iface.name} ({address.split('/')[0]})")
                if iface.access_vlan is not None and not entry["vlan"]:
                    entry["vlan"] = str(iface.access_vlan)
                    entry["use"] = vlan_names.get(iface.access_vlan, "") or entry["use"]
                entry["use"] = entry["use"] or iface.description or iface.zone
        for scope in facts.dhcp:
            for key, entry in plan.items():
                if scope.network == key or (not scope.network and scope.gateway and
                                            _inside(scope.gateway, key)):
                    entry["dhcp"] = f"{name}: {', '.join(scope.ranges) or scope.name}"
    return sorted(plan.values(), key=lambda e: natural_key(e["network"]))


def _inside(address: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network)
    except ValueError:
        return False


def vlan_table(devices: dict[str, DeviceFacts]) -> list[dict[str, Any]]:
    table: dict[int, dict[str, Any]] = {}
    for name, facts in devices.items():
        for vlan in facts.vlans:
            entry = table.setdefault(vlan.id, {"id": vlan.id, "names": [], "devices": [],
                                               "ports": 0})
            if vlan.name and vlan.name not in entry["names"]:
                entry["names"].append(vlan.name)
            entry["devices"].append(name)
            entry["ports"] += sum(1 for i in facts.interfaces if i.mode != "routed" and (
                i.access_vlan == vlan.id or vlan.id in i.tagged_vlans))
    return [table[k] for k in sorted(table)]


def management(devices: dict[str, DeviceFacts]) -> tuple[list[dict[str, Any]], list[str]]:
    rows: list[dict[str, Any]] = []
    flags: list[str] = []
    ntp_sets = Counter(tuple(sorted(f.management.ntp_servers)) for f in devices.values()
                       if f.management.ntp_servers)
    usual = ntp_sets.most_common(1)[0][0] if ntp_sets else ()
    for name, facts in devices.items():
        m = facts.management
        marks: list[str] = []
        row: dict[str, Any] = {"device": name, "ntp": ", ".join(m.ntp_servers),
               "syslog": ", ".join(m.syslog_servers), "aaa": ", ".join(m.aaa_servers),
               "snmp": ", ".join(m.snmp_versions), "users": ", ".join(m.local_users),
               "services": ", ".join(s for s in ("ssh", "https", "http", "telnet")
                                     if getattr(m, s)), "flags": marks}
        if not m.ntp_servers:
            marks.append("no NTP server")
        elif len(ntp_sets) > 1 and tuple(sorted(m.ntp_servers)) != usual:
            marks.append(f"NTP differs from the usual {', '.join(usual)}")
        if set(m.snmp_versions) & {"v1", "v2c"}:
            marks.append("SNMP v1/v2c on (community in clear text)")
        if m.telnet:
            marks.append("telnet enabled")
        if m.http:
            marks.append("plain HTTP management")
        if not m.syslog_servers:
            marks.append("no remote syslog")
        flags += [f"{name}: {flag}" for flag in marks]
        rows.append(row)
    return rows, flags


def client_docs(found: ClientFacts) -> dict[str, Any]:
    devices = found.devices
    mgmt_rows, flags = management(devices)
    return {
        "device_count": len(devices),
        "addressing": addressing(devices),
        "vlans": vlan_table(devices),
        "vpns": [{"device": n, **{k: v for k, v in vars(vpn).items()}}
                 for n, f in devices.items() for vpn in f.vpns],
        "exposure": [e for n, f in devices.items() for e in exposure(n, f)],
        "firewalls": [{"device": n, "rules": f.rules, "nat": f.nat} for n, f in devices.items()
                      if f.rules or f.nat],
        "management": mgmt_rows, "flags": flags, "notes": found.notes,
    }


def render_docs(env: Any, repository: Path, out_dir: Path, common: dict[str, Any],
                manual_folder: Path | None = None) -> Path:
    """Write site/docs.html from the client's facts files and hand-written docs
    (default: the docs/ folder beside the site, inventory/<client>/docs)."""
    from netdoc.facts.manual import load_manual_docs
    from netdoc.fsutil import atomic_write

    context = client_docs(load_client_facts(repository))
    context["manual"] = load_manual_docs(manual_folder if manual_folder is not None
                                         else out_dir.parent / "docs")
    path = out_dir / "docs.html"
    text = env.get_template("docs.html.j2").render({**common, "root": "", **context})
    atomic_write(out_dir / "assets" / "docs.js", env.get_template("docs.js").render(common),
                 mode=0o644)   # the page's search; no inline script in any page
    atomic_write(path, text, mode=0o644)
    return path
