"""Facts from Cisco IOS / IOS-XE and ASA configurations (read with ciscoconfparse2).

    parse_ios(text) -> DeviceFacts      (parser name: cisco_ios; also IOS-XE, Arista-like)
    parse_asa(text) -> DeviceFacts      (parser name: cisco_asa)

Both share the access-list entry grammar: `[seq] permit|deny PROTO SRC [PORTS] DST
[PORTS] [log] [inactive]` where an address is `any`, `host A`, `A WILDCARD|MASK`,
`object N`, `object-group N` or `interface N`.
"""
from __future__ import annotations

import re

from netdoc.facts.cisco_zbf import zone_rules
from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Neighbor, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import (Node, is_address, network, parse_tree, port_range, prefix,
                               split_words, wildcard_network)

ACTIONS = {"permit": "allow", "deny": "deny"}
_PORT_OPS = {"eq": "", "gt": ">", "lt": "<", "neq": "!"}


# ---------------------------------------------------------------- shared grammar

def vlan_list(text: str) -> list[int]:
    """'1-3,10' -> [1, 2, 3, 10]; 'all'/'none' -> []."""
    out: list[int] = []
    for part in text.replace(" ", ",").split(","):
        first, _, last = part.partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            top = int(last or first)
            if top - int(first) <= 4094:
                out.extend(range(int(first), top + 1))
    return out


def _address(words: list[str], i: int, masks: bool) -> tuple[str, int]:
    """One address spec at words[i]: (text, next index). masks: ASA netmasks, else wildcards."""
    if i >= len(words):
        return "any", i
    word = words[i]
    if word in ("any", "any4", "any6"):
        return "any", i + 1
    if word == "host" and i + 1 < len(words):
        return f"{words[i + 1]}/32" if is_address(words[i + 1]) else words[i + 1], i + 2
    if word in ("object", "object-group", "addrgroup", "interface") and i + 1 < len(words):
        return words[i + 1], i + 2
    if is_address(word) and i + 1 < len(words) and is_address(words[i + 1]):
        mask = words[i + 1]
        return (network(word, mask) if masks else wildcard_network(word, mask)), i + 2
    if "/" in word:
        return network(word), i + 1
    return word, i + 1


def _ports(words: list[str], i: int, groups: bool = False) -> tuple[str, int]:
    if i < len(words) and words[i] in _PORT_OPS and i + 1 < len(words):
        return _PORT_OPS[words[i]] + words[i + 1], i + 2
    if i < len(words) and words[i] == "range" and i + 2 < len(words):
        return port_range(words[i + 1], words[i + 2]), i + 3
    if groups and i < len(words) and words[i] == "object-group" and i + 1 < len(words):
        return words[i + 1], i + 2   # a service group after the destination
    return "", i


def ace(words: list[str], masks: bool, standard: bool = False) -> dict[str, object] | None:
    """An access-list entry's words (from permit/deny on) as rule fields, or None."""
    if not words or words[0] not in ACTIONS:
        return None
    action = ACTIONS[words[0]]
    if standard:
        source, _ = _address(words, 1, masks) if len(words) > 1 else ("any", 1)
        if len(words) == 2 and is_address(words[1]):
            source = f"{words[1]}/32"
        return {"action": action, "sources": [source], "destinations": ["any"],
                "services": ["any"], "enabled": True}
    i = 1
    protocol = words[i] if i < len(words) else "ip"
    i += 1
    if protocol in ("object", "object-group") and i < len(words):
        protocol = words[i]
        i += 1
    source, i = _address(words, i, masks)
    source_ports, i = _ports(words, i)
    destination, i = _address(words, i, masks)
    ports, i = _ports(words, i, groups=True)
    rest = words[i:]
    if protocol in ("ip", "ipv4", "ip4"):
        service = "any"
    elif ports:
        service = f"{protocol}/{ports}"
    elif rest and protocol == "icmp" and rest[0] not in ("log", "inactive", "time-range"):
        service = f"icmp/{rest[0]}"
    else:
        service = protocol
    if source_ports and not ports:
        service += f" (from port {source_ports})"
    return {"action": action, "sources": [source], "destinations": [destination],
            "services": [service], "enabled": "inactive" not in rest}


