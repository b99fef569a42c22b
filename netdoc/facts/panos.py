"""Facts from Palo Alto PAN-OS configurations in brace form (`show config running`).

Read with ciscoconfparse2's junos syntax (the same `{ }` / `;` grammar); the
sections sit deep (config > devices > localhost.localdomain > network / vsys >
vsys1 > rulebase), so they are found by keyword wherever they are.
"""
from __future__ import annotations

from typing import Iterator

from netdoc.facts.junos import arg, first, one, under, words
from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Neighbor, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import Node, parse_tree


def anywhere(node: Node, *keys: str) -> Iterator[Node]:
    """Nodes reached by keys (first words), the first key matched at any depth."""
    for child in node.walk():
        if child.words[:1] == [keys[0]]:
            yield from under(child, *keys[1:]) if len(keys) > 1 else iter([child])


def _name(node: Node) -> str:
    w = words(node)
    return w[0] if w else ""


def parse_panos(text: str) -> DeviceFacts:
    facts = DeviceFacts(parser="panos")
    root = parse_tree(text, "junos")
    system = next(anywhere(root, "deviceconfig", "system"), None)
    facts.hostname = first(system, "hostname")
    facts.domain = first(system, "domain")
    zones: dict[str, str] = {}
    for zone in anywhere(root, "zone"):
        for item in under(zone, "*"):
            for net in under(item, "network"):
                for layer in net.children:
                    for member in words(layer)[1:] + [w for c in layer.children
                                                       for w in words(c)]:
                        zones[member] = _name(item)
    for iface in anywhere(root, "interface", "ethernet", "*"):
        _interface(iface, facts, zones)
        for unit in under(iface, "layer3", "units", "*"):
            _interface(unit, facts, zones)
    addresses = {_name(a): first(a, "ip-netmask") or first(a, "ip-range") or first(a, "fqdn")
                 for a in anywhere(root, "address", "*") if a.children}
    services = {}
    for svc in anywhere(root, "service", "*"):
        for proto in under(svc, "protocol", "*"):
            services[_name(svc)] = f"{_name(proto)}/{first(proto, 'port')}"

    def named(value: str, known: dict[str, str]) -> str:
        return f"{value} ({known[value]})" if known.get(value) else value

    for route in anywhere(root, "routing-table", "ip", "static-route", "*"):
        facts.routes.append(Route(first(route, "destination"),
                                  gateway=first(one(route, "nexthop"), "ip-address"),
                                  interface=first(route, "interface")))
    for peer in anywhere(root, "bgp", "peer-group", "*", "peer", "*"):
        facts.neighbors.append(Neighbor("bgp", first(one(peer, "peer-address"), "ip"),
                                        remote_as=first(peer, "peer-as"),
                                        description=_name(peer)))
    for server in anywhere(root, "dhcp", "interface", "*"):
        for srv in under(server, "server"):
            facts.dhcp.append(DhcpScope(name=_name(server), interface=_name(server),
                                        ranges=arg(srv, "ip-pool"),
                                        gateway=first(one(srv, "option"), "gateway")))
    for rule in anywhere(root, "rulebase", "security", "rules", "*"):
        services_used = arg(rule, "service")
        apps = arg(rule, "application")
        shown = [named(s, services) for s in services_used]
        if apps and apps != ["any"]:
            shown += [f"app {a}" for a in apps]
        facts.rules.append(Rule(
            id=_name(rule), kind="policy", name=_name(rule),
            source_zone=", ".join(arg(rule, "from")),
            destination_zone=", ".join(arg(rule, "to")),
            sources=[named(a, addresses) for a in arg(rule, "source")] or ["any"],
            destinations=[named(a, addresses) for a in arg(rule, "destination")] or ["any"],
            services=shown or ["any"], action={"allow": "allow"}.get(
                first(rule, "action"), first(rule, "action")),
            enabled=first(rule, "disabled") != "yes", comment=first(rule, "description")))
    for rule in anywhere(root, "rulebase", "nat", "rules", "*"):
        dst = one(rule, "destination-translation")
        src = one(rule, "source-translation")
        interface = next((first(n, "interface") for n in
                          (src.walk() if src is not None else iter(())) if
                          _name(n) == "interface-address"), "")
        nat = NatRule(id=_name(rule), kind="destination" if dst is not None else "source",
                      interface=", ".join(arg(rule, "to")),
                      source=", ".join(arg(rule, "source")),
                      destination=", ".join(named(a, addresses)
                                            for a in arg(rule, "destination")),
                      service=named(first(rule, "service"), services)
                      if first(rule, "service") not in ("", "any") else "",
                      enabled=first(rule, "disabled") != "yes")
        if dst is not None:
            target = first(dst, "translated-address")
            nat.translated_destination = named(target, addresses)
            port = first(dst, "translated-port")
            nat.translated_service = f"port {port}" if port else ""
        if src is not None:
            nat.translated_source = f"interface {interface}" if interface else \
                " ".join(w for n in src.walk() for w in arg(n, "translated-address"))
        facts.nat.append(nat)
    _vpns(root, facts)
    _management(root, system, facts)
    return facts.finish()


