"""Facts from Juniper Junos configurations in brace form (`show configuration`).

ciscoconfparse2's junos syntax turns `{ }` blocks into an indented tree; `under()`
walks it by keyword. Security zones, policies, NAT and IKE are read for SRX
firewalls; interfaces, VLANs, static routes, BGP/OSPF and management for every
Junos box. The `display set` variant is reported as a note (not read).
"""
from __future__ import annotations

from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Neighbor, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import Node, is_address, parse_tree, split_words


def words(node: Node) -> list[str]:
    """The line's words without the brackets of a `[ a b ]` list."""
    out = []
    for word in node.words:
        word = word.strip("[]")
        if word:
            out.append(word)
    return out


def under(node: Node | None, *keys: str) -> list[Node]:
    """Children reached by the first word of each level (`*` for any)."""
    level = [node] if node is not None else []
    for key in keys:
        level = [c for n in level for c in n.children
                 if key == "*" or (c.words[:1] == [key])]
    return level


def one(node: Node | None, *keys: str) -> Node | None:
    found = under(node, *keys)
    return found[0] if found else None


def arg(node: Node | None, key: str) -> list[str]:
    """The values of `key VALUE...;` directly under node (brackets dropped)."""
    if node is None:
        return []
    out: list[str] = []
    for child in node.children:
        w = words(child)
        if w[:1] == [key]:   # `key a;`, `key [ a b ];` or `key { a; b; }`
            out.extend(w[1:] or [x for c in child.children for x in words(c)[:1]])
    return out


def first(node: Node | None, key: str) -> str:
    values = arg(node, key)
    return values[0] if values else ""


# `display set` to the brace tree: a container keyword is a level of its own, a named
# keyword takes its name along ("user netdoc", "security-zone trust"), the items of a
# list container are levels ("interfaces" > "ge-0/0/0"), and the rest is one leaf line.
CONTAINERS = frozenset("""system services login ntp syslog security ike ipsec zones policies
    nat source destination static interfaces ethernet-switching vlan
    routing-options protocols bgp ospf snmp access address-assignment dhcp-attributes match
    then host-inbound-traffic system-services web-management root-authentication
    authentication targets source-nat destination-nat static-nat v3 vlans
    global""".split())
NAMED = frozenset("""user security-zone policy proposal gateway vpn rule-set rule pool group
    neighbor area interface route server host community range file traffic-selector unit
    term filter tacplus-server radius-server family trap-group""".split())
ITEMS = frozenset({"interfaces", "vlans", "targets"})   # their children are names


def set_tree(lines: list[str]) -> Node:
    root = Node("")
    for line in lines:
        if not line.startswith("set "):
            continue   # deactivated and comment lines say nothing configured
        words_ = split_words(line)[1:]
        node, parent_word, i = root, "", 0
        while i < len(words_):
            word = words_[i]
            if parent_word in ITEMS and word not in CONTAINERS:
                label, step = word, 1
            elif word == "from-zone" and i + 3 < len(words_):
                label, step = " ".join(words_[i:i + 4]), 4
            elif word in NAMED and i + 1 < len(words_):
                label, step = f"{word} {words_[i + 1]}", 2
            elif word in CONTAINERS and i + 1 < len(words_):
                label, step = word, 1
            else:
                label, step = " ".join(_quoted(w) for w in words_[i:]), len(words_) - i
            child = next((c for c in node.children if c.text == label), None)
            if child is None:
                child = Node(label)
                node.children.append(child)
            node, parent_word, i = child, word, i + step
    return root


def _quoted(word: str) -> str:
    return f'"{word}"' if " " in word else word