# ---------------------------------------------------------------- IOS / IOS-XE

def parse_ios(text: str) -> DeviceFacts:
    root = parse_tree(text, "ios")
    facts = DeviceFacts(parser="cisco_ios")
    acls: dict[str, list[Rule]] = {}
    bindings: dict[str, list[str]] = {}
    nat_inside: list[str] = []
    for node in root.children:
        words = node.words
        head = words[0] if words else ""
        if head == "hostname" and len(words) > 1:
            facts.hostname = words[1]
        elif words[:3] == ["ip", "domain", "name"] and len(words) > 3:
            facts.domain = words[3]
        elif words[:2] == ["ip", "domain-name"] and len(words) > 2:
            facts.domain = words[2]
        elif head == "vlan" and len(words) == 2 and words[1].isdigit():
            facts.vlans.append(Vlan(int(words[1]), node.value("name")))
        elif head == "interface" and len(words) > 1:
            facts.interfaces.append(_ios_interface(node, bindings, nat_inside))
        elif words[:2] == ["ip", "route"]:
            route = _ios_route(words[2:])
            if route:
                facts.routes.append(route)
        elif words[:2] == ["ip", "default-gateway"] and len(words) > 2:
            facts.default_gateway = words[2]
        elif head == "router" and len(words) > 1:
            facts.neighbors.extend(_ios_routing(node, words))
        elif words[:3] == ["ip", "dhcp", "pool"] and len(words) > 3:
            facts.dhcp.append(_ios_dhcp(node, words[3]))
        elif words[:2] == ["ip", "access-list"] and len(words) > 3:
            acls[words[3]] = _ios_named_acl(node, words[3], words[2] == "standard")
        elif head == "access-list" and len(words) > 2:
            number = words[1]
            standard = number.isdigit() and (int(number) < 100 or 1300 <= int(number) < 2000)
            rule = _acl_rule(number, len(acls.get(number, [])) + 1, words[2:], standard, False)
            if rule:
                acls.setdefault(number, []).append(rule)
        elif words[:4] == ["ip", "nat", "inside", "source"]:
            nat = _ios_nat(words[4:], len(facts.nat) + 1)
            if nat:
                facts.nat.append(nat)
        elif head == "line" and len(words) > 1:
            _ios_line(node, words, facts, bindings)
    _ios_management(root, facts)
    facts.vpns.extend(_ios_vpns(root, acls))
    # zone-based firewall: zone-pair policies as rules (netdoc.facts.cisco_zbf)
    facts.rules.extend(zone_rules(root, acls, bindings, facts))
    for name, rules in acls.items():
        for rule in rules:
            # one access-class on vty 0 4 and vty 5 15 is one binding
            rule.applied_to = ", ".join(dict.fromkeys(bindings.get(name, [])))
        facts.rules.extend(rules)
    return facts.finish()