def _interface(node: Node, facts: DeviceFacts, zones: dict[str, str]) -> None:
    name = _name(node)
    layer3 = one(node, "layer3") or node
    ips = [_name(c) for c in under(layer3, "ip", "*")]
    if not ips and not first(node, "tag") and not under(node, "layer3"):
        return
    iface = Interface(name, first(node, "comment"), addresses=ips, zone=zones.get(name, ""),
                      dhcp_client=bool(under(layer3, "dhcp-client")))
    tag = first(node, "tag")
    if tag.isdigit():
        iface.access_vlan = int(tag)
        facts.vlans.append(Vlan(int(tag), first(node, "comment") or name))
    facts.interfaces.append(iface)


def _vpns(root: Node, facts: DeviceFacts) -> None:
    gateways: dict[str, Vpn] = {}
    for gw in anywhere(root, "ike", "gateway", "*"):
        vpn = Vpn(name=_name(gw), peer=first(one(gw, "peer-address"), "ip"),
                  interface=first(one(gw, "local-address"), "interface"),
                  crypto=" ".join([first(one(gw, "protocol"), "version")] +
                                  [x for n in gw.walk() for x in arg(n, "ike-crypto-profile")])
                  .strip())
        gateways[vpn.name] = vpn
        facts.vpns.append(vpn)
    for tunnel in anywhere(root, "tunnel", "ipsec", "*"):
        key = one(tunnel, "auto-key")
        found = next((gateways.get(_name(g)) for g in under(key, "ike-gateway", "*")),
                     None) or gateways.get(first(key, "ike-gateway"))
        if found is None:
            continue
        found.crypto = ", ".join(x for x in (found.crypto, first(key, "ipsec-crypto-profile"))
                                 if x)
        for proxy in under(key, "proxy-id", "*"):
            found.local_subnets.append(first(proxy, "local"))
            found.remote_subnets.append(first(proxy, "remote"))
    for portal in anywhere(root, "global-protect-gateway", "*"):
        pools = [w for n in portal.walk() for w in arg(n, "ip-pool")]
        facts.vpns.append(Vpn(name=_name(portal), kind="remote-access",
                              interface=first(portal, "tunnel-interface"),
                              crypto="globalprotect", pool=", ".join(pools)))


def _management(root: Node, system: Node | None, facts: DeviceFacts) -> None:
    mgmt = facts.management
    if system is not None and first(system, "ip-address"):
        facts.interfaces.append(Interface("management",
                                          addresses=[f"{first(system, 'ip-address')}/"
                                                     f"{_bits(first(system, 'netmask'))}"],
                                          zone="management"))
        if not any(r.destination == "0.0.0.0/0" for r in facts.routes):
            facts.default_gateway = first(system, "default-gateway")
    mgmt.ntp_servers = [w for n in (system.walk() if system else iter(()))
                        for w in arg(n, "ntp-server-address")]
    mgmt.dns_servers = [w for n in (system.walk() if system else iter(()))
                        for key in ("primary", "secondary") for w in arg(n, key)
                        if _name(n) != "ntp-servers"]
    mgmt.dns_servers = [s for s in mgmt.dns_servers if s and s[0].isdigit()]
    service = one(system, "service")
    mgmt.telnet = first(service, "disable-telnet") == "no"
    mgmt.http = first(service, "disable-http") == "no"
    mgmt.https = first(service, "disable-https") != "yes"
    mgmt.ssh = first(service, "disable-ssh") != "yes"
    mgmt.access = [f"management from {ip}" for ip in
                   (_name(p) for p in under(system, "permitted-ip", "*"))]
    for version in under(system, "snmp-setting", "access-setting", "version", "*"):
        mgmt.snmp_versions.append(_name(version))
    users = next(anywhere(root, "mgt-config", "users"), None)
    mgmt.local_users = [_name(u) for u in under(users, "*")]
    for server in anywhere(root, "syslog", "*", "server", "*"):
        mgmt.syslog_servers.append(first(server, "server"))
    for kind in ("radius", "tacplus", "ldap"):
        for server in anywhere(root, "server-profile", kind, "*", "server", "*"):
            address = first(server, "ip-address") or first(server, "address")
            mgmt.aaa_servers.append(f"{'tacacs+' if kind == 'tacplus' else kind} {address}")


def _bits(mask: str) -> str:
    try:
        return str(sum(bin(int(o)).count("1") for o in mask.split(".")))
    except ValueError:
        return "32"