def parse_junos(text: str) -> DeviceFacts:
    facts = DeviceFacts(parser="junos")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and all(line.startswith(("set ", "deactivate ", "#", "##")) for line in lines[:50]):
        root = set_tree(lines)   # `show configuration | display set`
    else:
        root = parse_tree(text, "junos")
    system = one(root, "system")
    facts.hostname = first(system, "host-name")
    facts.domain = first(system, "domain-name")
    zones: dict[str, str] = {}
    mgmt = facts.management
    mgmt.telnet = mgmt.ssh = mgmt.https = mgmt.http = False
    for zone in under(root, "security", "zones", "security-zone"):
        name = words(zone)[1] if len(words(zone)) > 1 else ""
        for item in under(zone, "interfaces", "*"):
            zones[words(item)[0]] = name
            for service in under(item, "host-inbound-traffic", "system-services", "*"):
                svc = words(service)[0]
                if svc in ("ssh", "https", "http", "telnet", "all"):
                    mgmt.access.append(f"{svc} on {words(item)[0]} (zone {name})")
    named: dict[str, int] = {}
    for vlan in under(root, "vlans", "*"):
        vid = first(vlan, "vlan-id")
        if vid.isdigit():
            facts.vlans.append(Vlan(int(vid), words(vlan)[0]))
            named[words(vlan)[0]] = int(vid)
    _interfaces(root, facts, zones, named)
    for vlan in under(root, "vlans", "*"):
        for iface in facts.interfaces:
            if iface.name == first(vlan, "l3-interface") and first(vlan, "vlan-id").isdigit():
                iface.access_vlan = int(first(vlan, "vlan-id"))
    for route in under(root, "routing-options", "static", "route"):
        w = words(route)
        gateway = first(route, "next-hop") or (w[3] if len(w) > 3 and w[2] == "next-hop"
                                               else "")
        facts.routes.append(Route(w[1], gateway=gateway) if is_address(gateway) or not gateway
                            else Route(w[1], interface=gateway))
    for group in under(root, "protocols", "bgp", "group"):
        group_as = first(group, "peer-as")
        for neighbor in under(group, "neighbor"):
            facts.neighbors.append(Neighbor("bgp", words(neighbor)[1],
                                            remote_as=first(neighbor, "peer-as") or group_as,
                                            description=first(neighbor, "description")))
    for area in under(root, "protocols", "ospf", "area"):
        for member in under(area, "interface"):
            facts.neighbors.append(Neighbor("ospf", words(member)[1], area=words(area)[1]))
    for pool in under(root, "access", "address-assignment", "pool"):
        scope = DhcpScope(name=words(pool)[1])
        for family in under(pool, "family"):
            scope.network = first(family, "network")
            for rng in under(family, "range"):
                scope.ranges.append(f"{first(rng, 'low')}-{first(rng, 'high')}")
            attrs = one(family, "dhcp-attributes")
            scope.gateway = first(attrs, "router")
            scope.dns_servers = arg(attrs, "name-server")
        facts.dhcp.append(scope)
    _security(root, facts)
    _management(root, system, facts)
    return facts.finish()


def _interfaces(root: Node, facts: DeviceFacts, zones: dict[str, str],
                named: dict[str, int]) -> None:
    for physical in under(root, "interfaces", "*"):
        base = words(physical)[0]
        if base in ("interface-range",):
            continue
        units = under(physical, "unit")
        if not units:
            facts.interfaces.append(Interface(base, first(physical, "description"),
                                              enabled=not arg(physical, "disable") and
                                              not any(words(c) == ["disable"]
                                                      for c in physical.children)))
        for unit in units:
            name = f"{base}.{words(unit)[1]}"
            iface = Interface(name, first(unit, "description") or
                              first(physical, "description"), zone=zones.get(name, ""))
            for family in under(unit, "family"):
                iface.addresses += [" ".join(words(a)[1:2]) for a in under(family, "address")]
                if any(words(c) == ["dhcp"] or words(c)[:1] == ["dhcp"]
                       for c in family.children):
                    iface.dhcp_client = True
                mode = first(family, "interface-mode") or first(family, "port-mode")
                if mode:
                    iface.mode = mode
                members = [m for v in under(family, "vlan") for m in arg(v, "members")]
                ids = [int(m) if m.isdigit() else named[m] for m in members
                       if m.isdigit() or m in named]
                if mode == "trunk":
                    iface.tagged_vlans += ids
                elif ids:
                    iface.access_vlan = ids[0]
            vid = first(unit, "vlan-id")
            if vid.isdigit():
                iface.access_vlan = int(vid)
            if any(words(c) == ["disable"] for c in unit.children + physical.children):
                iface.enabled = False
            facts.interfaces.append(iface)


