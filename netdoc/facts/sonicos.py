"""Facts from SonicWall SonicOS 6.x and 7 CLI configurations (`show current-config`).

The indented blocks (`interface X0`, `access-rule ipv4 from LAN to WAN action
allow`, `vpn` / `policy site-to-site NAME`, ...) are read with ciscoconfparse2;
address and service objects are resolved so a rule says what it lets through.

The releases write the same things in different forms, and all are read:
- access rules and NAT policies: `access-rule ipv4 from ...` / `nat-policy ipv4 ...`
  (6.5, 7) or without `ipv4` (6.2); their fields on the header line, in the block
  below it, or both (the block wins); `id N` (6.2) or `uuid`/`name` (6.5, 7);
- address objects: one line `address-object ipv4 NAME host|network|range ... zone Z`
  or a block with `host`/`network`/`range`/`zone` lines (6.5);
- interfaces: `ip-assignment ZONE static` with `ip`/`netmask`/`gateway` below it, or
  `zone Z` and `ip A netmask M` directly in the interface (6.2);
- the per-interface objects SonicOS makes itself (`X1 IP`, `X0 Subnet`,
  `X1 Default Gateway`, `X0:V30 Subnet`) resolve to the interface's addresses.
"""
from __future__ import annotations

from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Route, Rule, Vlan,
                                Vpn)
from netdoc.facts.tree import Node, is_address, network, parse_tree, prefix


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


def _address_value(words: list[str]) -> str:
    """`host A` / `network A M` / `range A B` -> "A/32" / "N/len" / "A-B" ('' otherwise)."""
    if len(words) > 1 and words[0] == "host":
        return f"{words[1]}/32"
    if len(words) > 2 and words[0] == "network":
        return network(words[1], words[2])
    if len(words) > 2 and words[0] == "range":
        return f"{words[1]}-{words[2]}"
    return ""


def _interface_addresses(node: Node) -> tuple[str, str, str]:
    """(ip, netmask, gateway) of an interface block, 6.x and 7 forms."""
    ip = mask = gateway = ""
    for line in node.walk():
        lw = line.words
        if lw[:1] == ["ip"] and len(lw) > 1 and is_address(lw[1]):
            ip = ip or lw[1]
            if len(lw) > 3 and lw[2] == "netmask":
                mask = mask or lw[3]
        elif lw[:1] == ["netmask"] and len(lw) > 1:
            mask = mask or lw[1]
        elif lw[:1] == ["gateway"] and len(lw) > 1 and is_address(lw[-1]):
            gateway = gateway or lw[-1]
    return ip, mask, gateway


def _interface_zone(node: Node) -> str:
    for child in node.children:
        cw = child.words
        if cw[:1] in (["ip-assignment"], ["zone"]) and len(cw) > 1:
            return cw[1]
    return ""


def _builtin_objects(interfaces: list[Node], addresses: dict[str, str]) -> None:
    """The objects SonicOS makes itself: per interface 'X1 IP', 'X1 Subnet', 'X1 Default
    Gateway'; per zone 'LAN Subnets', 'WAN Interface IP'. A user's object of that name wins."""
    made: dict[str, list[str]] = {}
    for node in interfaces:
        name, zone = node.words[1], _interface_zone(node)
        ip, mask, gateway = _interface_addresses(node)
        if not ip:
            continue
        subnet = network(ip, mask) if mask else ""
        made.setdefault(f"{name} IP", []).append(f"{ip}/32")
        if subnet:
            made.setdefault(f"{name} Subnet", []).append(subnet)
        if gateway:
            made.setdefault(f"{name} Default Gateway", []).append(f"{gateway}/32")
        if zone:
            made.setdefault(f"{zone} Interface IP", []).append(f"{ip}/32")
            if subnet:
                made.setdefault(f"{zone} Subnets", []).append(subnet)
    for key, values in made.items():
        if key not in addresses:
            addresses[key] = ", ".join(dict.fromkeys(values))