def _ios_interface(node: Node, bindings: dict[str, list[str]],
                   nat_inside: list[str]) -> Interface:
    name = node.text.split(None, 1)[1]
    iface = Interface(name=name)
    for child in node.children:
        words = child.words
        if not words:
            continue
        if words[0] == "description":
            iface.description = child.text.split(None, 1)[1] if len(words) > 1 else ""
        elif words[:2] == ["ip", "address"] and len(words) >= 4 and is_address(words[2]):
            iface.addresses.append(prefix(words[2], words[3]))
            iface.mode = iface.mode or "routed"
        elif words[:3] == ["ip", "address", "dhcp"]:
            iface.dhcp_client = True
        elif words[:3] == ["switchport", "access", "vlan"] and len(words) > 3 \
                and words[3].isdigit():
            iface.access_vlan = int(words[3])
        elif words[:2] == ["switchport", "mode"] and len(words) > 2:
            iface.mode = words[2]
        elif words[:4] == ["switchport", "trunk", "allowed", "vlan"] and len(words) > 4:
            listed = words[5] if words[4] in ("add", "remove", "except") and len(words) > 5 \
                else words[4]
            if words[4] == "remove":
                iface.tagged_vlans = [v for v in iface.tagged_vlans
                                      if v not in vlan_list(listed)]
            elif words[4] != "except":
                iface.tagged_vlans += vlan_list(listed)
        elif words[:3] == ["switchport", "voice", "vlan"] and len(words) > 3 \
                and words[3].isdigit():
            iface.tagged_vlans.append(int(words[3]))
        elif words[:2] == ["encapsulation", "dot1Q"] and len(words) > 2 and words[2].isdigit():
            iface.access_vlan = int(words[2])
        elif words[0] == "shutdown":
            iface.enabled = False
        elif words[:2] == ["ip", "nat"] and len(words) > 2:
            iface.zone = iface.zone or f"nat {words[2]}"
        elif words[:2] == ["zone-member", "security"] and len(words) > 2:
            iface.zone = words[2]
        elif words[:2] == ["ip", "access-group"] and len(words) > 3:
            bindings.setdefault(words[2], []).append(f"{name} {words[3]}")
        elif words[:2] == ["vrf", "forwarding"] or words[:2] == ["ip", "vrf"]:
            pass
    if name.lower().startswith("vlan") and name[4:].isdigit() and iface.access_vlan is None:
        iface.access_vlan = int(name[4:])
    return iface


def _ios_route(words: list[str]) -> Route | None:
    if words[:1] == ["vrf"]:
        words = words[2:]
    if len(words) < 3 or not is_address(words[0]):
        return None
    route = Route(destination=network(words[0], words[1]))
    rest = words[2:]
    if rest and not is_address(rest[0]):
        route.interface = rest.pop(0)
    if rest and is_address(rest[0]):
        route.gateway = rest.pop(0)
    if rest and rest[0].isdigit():
        route.distance = int(rest[0])
    return route


def _ios_routing(node: Node, words: list[str]) -> list[Neighbor]:
    protocol = words[1]
    found: list[Neighbor] = []
    descriptions: dict[str, str] = {}
    children = list(node.children)
    for child in node.children:  # address-family blocks hold neighbours too
        children.extend(child.children)
    for child in children:
        w = child.words
        if protocol == "bgp" and w[:1] == ["neighbor"] and len(w) > 3:
            if w[2] == "remote-as":
                found.append(Neighbor("bgp", w[1], remote_as=w[3]))
            elif w[2] == "description":
                descriptions[w[1]] = " ".join(w[3:])
        elif w[:1] == ["neighbor"] and len(w) > 1 and protocol != "bgp":
            found.append(Neighbor(protocol, w[1]))
        elif w[:1] == ["network"] and len(w) > 1 and protocol in ("ospf", "eigrp", "rip"):
            net = wildcard_network(w[1], w[2]) if len(w) > 2 and is_address(w[2]) else w[1]
            area = w[w.index("area") + 1] if "area" in w and w.index("area") + 1 < len(w) else ""
            found.append(Neighbor(protocol, net, area=area))
    for item in found:
        item.description = descriptions.get(item.address, "")
    return found


def _ios_dhcp(node: Node, name: str) -> DhcpScope:
    scope = DhcpScope(name=name)
    for child in node.children:
        w = child.words
        if w[:1] == ["network"] and len(w) > 1:
            scope.network = network(w[1], w[2] if len(w) > 2 and is_address(w[2]) else "")
        elif w[:1] == ["default-router"] and len(w) > 1:
            scope.gateway = w[1]
        elif w[:1] == ["dns-server"]:
            scope.dns_servers = w[1:]
    return scope


def _acl_rule(acl: str, index: int, words: list[str], standard: bool,
              masks: bool) -> Rule | None:
    seq = str(index)
    if words and words[0].isdigit():
        seq, words = words[0], words[1:]
    if words[:1] == ["remark"]:
        return None
    fields = ace(words, masks, standard)
    if fields is None:
        return None
    return Rule(id=f"{acl}:{seq}", kind="acl", name=acl, **fields)  # type: ignore[arg-type]


