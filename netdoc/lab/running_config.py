"""What the lab's IOS-like devices say: their running config and `show version`.

The running config is generated per node from the topology (hostname,
interfaces with descriptions and addresses, routes, snmp-server lines, a
`! Last configuration change at ...` line that differs on each generation) and
written to a file the SSH CLI re-reads on every `show running-config`, so tests
can change a device's config by editing that file.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from datetime import datetime, timezone

from netdoc.lab.topology import BRIDGE, Node, Port, Topology

MGMT_ACL = "MGMT-ACCESS"      # who may log in to a router or firewall (vty access-class)
OUTSIDE_ACL = "OUTSIDE-IN"    # a firewall's inbound rules on its internet side
NAT_ACL = "NAT-INSIDE"        # the inside networks a firewall translates
CRYPTO_MAP = "VPN-MAP"
TRANSFORM_SET = "TS-AES256"
PUBLISHED_PORT = 443          # a firewall publishes its first inside server's HTTPS

UPTIME_PLACEHOLDER = "{uptime}"  # filled in by the CLI server when `show version` runs


def ios_port_name(linux_name: str) -> str:
    """Gi1-0-25 -> GigabitEthernet1/0/25 (Linux names cannot hold '/')."""
    match = re.fullmatch(r"Gi(\d+(?:-\d+)*)", linux_name)
    if not match:
        return linux_name
    return "GigabitEthernet" + match.group(1).replace("-", "/")


def short_port_name(linux_name: str) -> str:
    """Gi1-0-25 -> Gi1/0/25, as IOS prints it in descriptions and neighbours."""
    return re.sub(r"^(Gi)(\d.*)$", lambda m: m.group(1) + m.group(2).replace("-", "/"),
                  linux_name)


def port_description(topology: Topology, port: Port) -> str:
    """What a tidy technician would have typed as the port's description."""
    peer = topology.peer(port)
    node = topology.nodes[peer.node]
    if node.spec.lldp or node.spec.bridge and node.managed:
        return f"uplink to {peer.node} {short_port_name(peer.name)}"
    return f"{peer.node} ({node.kind})"


def fake_secret_hash(secret: str, salt: str) -> str:
    """A type-9-looking hash: the config shows that a secret is set, never the secret."""
    digest = hashlib.sha256((salt + secret).encode()).digest()
    return "$9$" + base64.b64encode(salt.encode()).decode()[:14] + "$" + \
        base64.b64encode(digest).decode().rstrip("=")[:43]


