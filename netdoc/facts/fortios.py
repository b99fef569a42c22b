"""Facts from FortiGate (FortiOS) configurations: `show` output, with or without VDOMs.

ciscoconfparse2 reads the indentation; FortiOS's grammar on top of it is small:
`config PATH` opens a table, `edit NAME` an entry, `set KEY VALUE...` a setting,
`next`/`end` close. With VDOMs the tables sit at the top level after
`config vdom` + `edit NAME` (or `config global`), so the current VDOM is tracked
while walking the top level. Policy ids outside the root VDOM are `VDOM/ID`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Neighbor, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import Node, network, parse_tree, prefix, split_words


@dataclass
class Entry:
    name: str
    settings: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, list["Entry"]] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return " ".join(self.settings.get(key, []))

    def items(self, key: str) -> list[str]:
        return self.settings.get(key, [])


def _entries(node: Node) -> list[Entry]:
    """The `edit` entries of a `config` node; a table without edits is one entry ''."""
    edits = [c for c in node.children if c.text.startswith("edit ")]
    if not edits:
        return [_entry("", node)]
    return [_entry(" ".join(split_words(c.text)[1:2]), c) for c in edits]


def _entry(name: str, node: Node) -> Entry:
    entry = Entry(name)
    for child in node.children:
        words = child.words
        if words[:1] == ["set"] and len(words) > 1:
            entry.settings[words[1]] = words[2:]
        elif words[:1] == ["config"] and len(words) > 1:
            entry.tables[" ".join(words[1:])] = _entries(child)
    return entry


def tables(text: str) -> list[tuple[str, str, list[Entry]]]:
    """(vdom, table path, entries) for every top-level `config` table."""
    root = parse_tree(text, "ios")
    out: list[tuple[str, str, list[Entry]]] = []
    vdom = ""
    for node in root.children:
        words = node.words
        if words[:1] == ["edit"] and len(words) > 1:
            vdom = words[1]
        elif words == ["config", "global"]:
            vdom = "global"
        elif words[:1] == ["config"] and len(words) > 1 and words[1] != "vdom":
            out.append((vdom, " ".join(words[1:]), _entries(node)))
            # `config global` / `edit VDOM` wrap their tables one level deeper on some builds
        elif words == ["config", "vdom"] or words == ["config", "global"]:
            pass
        for child in node.children:
            cw = child.words
            if words[:1] == ["edit"] and cw[:1] == ["config"] and len(cw) > 1:
                out.append((vdom, " ".join(cw[1:]), _entries(child)))
    return out


def parse_fortios(text: str) -> DeviceFacts:
    facts = DeviceFacts(parser="fortios")
    found = tables(text)
    addresses: dict[str, str] = {}
    for _vdom, path, entries in found:
        if path in ("firewall address", "firewall address6"):
            for e in entries:
                if e.items("subnet"):
                    s = e.items("subnet")
                    addresses[e.name] = network(s[0], s[1] if len(s) > 1 else "")
                elif e.get("start-ip"):
                    addresses[e.name] = f"{e.get('start-ip')}-{e.get('end-ip')}"
                elif e.get("fqdn"):
                    addresses[e.name] = e.get("fqdn")
        elif path == "firewall vip":   # a virtual IP is a policy's destination too
            for e in entries:
                if e.get("extip") and e.get("mappedip"):
                    addresses[e.name] = f"{e.get('extip')} -> {e.get('mappedip')}"
    services: dict[str, str] = {}
    for _vdom, path, entries in found:
        if path == "firewall service custom":
            for e in entries:
                parts = [f"{proto}/{e.get(key)}" for proto, key in
                         (("tcp", "tcp-portrange"), ("udp", "udp-portrange"))
                         if e.get(key)]
                if parts:
                    services[e.name] = " ".join(parts)
    multi = len({v for v, _, _ in found if v not in ("", "global")}) > 1

    def named(value: str, known: dict[str, str]) -> str:
        return f"{value} ({known[value]})" if value in known and known[value] != value \
            else value

    mgmt = facts.management
    for vdom, path, entries in found:
        prefix_id = f"{vdom}/" if multi and vdom not in ("", "root", "global") else ""
        for e in entries:
            if path == "system global":
                facts.hostname = e.get("hostname") or facts.hostname
            elif path == "system interface":
                _interface(e, facts)
            elif path == "router static":
                s = e.items("dst")
                facts.routes.append(Route(
                    network(s[0], s[1]) if len(s) > 1 else "0.0.0.0/0",
                    gateway=e.get("gateway"), interface=e.get("device"),
                    distance=int(e.get("distance")) if e.get("distance").isdigit() else None))
            elif path == "router bgp":
                for n in e.tables.get("neighbor", []):
                    facts.neighbors.append(Neighbor("bgp", n.name, remote_as=n.get("remote-as")))
            elif path == "router ospf":
                for n in e.tables.get("network", []):
                    p = n.items("prefix")
                    facts.neighbors.append(Neighbor(
                        "ospf", network(p[0], p[1]) if len(p) > 1 else "", area=n.get("area")))
            elif path == "system dhcp server":
                scope = DhcpScope(name=e.name, interface=e.get("interface"),
                                  gateway=e.get("default-gateway"))
                if e.get("default-gateway") and e.get("netmask"):
                    scope.network = network(e.get("default-gateway"), e.get("netmask"))
                scope.dns_servers = [e.get(f"dns-server{i}") for i in (1, 2, 3)
                                     if e.get(f"dns-server{i}")]
                scope.ranges = [f"{r.get('start-ip')}-{r.get('end-ip')}"
                                for r in e.tables.get("ip-range", [])]
                facts.dhcp.append(scope)
            elif path == "firewall policy":
                rule = Rule(id=prefix_id + e.name, kind="policy", name=e.get("name"),
                            source_zone=", ".join(e.items("srcintf")),
                            destination_zone=", ".join(e.items("dstintf")),
                            sources=[named(a, addresses) for a in e.items("srcaddr")],
                            destinations=[named(a, addresses) for a in e.items("dstaddr")],
                            services=[named(s, services) for s in e.items("service")],
                            action={"accept": "allow"}.get(e.get("action"),
                                                           e.get("action") or "deny"),
                            enabled=e.get("status") != "disable", comment=e.get("comments"))
                facts.rules.append(rule)
                if e.get("nat") == "enable":
                    pool = e.get("poolname")
                    facts.nat.append(NatRule(
                        id=f"policy {prefix_id}{e.name}", kind="source",
                        interface=", ".join(e.items("dstintf")),
                        source=", ".join(e.items("srcaddr")),
                        translated_source=f"pool {pool}" if pool else "interface",
                        enabled=rule.enabled))
            elif path == "firewall vip":
                mapped = e.get("mappedip").split("-")[0] if e.get("mappedip") else ""
                nat = NatRule(id=prefix_id + e.name, kind="destination",
                              interface=e.get("extintf"), destination=e.get("extip"),
                              translated_destination=mapped, comment=e.get("comment"))
                if e.get("portforward") == "enable":
                    protocol = e.get("protocol") or "tcp"
                    nat.service = f"{protocol}/{e.get('extport')}"
                    nat.translated_service = f"{protocol}/{e.get('mappedport') or e.get('extport')}"
                else:
                    nat.kind = "static"
                facts.nat.append(nat)
            elif path == "vpn ipsec phase1-interface":
                dialup = e.get("type") == "dynamic"
                vpn = Vpn(name=e.name, kind="remote-access" if dialup else "site-to-site",
                          peer=e.get("remote-gw"), interface=e.get("interface"),
                          crypto=" ".join(x for x in (f"ikev{e.get('ike-version') or '1'}",
                                                      e.get("proposal")) if x).strip())
                if e.get("ipv4-start-ip"):
                    vpn.pool = f"{e.get('ipv4-start-ip')}-{e.get('ipv4-end-ip')}"
                facts.vpns.append(vpn)
            elif path == "vpn ssl settings" and e.get("source-interface"):
                pool = e.get("tunnel-ip-pools")
                facts.vpns.append(Vpn(name="ssl-vpn", kind="remote-access",
                                      interface=e.get("source-interface"),
                                      crypto=f"ssl port {e.get('port') or '443'}",
                                      pool=named(pool, addresses) if pool else ""))
            elif path == "system admin":
                mgmt.local_users.append(e.name)
            elif path == "user local":
                mgmt.local_users.append(e.name)
            elif path == "system ntp":
                servers = [n.get("server") for n in e.tables.get("ntpserver", [])]
                mgmt.ntp_servers += [s for s in servers if s]
                if e.get("ntpsync") == "enable" and e.get("type") == "fortiguard":
                    mgmt.ntp_servers.append("fortiguard")
            elif path.startswith("log syslogd") and path.endswith("setting") \
                    and e.get("status") == "enable" and e.get("server"):
                mgmt.syslog_servers.append(e.get("server"))
            elif path == "system snmp community":
                mgmt.snmp_versions.append("v2c")
                for h in e.tables.get("hosts", []):
                    ip = h.items("ip")
                    if ip:
                        mgmt.snmp_hosts.append(network(ip[0], ip[1]) if len(ip) > 1
                                               else ip[0])
            elif path == "system snmp user":
                mgmt.snmp_versions.append("v3")
            elif path in ("user radius", "user tacacs+", "user ldap"):
                kind = path.split()[1]
                for key in ("server", "secondary-server"):
                    if e.get(key):
                        mgmt.aaa_servers.append(f"{kind} {e.get(key)}")
            elif path == "system dns":
                mgmt.dns_servers += [e.get(k) for k in ("primary", "secondary") if e.get(k)]
    _phase2(found, facts, addresses)
    return facts.finish()


def _interface(e: Entry, facts: DeviceFacts) -> None:
    ip = e.items("ip")
    iface = Interface(name=e.name, description=e.get("description") or e.get("alias"),
                      zone=e.get("role"), enabled=e.get("status") != "down",
                      dhcp_client=e.get("mode") == "dhcp")
    if len(ip) >= 2 and ip[0] != "0.0.0.0":
        iface.addresses.append(prefix(ip[0], ip[1]))
    if e.get("vlanid").isdigit():
        iface.access_vlan = int(e.get("vlanid"))
        facts.vlans.append(Vlan(int(e.get("vlanid")), e.get("alias") or e.name))
    facts.interfaces.append(iface)
    access = e.items("allowaccess")
    mgmt = facts.management
    for service in ("ssh", "https", "http", "telnet"):
        if service in access:
            setattr(mgmt, service, True)
            mgmt.access.append(f"{service} on {e.name}" + (f" ({iface.zone})" if iface.zone
                                                           else ""))
    for service in ("ssh", "https", "http", "telnet"):
        if getattr(mgmt, service) is None:
            setattr(mgmt, service, False)


def _phase2(found: list[tuple[str, str, list[Entry]]], facts: DeviceFacts,
            addresses: dict[str, str]) -> None:
    vpns = {v.name: v for v in facts.vpns}
    for _vdom, path, entries in found:
        if path != "vpn ipsec phase2-interface":
            continue
        for e in entries:
            vpn = vpns.get(e.get("phase1name"))
            if vpn is None:
                continue
            for side, target in (("src", vpn.local_subnets), ("dst", vpn.remote_subnets)):
                subnet = e.items(f"{side}-subnet")
                if subnet:
                    target.append(network(subnet[0], subnet[1] if len(subnet) > 1 else ""))
                elif e.get(f"{side}-name"):
                    name = e.get(f"{side}-name")
                    target.append(addresses.get(name, name))