def _ios_named_acl(node: Node, name: str, standard: bool) -> list[Rule]:
    rules = []
    for index, child in enumerate(node.children, start=1):
        rule = _acl_rule(name, index * 10, child.words, standard, False)
        if rule:
            rules.append(rule)
    return rules


def _ios_nat(words: list[str], index: int) -> NatRule | None:
    if words[:1] == ["list"] and len(words) > 1:
        nat = NatRule(id=str(index), kind="source", source=f"acl {words[1]}")
        if "interface" in words:
            nat.translated_source = f"interface {words[words.index('interface') + 1]}"
        elif "pool" in words:
            nat.translated_source = f"pool {words[words.index('pool') + 1]}"
        return nat
    if words[:1] == ["static"]:
        w = words[1:]
        if w and w[0] in ("tcp", "udp") and len(w) >= 5:
            return NatRule(id=str(index), kind="destination", destination=w[3],
                           service=f"{w[0]}/{w[4]}", translated_destination=w[1],
                           translated_service=f"{w[0]}/{w[2]}")
        if len(w) >= 2:
            return NatRule(id=str(index), kind="static", source=w[0], translated_source=w[1])
    return None


def _ios_line(node: Node, words: list[str], facts: DeviceFacts,
              bindings: dict[str, list[str]]) -> None:
    if words[1] != "vty":
        return
    mgmt = facts.management
    methods = ["telnet"]   # IOS vty lines accept telnet unless told otherwise
    for child in node.children:
        w = child.words
        if w[:2] == ["transport", "input"]:
            methods = w[2:]
        elif w[:1] == ["access-class"] and len(w) > 1:
            bindings.setdefault(w[1], []).append(f"line vty {w[-1] if len(w) > 2 else 'in'}")
    if "all" in methods:
        methods = ["ssh", "telnet"]
    mgmt.telnet = bool(mgmt.telnet) or "telnet" in methods
    if "ssh" in methods:
        mgmt.ssh = True


def _ios_management(root: Node, facts: DeviceFacts) -> None:
    mgmt = facts.management
    for node in root.children:
        w = node.words
        head = w[0] if w else ""
        if head in ("tacacs", "radius") and len(w) > 2 and w[1] == "server":
            address = node.value("address ipv4").split()[0] if node.value("address ipv4") \
                else ""
            mgmt.aaa_servers.append(f"{'tacacs+' if head == 'tacacs' else 'radius'} "
                                    f"{address or w[2]}")
        elif head in ("tacacs-server", "radius-server") and len(w) > 2 and w[1] == "host":
            mgmt.aaa_servers.append(f"{'tacacs+' if head == 'tacacs-server' else 'radius'} "
                                    f"{w[2]}")
        elif head == "ntp" and len(w) > 2 and w[1] in ("server", "peer"):
            mgmt.ntp_servers.append(w[4] if w[2] == "vrf" and len(w) > 4 else w[2])
        elif head == "logging" and len(w) > 1:
            target = w[1:]
            if target[:1] == ["host"]:
                target = target[1:]
            if target[:1] == ["vrf"]:
                target = target[2:]
            if target and is_address(target[0]):
                mgmt.syslog_servers.append(target[0])
        elif head == "snmp-server" and len(w) > 1:
            if w[1] == "community":
                mgmt.snmp_versions.append("v2c")
            elif w[1] in ("group", "user") and "v3" in w:
                mgmt.snmp_versions.append("v3")
            elif w[1] == "host" and len(w) > 2:
                mgmt.snmp_hosts.append(w[2])
                if "version" in w and w.index("version") + 1 < len(w):
                    version = w[w.index("version") + 1]
                    mgmt.snmp_versions.append("v3" if version == "3" else f"v{version}")
        elif head == "username" and len(w) > 1:
            mgmt.local_users.append(w[1])
        elif w[:2] == ["ip", "name-server"]:
            mgmt.dns_servers.extend(x for x in w[2:] if is_address(x))
        elif w[:3] == ["ip", "http", "server"]:
            mgmt.http = True
        elif w[:4] == ["no", "ip", "http", "server"]:
            mgmt.http = False
        elif w[:3] == ["ip", "http", "secure-server"]:
            mgmt.https = True
        elif w[:4] == ["no", "ip", "http", "secure-server"]:
            mgmt.https = False
        elif w[:2] == ["ip", "ssh"] and mgmt.ssh is None:
            mgmt.ssh = True