def last_change_line(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"! Last configuration change at {now:%H:%M:%S} UTC {now:%a %b %d %Y} by netdoc"


def _natural(name: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def render_running_config(topology: Topology, node: Node, *, community: str, ssh_user: str,
                          ssh_password: str, enable_secret: str,
                          now: datetime | None = None) -> str:
    version = node.platform.version.split("(")[0]
    lines = [
        "!", last_change_line(now), "!",
        f"version {version}",
        "no service pad",
        "service timestamps debug datetime msec",
        "service timestamps log datetime msec",
        "service password-encryption",
        "!", f"hostname {node.name}", "!",
        "boot-start-marker", "boot-end-marker", "!",
        f"enable secret 9 {fake_secret_hash(enable_secret, node.name + 'en')}", "!",
        f"username {ssh_user} privilege 15 secret 9 "
        f"{fake_secret_hash(ssh_password, node.name + 'user')}",
        "no aaa new-model",
        "clock timezone UTC 0 0",
        "!",
        f"ip domain name {topology.domain}",
        "ip ssh version 2",
        "!",
    ]
    if node.spec.bridge:
        lines += ["spanning-tree mode rapid-pvst", "spanning-tree extend system-id", "!"]
    lines += _interfaces(topology, node)
    if node.spec.bridge:
        if node.gateway:
            lines += [f"ip default-gateway {node.gateway}"]
        lines += ["no ip http server", "no ip http secure-server", "!"]
    else:
        lines += ["ip forward-protocol nd", "no ip http server", "!"]
        if node.gateway:
            lines.append(f"ip route 0.0.0.0 0.0.0.0 {node.gateway}")
        for network, via in node.routes.items():
            lines.append(f"ip route {network.network_address} {network.netmask} {via}")
        lines.append("!")
        lines += _management_acl(topology, node)
        if node.kind == "firewall":
            lines += _firewall_policy(topology, node, enable_secret)
    vty_acl = [f" access-class {MGMT_ACL} in"] if node.spec.forwards else []
    lines += [
        f"snmp-server community {community} RO",
        f"snmp-server location {node.location}",
        f"snmp-server contact {topology.contact}",
        "snmp-server group netdoc-ro v3 priv",
        "!", "lldp run", "!",
        "line con 0", " logging synchronous",
        "line vty 0 4", *vty_acl, " login local", " transport input ssh",
        "line vty 5 15", *vty_acl, " login local", " transport input ssh",
        "!", "ntp server 192.0.2.1" if node.mgmt_ip != "192.0.2.1" else "ntp master 3",
        "end",
    ]
    return "\n".join(lines) + "\n"


def _interfaces(topology: Topology, node: Node) -> list[str]:
    lines: list[str] = []
    for port in sorted(topology.ports(node.name), key=_natural):
        lines.append(f"interface {ios_port_name(port)}")
        lines.append(f" description {port_description(topology, Port(node.name, port))}")
        address = node.addresses.get(port)
        if node.spec.bridge and topology.vlan_aware:
            mode, vlan, allowed = topology.port_vlans(Port(node.name, port))
            lines += [" switchport mode trunk", " switchport trunk native vlan 1",
                      " switchport trunk allowed vlan " + ",".join(map(str, allowed))] \
                if mode == "trunk" else [f" switchport access vlan {vlan}",
                                         " switchport mode access", " spanning-tree portfast edge"]
        elif node.spec.bridge:
            peer = topology.nodes[topology.peer(Port(node.name, port)).node]
            lines += [" switchport mode trunk"] if peer.spec.lldp and peer.spec.ssh else \
                [" switchport access vlan 1", " switchport mode access",
                 " spanning-tree portfast edge"]
        elif address is not None:
            lines.append(f" ip address {address.ip} {address.netmask}")
            if node.kind == "firewall":
                outside = _is_outside(node, address)
                lines.append(f" zone-member security {'outside' if outside else 'inside'}")
                lines.append(f" ip nat {'outside' if outside else 'inside'}")
                if outside:
                    lines.append(f" ip access-group {OUTSIDE_ACL} in")
                    if node.vpn is not None:
                        lines.append(f" crypto map {CRYPTO_MAP}")
            lines.append(" duplex auto")
            lines.append(" speed auto")
        lines.append("!")
        for sub, address in node.addresses.items():  # router-on-a-stick subinterfaces
            if sub.startswith(port + "."):
                vid = sub.split(".", 1)[1]
                vlan_name = topology.vlans.get(int(vid), "") if vid.isdigit() else ""
                lines += [f"interface {ios_port_name(port)}.{vid}"]
                lines += [f" description {vlan_name} (VLAN {vid})"] if vlan_name else []
                lines += [f" encapsulation dot1Q {vid}",
                          f" ip address {address.ip} {address.netmask}"]
                if node.kind == "firewall":
                    lines += [" zone-member security inside", " ip nat inside"]
                lines.append("!")
    if node.spec.bridge and topology.vlan_aware:
        for number, vlan_name in topology.vlans.items():
            lines += [f"vlan {number}", f" name {vlan_name}", "!"]
    if node.spec.bridge and BRIDGE in node.addresses:
        address = node.addresses[BRIDGE]
        lines += ["interface Vlan1", f" ip address {address.ip} {address.netmask}", "!"]
    return lines


def _is_outside(node: Node, address: ipaddress.IPv4Interface) -> bool:
    """The firewall's internet side: the interface its default gateway is on."""
    return node.gateway is not None and node.gateway in address.network


def _wildcard(network: ipaddress.IPv4Network) -> str:
    return f"{network.network_address} {network.hostmask}"


def _inside_networks(node: Node) -> list[ipaddress.IPv4Network]:
    return sorted({a.network for a in node.addresses.values() if not _is_outside(node, a)},
                  key=lambda n: (int(n.network_address), n.prefixlen))


def _management_acl(topology: Topology, node: Node) -> list[str]:
    """Routers and firewalls accept logins from the scanned site networks only."""
    allowed = [s.network for s in topology.subnets if s.scan]
    lines = [f"ip access-list standard {MGMT_ACL}"]
    lines += [f" {10 * i} permit {_wildcard(net)}" for i, net in enumerate(allowed, start=1)]
    lines += [f" {10 * (len(allowed) + 1)} deny   any log", "!"]
    return lines


def _published_server(topology: Topology, node: Node) -> str:
    """The first server inside the firewall (it publishes its HTTPS to the internet)."""
    inside = _inside_networks(node)
    for other in topology.nodes.values():
        if other.kind in ("server", "lldp-server"):
            for address in other.addresses.values():
                if any(address.ip in net for net in inside):
                    return str(address.ip)
    return ""


def _firewall_policy(topology: Topology, node: Node, seed: str) -> list[str]:
    """NAT (overload and one port forward), inbound rules on the outside and, when the
    topology gives the firewall a `vpn:`, a crypto-map site-to-site IPsec VPN."""
    outside = next(((port, a) for port, a in node.addresses.items() if _is_outside(node, a)),
                   None)
    if outside is None:
        return []
    port, address = outside
    public = str(address.ip)
    inside = _inside_networks(node)
    server = _published_server(topology, node)
    lines = [f"ip access-list standard {NAT_ACL}"]
    lines += [f" {10 * i} permit {_wildcard(net)}" for i, net in enumerate(inside, start=1)]
    lines += ["!", f"ip access-list extended {OUTSIDE_ACL}"]
    if server:
        lines.append(f" 10 permit tcp any host {public} eq {PUBLISHED_PORT}")
    vpn = node.vpn
    if vpn is not None:
        lines += [f" 20 permit udp host {vpn.peer} host {public} eq 500",
                  f" 30 permit esp host {vpn.peer} host {public}"]
    lines += [" 100 deny   ip any any log", "!"]
    lines.append(f"ip nat inside source list {NAT_ACL} interface {ios_port_name(port)} overload")
    if server:
        lines.append(f"ip nat inside source static tcp {server} {PUBLISHED_PORT} {public} "
                     f"{PUBLISHED_PORT}")
    lines.append("!")
    if vpn is not None:
        psk = hashlib.sha256(f"{seed}{node.name}psk".encode()).hexdigest()[:32]
        acl = f"VPN-{vpn.name.upper()}"
        lines += ["crypto isakmp policy 10", " encr aes 256", " hash sha256",
                  " authentication pre-share", " group 14",
                  f"crypto isakmp key 6 {psk} address {vpn.peer}", "!",
                  f"crypto ipsec transform-set {TRANSFORM_SET} esp-aes 256 esp-sha256-hmac",
                  " mode tunnel", "!", f"ip access-list extended {acl}"]
        rules = [(local, remote) for local in inside for remote in vpn.remote]
        lines += [f" {10 * i} permit ip {_wildcard(local)} {_wildcard(remote)}"
                  for i, (local, remote) in enumerate(rules, start=1)]
        lines += ["!", f"crypto map {CRYPTO_MAP} 10 ipsec-isakmp",
                  f" description {vpn.name}", f" set peer {vpn.peer}",
                  f" set transform-set {TRANSFORM_SET}", f" match address {acl}", "!"]
    return lines


def render_show_version(node: Node, base_mac: str) -> str:
    """`show version` text; the uptime placeholder is filled in when the command runs."""
    platform = node.platform
    image_family = platform.sys_descr.split("(")[1].split(")")[0] if "(" in platform.sys_descr \
        else platform.model
    return "\n".join([
        platform.sys_descr,
        "Technical Support: http://www.cisco.com/techsupport",
        "Copyright (c) 1986-2021 by Cisco Systems, Inc.",
        "Compiled Tue 28-Sep-21 01:26 by prod_rel_team",
        "",
        f"ROM: Bootstrap program is {image_family} boot loader",
        "",
        f"{node.name} uptime is {UPTIME_PLACEHOLDER}",
        "System returned to ROM by power-on",
        f'System image file is "flash:{platform.image}"',
        "",
        platform.processor,
        f"Processor board ID {node.serial}",
        "",
        f"Base ethernet MAC Address       : {base_mac.upper()}",
        f"Model number                    : {platform.model}",
        f"System serial number            : {node.serial}",
        "",
        "Configuration register is 0xF" if node.spec.bridge else
        "Configuration register is 0x2102",
        "",
    ])

