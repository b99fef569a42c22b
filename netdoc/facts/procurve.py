"""Facts from HPE ProCurve / Aruba AOS-S and Aruba AOS-CX switch configurations.

    parse_procurve(text)   parser name: procurve   (VLANs own their ports:
                                                    `vlan 20` / `tagged 1-23`)
    parse_aoscx(text)      parser name: aoscx      (ports own their VLANs:
                                                    `vlan access 10`, `vlan trunk allowed`)

Both are indented and read with ciscoconfparse2; access lists use the Cisco
entry grammar (netdoc.facts.cisco.ace).
"""
from __future__ import annotations

import re

from netdoc.facts.cisco import ace, vlan_list
from netdoc.facts.model import DeviceFacts, Interface, Route, Rule, Vlan
from netdoc.facts.tree import Node, is_address, network, parse_tree, prefix


def port_list(text: str) -> list[str]:
    """'1-3,A1-A2,1/1-1/2,Trk1' -> ['1', '2', '3', 'A1', 'A2', '1/1', '1/2', 'Trk1']."""
    out: list[str] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        a = re.match(r"^(.*?)(\d+)$", first)
        b = re.match(r"^(.*?)(\d+)$", last) if last else None
        if a and b and a.group(1) == b.group(1) and int(b.group(2)) - int(a.group(2)) < 1000:
            out += [f"{a.group(1)}{n}" for n in range(int(a.group(2)), int(b.group(2)) + 1)]
        elif part:
            out.append(part)
    return out


def _common_management(w: list[str], facts: DeviceFacts) -> None:
    mgmt = facts.management
    head = w[0] if w else ""
    if head == "hostname" and len(w) > 1:
        facts.hostname = w[1]
    elif head == "snmp-server" and len(w) > 1:
        if w[1] == "community":
            mgmt.snmp_versions.append("v2c")
        elif w[1] == "host" and len(w) > 2:
            mgmt.snmp_hosts.append(w[2])
    elif head in ("snmpv3",) or (head == "snmp-server" and w[1:2] == ["user"]) or \
            w[:2] == ["snmpv3", "enable"]:
        mgmt.snmp_versions.append("v3")
    elif head in ("radius-server", "tacacs-server") and len(w) > 2 and w[1] == "host":
        mgmt.aaa_servers.append(f"{'radius' if head == 'radius-server' else 'tacacs+'} {w[2]}")
    elif head in ("sntp", "ntp") and "server" in w:
        address = next((x for x in w[w.index("server") + 1:] if is_address(x)), "")
        if address:
            mgmt.ntp_servers.append(address)
    elif head == "logging" and len(w) > 1 and is_address(w[1]):
        mgmt.syslog_servers.append(w[1])
    elif w[:2] == ["ip", "route"] and len(w) > 3:
        if "/" in w[2]:
            facts.routes.append(Route(network(w[2]), gateway=w[3]))
        elif len(w) > 4:
            facts.routes.append(Route(network(w[2], w[3]), gateway=w[4]))
    elif w[:2] == ["ip", "default-gateway"] and len(w) > 2:
        facts.default_gateway = w[2]


def _acl(node: Node, name: str, facts: DeviceFacts) -> None:
    for index, child in enumerate(node.children, start=1):
        cw = child.words
        seq = str(index * 10)
        if cw and cw[0].isdigit():
            seq, cw = cw[0], cw[1:]
        fields = ace(cw, masks=False)
        if fields:
            facts.rules.append(Rule(id=f"{name}:{seq}", kind="acl", name=name,
                                    **fields))  # type: ignore[arg-type]