def _security(root: Node, facts: DeviceFacts) -> None:
    security = one(root, "security")
    if security is None:
        return
    for block in under(security, "policies", "from-zone"):
        w = words(block)
        src, dst = w[1], w[3] if len(w) > 3 else ""
        for policy in under(block, "policy"):
            facts.rules.append(_policy(policy, src, dst))
    for policy in under(security, "policies", "global", "policy"):
        facts.rules.append(_policy(policy, "any", "any"))
    proposals = {words(p)[1]: " ".join(x for x in (first(p, "encryption-algorithm"),
                                                   first(p, "dh-group")) if x)
                 for p in under(security, "ike", "proposal")}
    ike_policies = {words(p)[1]: arg(p, "proposals") for p in under(security, "ike", "policy")}
    gateways: dict[str, Vpn] = {}
    for gw in under(security, "ike", "gateway"):
        name = words(gw)[1]
        crypto = [proposals.get(p, p) for p in ike_policies.get(first(gw, "ike-policy"), [])]
        vpn = Vpn(name=name, peer=first(gw, "address"),
                  interface=first(gw, "external-interface"), crypto=", ".join(crypto))
        if under(gw, "dynamic"):
            vpn.kind = "remote-access"
        gateways[name] = vpn
        facts.vpns.append(vpn)
    for vpn_node in under(security, "ipsec", "vpn"):
        found = gateways.get(first(one(vpn_node, "ike"), "gateway"))
        if found is None:
            continue
        found.name = f"{words(vpn_node)[1]} ({found.name})"
        for selector in under(vpn_node, "traffic-selector"):
            found.local_subnets += arg(selector, "local-ip")
            found.remote_subnets += arg(selector, "remote-ip")
        found.interface = first(vpn_node, "bind-interface") or found.interface
    _nat(security, facts)


def _policy(policy: Node, src: str, dst: str) -> Rule:
    match = one(policy, "match")
    then = one(policy, "then")
    action = "deny"
    for child in (then.children if then is not None else []):
        word = words(child)[0] if words(child) else ""
        if word in ("permit", "deny", "reject"):
            action = {"permit": "allow"}.get(word, word)
    return Rule(id=words(policy)[1], kind="policy", name=words(policy)[1],
                source_zone=src, destination_zone=dst,
                sources=arg(match, "source-address") or ["any"],
                destinations=arg(match, "destination-address") or ["any"],
                services=arg(match, "application") or ["any"], action=action,
                enabled=not any(words(c) == ["inactive"] for c in policy.children))


def _nat(security: Node, facts: DeviceFacts) -> None:
    pools = {words(p)[1]: " ".join(arg(p, "address"))
             for kind in ("destination", "source")
             for p in under(security, "nat", kind, "pool")}
    for kind in ("source", "destination", "static"):
        for rule_set in under(security, "nat", kind, "rule-set"):
            zone = " ".join(arg(rule_set, "from"))   # `from zone trust;`
            for rule in under(rule_set, "rule"):
                match = one(rule, "match")
                then = one(rule, "then")
                nat = NatRule(id=f"{words(rule_set)[1]}/{words(rule)[1]}", kind=kind,
                              interface=zone,
                              source=" ".join(arg(match, "source-address")) or "any",
                              destination=" ".join(arg(match, "destination-address")))
                port = first(match, "destination-port")
                if port:
                    nat.service = f"port {port}"
                action = one(then, f"{kind}-nat")
                target = " ".join(words(c)[0] if words(c)[0] != "pool" else
                                  pools.get(" ".join(words(c)[1:2]), " ".join(words(c)[1:]))
                                  for c in (action.children if action is not None else []))
                target = target or (" ".join(words(action)[1:]) if action is not None else "")
                if kind == "source":
                    nat.translated_source = target or "interface"
                elif kind == "destination":
                    address, _, translated_port = target.partition(" port ")
                    nat.translated_destination = address
                    nat.translated_service = f"port {translated_port}" if translated_port \
                        else ""
                else:
                    nat.translated_source = target
                facts.nat.append(nat)


def _management(root: Node, system: Node | None, facts: DeviceFacts) -> None:
    mgmt = facts.management
    services = one(system, "services")
    for child in (services.children if services is not None else []):
        word = words(child)[0] if words(child) else ""
        if word in ("ssh", "telnet"):
            setattr(mgmt, word, True)
        elif word == "web-management":
            mgmt.https = bool(under(child, "https"))
            mgmt.http = bool(under(child, "http"))
    mgmt.ntp_servers = [words(s)[1] for s in under(system, "ntp", "server")]
    mgmt.syslog_servers = [words(s)[1] for s in under(system, "syslog", "host")]
    mgmt.dns_servers = arg(system, "name-server")
    mgmt.local_users = [words(u)[1] for u in under(system, "login", "user")]
    mgmt.aaa_servers = [f"radius {a}" for a in arg(system, "radius-server")] + \
        [f"tacacs+ {a}" for a in arg(system, "tacplus-server")]
    snmp = one(root, "snmp")
    if under(snmp, "community"):
        mgmt.snmp_versions.append("v2c")
    if under(snmp, "v3"):
        mgmt.snmp_versions.append("v3")
    mgmt.snmp_hosts = [t for g in under(snmp, "trap-group") for t in
                       (words(x)[0] for x in under(g, "targets", "*"))]
