"""Facts from SonicWall SonicOS 7 CLI configurations (`show current-config`).

The indented blocks (`interface X0`, `access-rule ipv4 from LAN to WAN action
allow`, `vpn` / `policy site-to-site NAME`, ...) are read with ciscoconfparse2;
address and service objects are resolved so a rule says what it lets through.
"""
from __future__ import annotations

from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Route, Rule, Vlan,
                                Vpn)
from netdoc.facts.tree import Node, network, parse_tree, prefix


def _ref(words: list[str]) -> str:
    """'address any' / 'address name "X"' / 'address group "X"' / 'name "X"' -> text."""
    if not words:
        return "any"
    if words[0] in ("address", "service") and len(words) > 1:
        words = words[1:]
    if words[0] in ("name", "group") and len(words) > 1:
        return words[1]
    if words[0] == "host" and len(words) > 1:
        return f"{words[1]}/32"
    if words[0] == "network" and len(words) > 2:
        return network(words[1], words[2])
    return " ".join(words)


def parse_sonicos(text: str) -> DeviceFacts:
    root = parse_tree(text, "ios")
    facts = DeviceFacts(parser="sonicos")
    mgmt = facts.management
    mgmt.telnet = mgmt.ssh = mgmt.https = mgmt.http = False
    addresses: dict[str, str] = {}
    services: dict[str, str] = {}
    for node in root.children:
        w = node.words
        if w[:2] == ["address-object", "ipv4"] and len(w) > 4:
            kind, rest = w[3], w[4:]
            if kind == "network" and len(rest) > 1:
                addresses[w[2]] = network(rest[0], rest[1])
            elif kind == "host":
                addresses[w[2]] = f"{rest[0]}/32"
            elif kind == "range" and len(rest) > 1:
                addresses[w[2]] = f"{rest[0]}-{rest[1]}"
        elif w[:1] == ["service-object"] and len(w) > 4:
            services[w[1]] = f"{w[2].lower()}/{w[3]}" + (f"-{w[4]}" if w[4] != w[3] else "")

    def named(value: str, known: dict[str, str]) -> str:
        return f"{value} ({known[value]})" if value in known else value

    for node in root.children:
        w = node.words
        head = w[0] if w else ""
        if head == "administration":
            facts.hostname = node.value("firewall-name")
            for child in node.children:
                cw = child.words
                if cw[:1] == ["admin"] and len(cw) > 2 and cw[1] == "name":
                    mgmt.local_users.append(cw[2])
        elif head == "interface" and len(w) > 1:
            _interface(node, w[1], facts)
        elif head == "access-rule" and len(w) >= 7:
            _access_rule(node, w, facts, addresses, services, named)
        elif head == "nat-policy":
            _nat(node, w, facts, named, addresses, services)
        elif head == "route-policy":
            _route(w, facts, addresses)
        elif head == "vpn":
            for policy in node.find(r"policy "):
                _vpn(policy, facts, addresses)
        elif head == "dhcp-server":
            for scope in node.find(r"lease-scope dynamic "):
                sw = scope.words
                facts.dhcp.append(DhcpScope(
                    name=f"{sw[2]}-{sw[3]}" if len(sw) > 3 else sw[-1],
                    ranges=[f"{sw[2]}-{sw[3]}"] if len(sw) > 3 else [],
                    gateway=scope.value("default-gateway"),
                    dns_servers=[c.words[-1] for c in scope.find(r"dns ")]))
        elif head == "time":
            mgmt.ntp_servers += [c.words[1] for c in node.walk()
                                 if c.words[:1] == ["server"] and len(c.words) > 1]
        elif head == "snmp":
            if node.first(r"get-community") or node.first(r"trap-community"):
                mgmt.snmp_versions.append("v2c")
            if node.first(r"user ") or node.first(r"view "):
                mgmt.snmp_versions.append("v3")
            mgmt.snmp_hosts += [c.words[-1] for c in node.find(r"host ")]
        elif head in ("radius", "ldap", "tacacs"):
            for server in node.find(r"server "):
                mgmt.aaa_servers.append(f"{'tacacs+' if head == 'tacacs' else head} "
                                        f"{server.words[1]}")
        elif head == "user" and w[1:2] == ["local"]:
            mgmt.local_users += [c.words[1] for c in node.find(r"user ") if len(c.words) > 1]
        elif head == "log":
            for server in (c for c in node.walk() if c.words[:1] == ["server"]):
                target = server.words[1] if len(server.words) > 1 else ""
                mgmt.syslog_servers.append(addresses.get(target, target).removesuffix("/32"))
        elif head == "dns":
            mgmt.dns_servers += [c.words[-1] for c in node.walk() if c.words[:1] == ["server"]]
    return facts.finish()


def _interface(node: Node, name: str, facts: DeviceFacts) -> None:
    iface = Interface(name=name, description=node.value("comment"))
    mgmt = facts.management
    for child in node.children:
        cw = child.words
        if cw[:1] == ["ip-assignment"] and len(cw) > 2:
            iface.zone = cw[1]
            ip, mask = child.value("ip"), child.value("netmask")
            if ip and mask:
                iface.addresses.append(prefix(ip, mask))
            if cw[2] == "dhcp":
                iface.dhcp_client = True
            if child.value("gateway") and cw[1].upper() == "WAN":
                facts.routes.append(Route("0.0.0.0/0", gateway=child.value("gateway"),
                                          interface=name))
            mgmt.dns_servers += [c.words[-1] for c in child.find(r"dns ")]
        elif cw[:1] == ["vlan"] and len(cw) > 1 and cw[1].isdigit():
            iface.access_vlan = int(cw[1])
            facts.vlans.append(Vlan(int(cw[1]), iface.description or name))
        elif cw[:1] == ["management"] and len(cw) > 1 and cw[1] in ("https", "http",
                                                                     "ssh", "telnet"):
            setattr(mgmt, cw[1], True)
            mgmt.access.append(f"{cw[1]} on {name}" + (f" ({iface.zone})" if iface.zone
                                                       else ""))
        elif cw == ["shutdown-port"] or cw == ["shutdown"]:
            iface.enabled = False
    facts.interfaces.append(iface)