def _ios_vpns(root: Node, acls: dict[str, list[Rule]]) -> list[Vpn]:
    vpns: dict[str, Vpn] = {}
    for node in root.children:
        w = node.words
        if w[:2] == ["crypto", "map"] and len(w) >= 4 and w[3].isdigit():
            vpn = vpns.setdefault(f"{w[2]} {w[3]}", Vpn(name=f"{w[2]} {w[3]}"))
            for child in node.children:
                _crypto_map_line(vpn, child.words, acls)
        elif w[:1] == ["interface"] and node.first(r"tunnel protection ipsec"):
            vpn = Vpn(name=w[1], interface=w[1],
                      peer=node.value("tunnel destination"),
                      crypto=node.value("tunnel protection ipsec profile").split()[0])
            vpns[w[1]] = vpn
    pools = {w[3]: f"{w[4]}-{w[5]}" for w in (n.words for n in root.children)
             if w[:3] == ["ip", "local", "pool"] and len(w) > 5}
    for node in root.children:
        w = node.words
        if w[:5] == ["crypto", "isakmp", "client", "configuration", "group"] and len(w) > 5:
            pool = node.value("pool")
            vpns[w[5]] = Vpn(name=w[5], kind="remote-access", pool=pools.get(pool, pool))
    return list(vpns.values())


def _crypto_map_line(vpn: Vpn, w: list[str], acls: dict[str, list[Rule]]) -> None:
    if w[:2] == ["set", "peer"] and len(w) > 2:
        vpn.peer = w[2]
    elif w[:2] == ["set", "transform-set"] and len(w) > 2:
        vpn.crypto = " ".join(w[2:])
    elif w[:3] == ["set", "ikev1", "transform-set"] or w[:3] == ["set", "ikev2",
                                                                  "ipsec-proposal"]:
        vpn.crypto = " ".join(w[3:])
    elif w[:2] == ["match", "address"] and len(w) > 2:
        for rule in acls.get(w[2], []):
            if rule.action == "allow":
                vpn.local_subnets += rule.sources
                vpn.remote_subnets += rule.destinations


# ---------------------------------------------------------------- ASA

def parse_asa(text: str) -> DeviceFacts:
    root = parse_tree(text, "ios")
    facts = DeviceFacts(parser="cisco_asa")
    objects: dict[str, str] = {}
    acls: dict[str, list[Rule]] = {}
    bindings: dict[str, tuple[str, str]] = {}   # acl -> (interface, direction)
    pools: dict[str, str] = {}
    for node in root.children:
        w = node.words
        head = w[0] if w else ""
        if head == "hostname" and len(w) > 1:
            facts.hostname = w[1]
        elif head == "domain-name" and len(w) > 1:
            facts.domain = w[1]
        elif head == "interface" and len(w) > 1:
            facts.interfaces.append(_asa_interface(node))
        elif head == "object" and len(w) > 2 and w[1] == "network":
            _asa_object(node, w[2], objects, facts)
        elif head == "route" and len(w) >= 5:
            facts.routes.append(Route(network(w[2], w[3]), gateway=w[4], interface=w[1],
                                      distance=int(w[5]) if len(w) > 5 and w[5].isdigit()
                                      else None))
        elif head == "access-list" and len(w) > 2:
            entry = w[2:]
            if entry[:1] in (["extended"], ["standard"], ["webtype"]):
                standard = entry[0] == "standard"
                entry = entry[1:]
            else:
                standard = False
            rule = _acl_rule(w[1], len(acls.get(w[1], [])) + 1, entry, standard, True)
            if rule:
                acls.setdefault(w[1], []).append(rule)
        elif head == "access-group" and len(w) >= 5 and w[3] == "interface":
            bindings[w[1]] = (w[4], w[2])
        elif head == "access-group" and len(w) >= 3 and w[2] == "global":
            bindings[w[1]] = ("any", "global")
        elif head == "nat" and len(w) > 1:
            nat = _asa_twice_nat(w, sum(1 for n in facts.nat if n.id.startswith("rule ")) + 1)
            if nat:
                facts.nat.append(nat)
        elif w[:3] == ["ip", "local", "pool"] and len(w) > 4:
            pools[w[3]] = w[4]
    for name, rules in acls.items():
        interface, direction = bindings.get(name, ("", ""))
        for rule in rules:
            rule.sources = [_resolved(s, objects) for s in rule.sources]
            rule.destinations = [_resolved(d, objects) for d in rule.destinations]
            if interface:
                rule.kind = "policy"
                rule.applied_to = f"{interface} {direction}"
                if direction == "in":
                    rule.source_zone = interface
                elif direction == "out":
                    rule.destination_zone = interface
        facts.rules.extend(rules)
    _asa_management(root, facts)
    facts.vpns.extend(_asa_vpns(root, acls, pools))
    return facts.finish()