def parse_procurve(text: str) -> DeviceFacts:
    root = parse_tree(text, "ios")
    facts = DeviceFacts(parser="procurve")
    mgmt = facts.management
    mgmt.telnet, mgmt.ssh, mgmt.http, mgmt.https = True, True, True, False  # AOS-S defaults
    ports: dict[str, Interface] = {}

    def port(name: str) -> Interface:
        return ports.setdefault(name, Interface(name=name))

    for node in root.children:
        w = node.words
        head = w[0] if w else ""
        if head == "vlan" and len(w) == 2 and w[1].isdigit():
            vid = int(w[1])
            facts.vlans.append(Vlan(vid, node.value("name")))
            for child in node.children:
                cw = child.words
                if cw[:1] == ["untagged"] and len(cw) > 1:
                    for p in port_list(cw[1]):
                        port(p).access_vlan = vid
                elif cw[:1] == ["tagged"] and len(cw) > 1:
                    for p in port_list(cw[1]):
                        port(p).tagged_vlans.append(vid)
                elif cw[:2] == ["ip", "address"] and len(cw) > 3 and is_address(cw[2]):
                    svi = port(f"vlan {vid}")
                    svi.addresses.append(prefix(cw[2], cw[3]))
                    svi.access_vlan, svi.mode = vid, "routed"
                elif cw[:2] == ["ip", "address"] and cw[2:3] == ["dhcp-bootp"]:
                    svi = port(f"vlan {vid}")
                    svi.dhcp_client, svi.access_vlan = True, vid
        elif head == "interface" and len(w) > 1:
            item = port(w[1])
            item.description = node.value("name")
            item.enabled = not node.first(r"disable$")
        elif w[:2] == ["ip", "access-list"] and len(w) > 3:
            _acl(node, w[3], facts)
        elif w[:3] == ["password", "manager", "user-name"] or \
                w[:3] == ["password", "operator", "user-name"]:
            mgmt.local_users.append(w[3] if len(w) > 3 else w[1])
        elif w == ["no", "telnet-server"]:
            mgmt.telnet = False
        elif w == ["no", "ip", "ssh"]:
            mgmt.ssh = False
        elif w == ["no", "web-management"]:
            mgmt.http = mgmt.https = False
        elif w[:2] == ["web-management", "ssl"]:
            mgmt.https = True
        elif w[:2] == ["no", "web-management"] and w[2:3] == ["plaintext"]:
            mgmt.http = False
        elif w[:3] == ["ip", "dns", "server-address"]:
            mgmt.dns_servers += [x for x in w if is_address(x)]
        else:
            _common_management(w, facts)
    for item in ports.values():
        if item.tagged_vlans and item.mode != "routed":
            item.mode = "trunk"
        elif item.access_vlan is not None and item.mode != "routed":
            item.mode = "access"
    facts.interfaces = list(ports.values())
    return facts.finish()


def parse_aoscx(text: str) -> DeviceFacts:
    root = parse_tree(text, "ios")
    facts = DeviceFacts(parser="aoscx")
    mgmt = facts.management
    mgmt.telnet, mgmt.ssh, mgmt.http, mgmt.https = False, False, False, False
    for node in root.children:
        w = node.words
        head = w[0] if w else ""
        if head == "vlan" and len(w) == 2 and w[1].isdigit():
            facts.vlans.append(Vlan(int(w[1]), node.value("name")))
        elif head == "interface" and len(w) > 1:
            facts.interfaces.append(_cx_interface(node, " ".join(w[1:])))
        elif head == "user" and len(w) > 1:
            mgmt.local_users.append(w[1])
        elif w[:2] == ["ssh", "server"]:
            mgmt.ssh = True
        elif w[:1] == ["https-server"]:
            mgmt.https = True
        elif w[:1] == ["telnet-server"] or w[:2] == ["telnet", "server"]:
            mgmt.telnet = True
        elif w[:2] == ["access-list", "ip"] and len(w) > 2:
            _acl(node, w[2], facts)
        elif w[:2] == ["ip", "dns"] and "server-address" in w:
            mgmt.dns_servers += [x for x in w if is_address(x)]
        else:
            _common_management(w, facts)
    return facts.finish()


def _cx_interface(node: Node, name: str) -> Interface:
    iface = Interface(name=name, description=node.value("description"))
    if name.startswith("vlan") and name[4:].strip().isdigit():
        iface.access_vlan, iface.mode = int(name[4:].strip()), "routed"
    for child in node.children:
        cw = child.words
        if cw[:2] == ["ip", "address"] and len(cw) > 2 and "/" in cw[2]:
            iface.addresses.append(cw[2])
            iface.mode = iface.mode or "routed"
        elif cw[:2] == ["ip", "dhcp"]:
            iface.dhcp_client = True
        elif cw[:2] == ["vlan", "access"] and len(cw) > 2 and cw[2].isdigit():
            iface.access_vlan, iface.mode = int(cw[2]), "access"
        elif cw[:3] == ["vlan", "trunk", "allowed"] and len(cw) > 3:
            iface.tagged_vlans += vlan_list(cw[3]) if cw[3] != "all" else []
            iface.mode = "trunk"
        elif cw[:3] == ["vlan", "trunk", "native"] and len(cw) > 3 and cw[3].isdigit():
            iface.access_vlan, iface.mode = int(cw[3]), "trunk"
        elif cw == ["shutdown"]:
            iface.enabled = False
    return iface