def parse_sonicos(text: str) -> DeviceFacts:
    root = parse_tree(text, "ios")
    facts = DeviceFacts(parser="sonicos")
    mgmt = facts.management
    mgmt.telnet = mgmt.ssh = mgmt.https = mgmt.http = False
    addresses: dict[str, str] = {}
    services: dict[str, str] = {}
    for node in root.children:
        w = node.words
        if w[:1] == ["address-object"] and len(w) > 2:
            rest = w[2:] if w[1] in ("ipv4", "ipv6") else w[1:]
            value = _address_value(rest[1:])
            for child in node.children:   # 6.5: the block form
                value = value or _address_value(child.words)
            if value:
                addresses[rest[0]] = value
        elif w[:1] == ["service-object"] and len(w) > 4:
            services[w[1]] = f"{w[2].lower()}/{w[3]}" + (f"-{w[4]}" if w[4] != w[3] else "")
    for node in root.children:   # groups: their members' values (after the objects)
        w = node.words
        if w[:1] == ["address-group"] and len(w) > 2:
            name = w[2] if w[1] in ("ipv4", "ipv6") else w[1]
            members = [c.words[-1] for c in node.children
                       if c.words[:1] in (["address-object"], ["address-group"])
                       and len(c.words) > 1]
            if members and name not in addresses:
                addresses[name] = ", ".join(addresses.get(m, m) for m in members)
    _builtin_objects([n for n in root.children if n.words[:1] == ["interface"]
                      and len(n.words) > 1], addresses)

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
            if w[1:2] == ["policy"]:   # `vpn policy site-to-site NAME` as one block
                node.text = " ".join(["policy", *node.text.split(None, 2)[2:]])
                node.__dict__.pop("words", None)
                _vpn(node, facts, addresses)
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
        elif cw[:1] == ["zone"] and len(cw) > 1:   # 6.2: the zone on its own line
            iface.zone = iface.zone or cw[1]
        elif cw[:1] == ["ip"] and len(cw) > 3 and cw[2] == "netmask" and is_address(cw[1]):
            iface.addresses.append(prefix(cw[1], cw[3]))   # 6.2: ip A netmask M
        elif cw[:1] == ["gateway"] and len(cw) > 1 and is_address(cw[-1]) and \
                (iface.zone or "").upper() == "WAN":
            facts.routes.append(Route("0.0.0.0/0", gateway=cw[-1], interface=name))
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
    tail = _rule_tail(w[w.index("action") + 2:] if "action" in w else [])
    source, destination, service = (tail.get("source", "any"), tail.get("destination", "any"),
                                    tail.get("service", "any"))
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
    name = node.value("name")
    if node.value("id"):
        rule_id = node.value("id")
    elif name and not any(r.id == name for r in facts.rules):
        rule_id = name   # 6.5, 7: a rule's name says more than its uuid
    index = sum(1 for r in facts.rules if r.source_zone == src_zone
                and r.destination_zone == dst_zone) + 1
    facts.rules.append(Rule(
        id=rule_id or f"{src_zone}->{dst_zone} {index}", kind="policy",
        name=node.value("name"), source_zone=src_zone, destination_zone=dst_zone,
        sources=[_named(source, addresses)], destinations=[_named(destination, addresses)],
        services=[_named(service, services)], action=action, enabled=enabled,
        comment=node.value("comment")))


def _rule_tail(words: list[str]) -> dict[str, str]:
    """The fields an access rule's header line may carry after its action (6.x):
    `source address REF`, `service REF`, `destination address REF`, `source port REF`."""
    out: dict[str, str] = {}
    i = 0

    def ref_length(j: int) -> int:
        if j < len(words) and words[j] in ("name", "group", "host"):
            return 2
        return 3 if j < len(words) and words[j] == "network" else 1

    while i < len(words):
        word = words[i]
        if word in ("source", "destination") and i + 1 < len(words) and \
                words[i + 1] in ("address", "port"):
            size = ref_length(i + 2)
            if words[i + 1] == "address":
                out[word] = _ref(words[i + 2:i + 2 + size])
            i += 2 + size
        elif word == "service" and i + 1 < len(words):
            size = ref_length(i + 1)
            out["service"] = _ref(words[i + 1:i + 1 + size])
            i += 1 + size
        else:
            i += 1
    return out


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
    for child in node.children:   # the block repeats (6.2) or holds (6.5, 7) the fields
        p.update(_pairs(child.words))
    kind = "destination" if p.get("translated-destination", "original") != "original" \
        else "source" if p.get("translated-source", "original") != "original" else "static"
    facts.nat.append(NatRule(
        id=node.value("name") or node.value("id") or str(len(facts.nat) + 1), kind=kind,
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