def _access_rule(node: Node, w: list[str], facts: DeviceFacts, addresses: dict[str, str],
                 services: dict[str, str], named: object) -> None:
    src_zone = w[w.index("from") + 1] if "from" in w else ""
    dst_zone = w[w.index("to") + 1] if "to" in w else ""
    action = w[w.index("action") + 1] if "action" in w else ""
    source = destination = service = "any"
    enabled = True
    rule_id = node.value("id") or node.value("uuid")
    for child in node.children:
        cw = child.words
        if cw[:2] == ["source", "address"]:
            source = _ref(cw[1:])
        elif cw[:2] == ["destination", "address"]:
            destination = _ref(cw[1:])
        elif cw[:1] == ["service"]:
            service = _ref(cw)
        elif cw == ["no", "enable"]:
            enabled = False
        elif cw[:1] == ["name"] and len(cw) > 1:
            rule_id = rule_id or cw[1]
    index = sum(1 for r in facts.rules if r.source_zone == src_zone
                and r.destination_zone == dst_zone) + 1
    facts.rules.append(Rule(
        id=rule_id or f"{src_zone}->{dst_zone} {index}", kind="policy",
        name=node.value("name"), source_zone=src_zone, destination_zone=dst_zone,
        sources=[_named(source, addresses)], destinations=[_named(destination, addresses)],
        services=[_named(service, services)], action=action, enabled=enabled,
        comment=node.value("comment")))


def _named(value: str, known: dict[str, str]) -> str:
    if value == "original":   # NAT: not translated
        return ""
    return f"{value} ({known[value]})" if value in known else value


def _pairs(words: list[str]) -> dict[str, str]:
    """nat-policy KEY VALUE... where a value may be `name X` / `group X` / `original`."""
    out: dict[str, str] = {}
    i = 0
    keys = {"inbound", "outbound", "source", "translated-source", "destination",
            "translated-destination", "service", "translated-service"}
    while i < len(words):
        if words[i] in keys and i + 1 < len(words):
            if words[i + 1] in ("name", "group") and i + 2 < len(words):
                out[words[i]] = words[i + 2]
                i += 3
                continue
            out[words[i]] = words[i + 1]
            i += 2
            continue
        i += 1
    return out


def _nat(node: Node, w: list[str], facts: DeviceFacts, named: object,
         addresses: dict[str, str], services: dict[str, str]) -> None:
    p = _pairs(w[1:])
    kind = "destination" if p.get("translated-destination", "original") != "original" \
        else "source" if p.get("translated-source", "original") != "original" else "static"
    facts.nat.append(NatRule(
        id=node.value("name") or str(len(facts.nat) + 1), kind=kind,
        interface=p.get("inbound", "") if kind == "destination" else p.get("outbound", ""),
        source=_named(p.get("source", ""), addresses),
        destination=_named(p.get("destination", ""), addresses),
        service=_named(p.get("service", ""), services),
        translated_source=_named(p.get("translated-source", ""), addresses),
        translated_destination=_named(p.get("translated-destination", ""), addresses),
        translated_service=_named(p.get("translated-service", ""), services),
        enabled=not node.first(r"no enable$"), comment=node.value("comment")))


def _route(w: list[str], facts: DeviceFacts, addresses: dict[str, str]) -> None:
    p = _pairs(w)
    words = " ".join(w)
    gateway = ""
    if " gateway " in words:
        after = w[w.index("gateway") + 1:]
        gateway = after[1] if after[:1] in (["name"], ["host"]) and len(after) > 1 else \
            (after[0] if after else "")
    destination = p.get("destination", "any")
    facts.routes.append(Route("0.0.0.0/0" if destination == "any" else
                              addresses.get(destination, destination),
                              gateway=addresses.get(gateway, gateway).removesuffix("/32"),
                              interface=w[w.index("interface") + 1] if "interface" in w
                              else ""))


def _vpn(policy: Node, facts: DeviceFacts, addresses: dict[str, str]) -> None:
    w = policy.words
    kind = w[1] if len(w) > 1 else ""
    name = w[2] if len(w) > 2 else kind
    vpn = Vpn(name=name, kind="site-to-site" if kind == "site-to-site" else "remote-access",
              enabled=bool(policy.first(r"enable$")) and not policy.first(r"no enable$"))
    crypto = []
    for child in policy.children:
        cw = child.words
        if cw[:2] == ["gateway", "primary"] and len(cw) > 2:
            vpn.peer = cw[2]
        elif cw[:2] == ["network", "local"]:
            vpn.local_subnets.append(_named(_ref(cw[2:]), addresses))
        elif cw[:2] == ["network", "remote"]:
            vpn.remote_subnets.append(_named(_ref(cw[2:]), addresses))
        elif cw[:2] == ["proposal", "ike"] and len(cw) > 3:
            crypto.append(cw[3])
        elif cw[:1] == ["bound-to"]:
            vpn.interface = cw[-1]
    vpn.crypto = " ".join(crypto)
    facts.vpns.append(vpn)