def _resolved(name: str, objects: dict[str, str]) -> str:
    return f"{name} ({objects[name]})" if name in objects and objects[name] != name else name


def _asa_interface(node: Node) -> Interface:
    iface = Interface(name=node.words[1])
    for child in node.children:
        w = child.words
        if w[:1] == ["nameif"] and len(w) > 1:
            iface.zone = w[1]
        elif w[:2] == ["ip", "address"] and len(w) >= 4 and is_address(w[2]):
            iface.addresses.append(prefix(w[2], w[3]))
        elif w[:3] == ["ip", "address", "dhcp"]:
            iface.dhcp_client = True
        elif w[:1] == ["description"]:
            iface.description = child.text.split(None, 1)[1] if len(w) > 1 else ""
        elif w[:1] == ["vlan"] and len(w) > 1 and w[1].isdigit():
            iface.access_vlan = int(w[1])
        elif w[:1] == ["shutdown"]:
            iface.enabled = False
    return iface


def _asa_object(node: Node, name: str, objects: dict[str, str], facts: DeviceFacts) -> None:
    for child in node.children:
        w = child.words
        if w[:1] == ["host"] and len(w) > 1:
            objects[name] = f"{w[1]}/32"
        elif w[:1] == ["subnet"] and len(w) > 2:
            objects[name] = network(w[1], w[2])
        elif w[:1] == ["range"] and len(w) > 2:
            objects[name] = f"{w[1]}-{w[2]}"
        elif w[:1] == ["fqdn"] and len(w) > 1:
            objects[name] = w[-1]
        elif w[:1] == ["nat"] and len(w) > 2:   # object NAT
            interfaces = w[1].strip("()").split(",")
            nat = NatRule(id=f"object {name}", kind=w[2] if w[2] == "static" else "source",
                          interface=",".join(interfaces),
                          source=_resolved(name, objects),
                          translated_source=" ".join(w[3:4]) or "")
            if "service" in w and len(w) > w.index("service") + 3:
                s = w.index("service")
                nat.kind = "destination"
                nat.destination, nat.translated_destination = w[3], _resolved(name, objects)
                nat.source = nat.translated_source = ""
                nat.service = f"{w[s + 1]}/{w[s + 3]}"
                nat.translated_service = f"{w[s + 1]}/{w[s + 2]}"
            facts.nat.append(nat)


def _asa_twice_nat(w: list[str], index: int) -> NatRule | None:
    if len(w) < 5 or "source" not in w:
        return None
    s = w.index("source")
    nat = NatRule(id=f"rule {index}", kind="static" if w[s + 1] == "static" else "source",
                  interface=w[1].strip("()"), source=w[s + 2] if len(w) > s + 2 else "",
                  translated_source=w[s + 3] if len(w) > s + 3 else "")
    if "destination" in w:
        d = w.index("destination")
        nat.destination = w[d + 2] if len(w) > d + 2 else ""
        nat.translated_destination = w[d + 3] if len(w) > d + 3 else ""
    if "service" in w:
        v = w.index("service")
        nat.service = w[v + 1] if len(w) > v + 1 else ""
        nat.translated_service = w[v + 2] if len(w) > v + 2 else ""
    nat.enabled = "inactive" not in w
    return nat


def _asa_management(root: Node, facts: DeviceFacts) -> None:
    mgmt = facts.management
    protocols: dict[str, str] = {}
    for node in root.children:
        w = node.words
        head = w[0] if w else ""
        if head == "aaa-server" and len(w) > 3 and w[2] == "protocol":
            protocols[w[1]] = w[3]
        elif head == "aaa-server" and len(w) > 3 and w[3] == "host":
            mgmt.aaa_servers.append(f"{protocols.get(w[1], w[1])} {w[4] if len(w) > 4 else ''}"
                                    .strip())
        elif head == "ntp" and len(w) > 2 and w[1] == "server":
            mgmt.ntp_servers.append(w[2])
        elif head == "logging" and len(w) > 3 and w[1] == "host":
            mgmt.syslog_servers.append(w[3])
        elif head == "snmp-server" and len(w) > 1:
            if w[1] == "community":
                mgmt.snmp_versions.append("v2c")
            elif w[1] in ("group", "user") and "v3" in w:
                mgmt.snmp_versions.append("v3")
            elif w[1] == "host" and len(w) > 3:
                mgmt.snmp_hosts.append(w[3])
                if "version" in w and w.index("version") + 1 < len(w):
                    version = w[w.index("version") + 1]
                    mgmt.snmp_versions.append("v3" if version == "3" else f"v{version}")
                elif "community" in w:
                    mgmt.snmp_versions.append("v2c")
        elif head == "username" and len(w) > 1:
            mgmt.local_users.append(w[1])
        elif head == "dns" and len(w) > 2 and w[1] == "name-server":
            mgmt.dns_servers.append(w[2])
        elif head in ("ssh", "telnet", "http") and len(w) == 4 and is_address(w[1]):
            service = "https" if head == "http" else head
            mgmt.access.append(f"{service} from {network(w[1], w[2])} ({w[3]})")
            setattr(mgmt, service, True)
        elif w[:3] == ["http", "server", "enable"]:
            mgmt.https = True
    if mgmt.ssh is None:
        mgmt.ssh = False
    if mgmt.telnet is None:
        mgmt.telnet = False


def _asa_vpns(root: Node, acls: dict[str, list[Rule]], pools: dict[str, str]) -> list[Vpn]:
    vpns: dict[str, Vpn] = {}
    bound: dict[str, str] = {}
    for node in root.children:
        w = node.words
        if w[:2] == ["crypto", "map"] and len(w) >= 4:
            if w[3] == "interface" and len(w) > 4:
                bound[w[2]] = w[4]
            elif w[3].isdigit():
                vpn = vpns.setdefault(f"{w[2]} {w[3]}", Vpn(name=f"{w[2]} {w[3]}"))
                _crypto_map_line(vpn, w[4:], acls)
        elif w[:1] == ["tunnel-group"] and len(w) > 3 and w[2:4] == ["type", "remote-access"]:
            vpns[w[1]] = Vpn(name=w[1], kind="remote-access")
    for node in root.children:
        w = node.words
        if w[:1] == ["tunnel-group"] and len(w) > 2 and w[2] == "general-attributes" \
                and w[1] in vpns:
            pool = node.value("address-pool")
            vpns[w[1]].pool = pools.get(pool, pool)
    for vpn in vpns.values():
        vpn.interface = bound.get(vpn.name.split(" ")[0], "")
        vpn.local_subnets = [_strip_object(s) for s in vpn.local_subnets]
        vpn.remote_subnets = [_strip_object(s) for s in vpn.remote_subnets]
    return list(vpns.values())


def _strip_object(text: str) -> str:
    match = re.match(r"^\S+ \((.+)\)$", text)
    return match.group(1) if match else text


__all__ = ["parse_ios", "parse_asa", "ace", "vlan_list", "split_words"]
