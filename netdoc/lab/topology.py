"""Lab topologies as data: YAML files in this folder, validated into dataclasses.

A topology names its nodes (each becomes a network namespace), the links
between their ports (veth pairs), the subnets and what each node pretends to
be (a platform from platforms.yaml). `at: SWITCH PORT` on a node is shorthand
for a link from the node's `eth0` to that port; `groups:` expands to many such
endpoints. Validation refuses anything that could touch a real network: every
address must lie in a TEST-NET range.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from netdoc.errors import LabError

LAB_DIR = Path(__file__).resolve().parent
TEST_NETS = tuple(ipaddress.IPv4Network(n) for n in
                  ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
HOST_PORT = "eth0"  # the single port of every endpoint-like node
BRIDGE = "Vlan1"  # the bridge inside every switch namespace, named like an IOS SVI
_IFNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")  # Linux: <= 15 chars, no '/'
_NODE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
MAX_NODES = 250  # one MAC byte numbers the nodes


@dataclass(frozen=True)
class Kind:
    """What a kind of node is made of in the lab."""

    role: str  # the role discovery should find (netdoc.models.ROLES, or "probe")
    bridge: bool = False  # holds a Linux bridge (a switch)
    forwards: bool = False  # routes between its ports
    snmp: tuple[str, ...] = ()  # SNMP versions its snmpd answers: "2c", "3"
    lldp: bool = False  # runs lldpd on its ports
    ssh: bool = False  # answers SSH with the IOS-like CLI
    default_platform: str = ""
    git: bool = False  # runs sshd + gitolite3: the MSP's hub the probes push to


KINDS: dict[str, Kind] = {
    "probe": Kind(role="probe", default_platform="probe"),
    "switch": Kind(role="switch", bridge=True, snmp=("2c", "3"), lldp=True, ssh=True),
    "router": Kind(role="router", forwards=True, snmp=("2c", "3"), lldp=True, ssh=True),
    "firewall": Kind(role="firewall", forwards=True, snmp=("2c", "3"), lldp=True, ssh=True),
    "unmanaged-switch": Kind(role="switch", bridge=True, default_platform="unmanaged"),
    "pc": Kind(role="endpoint", default_platform="pc"),
    "server": Kind(role="server", default_platform="server"),
    "printer": Kind(role="printer", snmp=("2c",), default_platform="laserjet"),
    "ap": Kind(role="wireless", lldp=True, default_platform="ap"),
    "lldp-server": Kind(role="server", lldp=True, default_platform="server"),
    "isp": Kind(role="router", default_platform="isp"),
    # a box on the client LAN that answers SNMP and SSH like a Cisco switch, which no one
    # listed in netdoc.yaml: netdoc must send it no credential. Its SSH server accepts no
    # login and records every username and password offered (see Lab.rogue_offered).
    "rogue": Kind(role="switch", snmp=("2c", "3"), ssh=True, default_platform="c2960x-24"),
    # the MSP's central git server: a real sshd in front of gitolite3 (netdoc.lab.gitolite)
    "hub": Kind(role="server", default_platform="server", git=True),
}


@dataclass(frozen=True)
class Platform:
    name: str
    vendor: str
    oui: str
    netdoc_platform: str = ""
    sys_object_id: str = ""
    sys_descr: str = ""
    version: str = ""
    model: str = ""
    entity_descr: str = ""
    hardware_rev: str = ""
    image: str = ""
    processor: str = ""
    serial_prefix: str = ""


@dataclass(frozen=True)
class Port:
    node: str
    name: str

    def __str__(self) -> str:
        return f"{self.node} {self.name}"


@dataclass(frozen=True)
class Link:
    a: Port
    b: Port

    def ends(self) -> tuple[Port, Port]:
        return self.a, self.b


@dataclass(frozen=True)
class Subnet:
    name: str
    network: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address
    scan: bool = True  # part of the client's site in the lab's netdoc.yaml
    client: str = ""  # the MSP client whose site this subnet is ("": the topology's client)


@dataclass(frozen=True)
class Vpn:
    """A site-to-site IPsec VPN a firewall's running config carries (no tunnel is built:
    the peer is a TEST-NET address outside the lab)."""

    name: str
    peer: ipaddress.IPv4Address
    remote: tuple[ipaddress.IPv4Network, ...]


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    platform: Platform
    index: int  # 1-based position, used for MACs and serial numbers
    addresses: dict[str, ipaddress.IPv4Interface] = field(default_factory=dict)  # port -> addr
    gateway: ipaddress.IPv4Address | None = None
    routes: dict[ipaddress.IPv4Network, ipaddress.IPv4Address] = field(default_factory=dict)
    location: str = ""
    quiet: bool = False  # sends nothing at `up`: in no table until something asks for it
    drop: str = ""  # "icmp": ignores echo requests; "all": answers nothing but ARP
    vlan: int = 0  # the access VLAN of the switch port an endpoint is plugged into
    chassis_id: str = ""  # lldp-server: the chassis ID lldpd announces (another NIC's MAC)
    vpn: "Vpn | None" = None  # firewall: a site-to-site VPN in its running config

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]

    @property
    def mgmt_ip(self) -> str:
        """The address netdoc talks to: the first address (switch: its bridge, router: first port)."""
        return str(next(iter(self.addresses.values())).ip) if self.addresses else ""

    @property
    def serial(self) -> str:
        return f"{self.platform.serial_prefix}{self.index:03d}" if self.platform.serial_prefix \
            else ""

    @property
    def managed(self) -> bool:
        return bool(self.spec.snmp or self.spec.ssh)


@dataclass(frozen=True)
class Topology:
    name: str
    description: str
    client: str
    site: str
    domain: str
    contact: str
    subnets: tuple[Subnet, ...]
    nodes: dict[str, Node]
    links: tuple[Link, ...]
    source: str = ""
    vlans: dict[int, str] = field(default_factory=dict)  # 802.1Q VLANs: id -> name

    @property
    def vlan_aware(self) -> bool:
        """Switches filter VLANs (more than the default VLAN 1 is defined)."""
        return bool(set(self.vlans) - {1})

    def port_vlans(self, port: Port) -> tuple[str, int, tuple[int, ...]]:
        """(mode, access or native VLAN, allowed VLANs) of a switch port: a port facing a
        switch or router is a trunk of every VLAN (native 1); one facing a host is an
        access port of the host's VLAN (1 unless it says otherwise)."""
        far = self.peer(port)
        peer = self.nodes[far.node]
        if peer.spec.bridge and peer.managed and self.vlan_aware:
            return "trunk", 1, tuple(sorted(self.vlans))
        if peer.spec.forwards:  # a router-on-a-stick: VLAN 1 plus its subinterfaces' VLANs
            tagged = sorted(int(p.split(".", 1)[1]) for p in peer.addresses
                            if p.startswith(far.name + ".") and p.split(".", 1)[1].isdigit())
            return ("trunk", 1, tuple([1] + tagged)) if tagged else ("access", 1, (1,))
        if peer.spec.bridge:
            return "access", 1, (1,)
        return "access", peer.vlan or 1, (peer.vlan or 1,)

    def link_vlans(self, link: Link) -> tuple[int, ...]:
        """The VLANs a cable carries (1 only, unless a switch end is a trunk)."""
        for here in link.ends():
            if self.nodes[here.node].spec.bridge and self.nodes[here.node].managed:
                mode, _, allowed = self.port_vlans(here)
                if mode == "trunk":
                    return allowed
        return (1,)

    def ports(self, node: str) -> list[str]:
        """The node's link ports, in link order."""
        return [end.name for link in self.links for end in link.ends() if end.node == node]

    def peer(self, port: Port) -> Port:
        for link in self.links:
            if link.a == port:
                return link.b
            if link.b == port:
                return link.a
        raise KeyError(str(port))

    def subnet_of(self, address: ipaddress.IPv4Interface | ipaddress.IPv4Address) -> Subnet | None:
        ip = address.ip if isinstance(address, ipaddress.IPv4Interface) else address
        return next((s for s in self.subnets if ip in s.network), None)

    def client_of(self, address: ipaddress.IPv4Interface | ipaddress.IPv4Address | str) -> str:
        """The MSP client whose site an address lies in (a subnet's `client:`, else the
        topology's client)."""
        if isinstance(address, str):
            address = ipaddress.IPv4Address(address.split("/")[0])
        subnet = self.subnet_of(address)
        return (subnet.client if subnet else "") or self.client

    @property
    def clients(self) -> list[str]:
        """Every client with a scanned subnet, the topology's own client first."""
        found = [self.client] if any(not s.client or s.client == self.client
                                     for s in self.subnets if s.scan) else []
        found += sorted({s.client for s in self.subnets if s.scan and s.client} - set(found))
        return found or [self.client]

    def lldp_links(self) -> list[Link]:
        """Links whose two ends both run lldpd: each end must see the other as a neighbour."""
        return [link for link in self.links
                if self.nodes[link.a.node].spec.lldp and self.nodes[link.b.node].spec.lldp]

    def segment_behind(self, port: Port) -> list[Port]:
        """Every non-bridge port reachable at layer 2 through `port` (a bridge's port).

        Walks through bridges (switches), stops at anything else: these are the
        stations whose MACs the bridge owning `port` learns on that port.
        """
        found: list[Port] = []
        seen = {port.node}
        todo = [self.peer(port)]
        while todo:
            end = todo.pop()
            if not self.nodes[end.node].spec.bridge:
                found.append(end)
                continue
            if end.node in seen:
                continue
            seen.add(end.node)
            found.append(Port(end.node, BRIDGE))  # the switch's own management interface
            todo.extend(self.peer(Port(end.node, p)) for p in self.ports(end.node) if p != end.name)
        return [p for p in found if p.name in self.nodes[p.node].addresses]


# ---------------------------------------------------------------- loading

def available_topologies() -> list[str]:
    return sorted(p.stem for p in LAB_DIR.glob("*.yaml") if p.stem != "platforms")


def load_topology(name_or_path: str) -> Topology:
    """A topology by name ("default", "large") or by path to a YAML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = LAB_DIR / f"{name_or_path}.yaml"
        if not path.is_file() or name_or_path == "platforms":
            raise LabError(f"unknown lab topology {name_or_path!r}; available: "
                           f"{', '.join(available_topologies())} (or a path to a YAML file)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LabError(f"{path}: cannot read the lab topology: {exc}") from None
    return parse_topology(data, str(path))


@lru_cache(maxsize=1)
def load_platforms() -> dict[str, Platform]:
    data = yaml.safe_load((LAB_DIR / "platforms.yaml").read_text(encoding="utf-8"))
    platforms = {}
    for name, body in data.items():
        body = dict(body)
        body["sys_object_id"] = str(body.get("sys_object_id", ""))
        body["version"] = str(body.get("version", ""))
        platform = Platform(name=name, **body)
        platforms[name] = Platform(**{**vars(platform), "sys_descr": platform.sys_descr.format(
            version=platform.version)})
    return platforms


def parse_topology(data: Any, source: str = "<topology>") -> Topology:
    return _Parser(source).topology(data)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> LabError:
        return LabError(f"{self.source}: {where}: {message}")

    def topology(self, data: Any) -> Topology:
        if not isinstance(data, dict):
            raise self.fail("top level", "expected a mapping with name, subnets, nodes, links")
        subnets = tuple(self.subnet(str(n), b) for n, b in (data.get("subnets") or {}).items())
        vlans = self.vlans(data.get("vlans"))
        raw_nodes = dict(data.get("nodes") or {})
        for index, group in enumerate(data.get("groups") or []):
            raw_nodes.update(self.expand_group(group, f"groups[{index}]", raw_nodes))
        if not raw_nodes:
            raise self.fail("nodes", "a topology needs nodes")
        if len(raw_nodes) > MAX_NODES:
            raise self.fail("nodes", f"{len(raw_nodes)} nodes; the lab supports {MAX_NODES}")
        links: list[Link] = [self.link(item, f"links[{i}]")
                             for i, item in enumerate(data.get("links") or [])]
        nodes: dict[str, Node] = {}
        for index, (name, body) in enumerate(raw_nodes.items(), start=1):
            node, attached = self.node(str(name), body, index, subnets)
            nodes[node.name] = node
            if attached is not None:
                links.append(attached)
        topology = Topology(
            name=str(data.get("name") or Path(self.source).stem),
            description=str(data.get("description", "")),
            client=str(data.get("client", "lab")), site=str(data.get("site", "hq")),
            domain=str(data.get("domain", "lab.example.net")),
            contact=str(data.get("contact", "")), subnets=subnets, nodes=nodes,
            links=tuple(links), source=self.source, vlans=vlans)
        self.check(topology)
        return topology

    # pieces --------------------------------------------------------------
    def vlans(self, body: Any) -> dict[int, str]:
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise self.fail("vlans", "expected {VLAN id: name}")
        found = {}
        for vid, name in body.items():
            if not isinstance(vid, int) or not 1 <= vid <= 4094:
                raise self.fail("vlans", f"VLAN id {vid!r} is not 1-4094")
            found[vid] = str(name)
        return dict(sorted(found.items()))

    def subnet(self, name: str, body: Any) -> Subnet:
        where = f"subnets.{name}"
        if not isinstance(body, dict) or "cidr" not in body or "gateway" not in body:
            raise self.fail(where, "expected {cidr: ..., gateway: ...}")
        network = self.test_net(ipaddress.IPv4Network, body["cidr"], where + ".cidr")
        gateway = self.test_net(ipaddress.IPv4Address, body["gateway"], where + ".gateway")
        if gateway not in network:
            raise self.fail(where + ".gateway", f"{gateway} is not inside {network}")
        client = str(body.get("client", ""))
        if client and not _NODE_NAME.match(client):
            raise self.fail(where + ".client", f"client name {client!r}: lower-case letters, "
                                               f"digits and '-'")
        return Subnet(name=name, network=network, gateway=gateway, scan=bool(body.get("scan", True)),
                      client=client)

    def test_net(self, kind: Any, value: Any, where: str) -> Any:
        try:
            parsed = kind(str(value))
        except ValueError as exc:
            raise self.fail(where, f"invalid address {value!r}: {exc}") from None
        network = parsed.network if isinstance(parsed, ipaddress.IPv4Interface) else parsed
        inside = network.subnet_of if isinstance(network, ipaddress.IPv4Network) else None
        ok = any(inside(net) for net in TEST_NETS) if inside else \
            any(network in net for net in TEST_NETS)
        if not ok:
            raise self.fail(where, f"{value} is outside the TEST-NET ranges "
                                   f"({', '.join(map(str, TEST_NETS))}); the lab never uses "
                                   f"other addresses")
        return parsed

    def port(self, text: Any, where: str) -> Port:
        parts = str(text).split()
        if len(parts) != 2:
            raise self.fail(where, f"expected 'NODE PORT', got {text!r}")
        node, name = parts
        if not _IFNAME.match(name):
            raise self.fail(where, f"port name {name!r} is not a valid Linux interface name "
                                   f"(letters, digits, '-', '_', '.', at most 15 characters)")
        return Port(node, name)

    def link(self, item: Any, where: str) -> Link:
        if not isinstance(item, list) or len(item) != 2:
            raise self.fail(where, "expected [NODE PORT, NODE PORT]")
        return Link(self.port(item[0], where), self.port(item[1], where))

    def expand_group(self, group: Any, where: str, existing: dict[str, Any]) \
            -> dict[str, dict[str, Any]]:
        try:
            count, first_port = int(group["count"]), int(group.get("first_port", 1))
            first_ip = ipaddress.IPv4Interface(str(group["first_ip"]))
            out = {}
            for i in range(count):
                name = str(group["name"]).format(n=i + 1 + int(group.get("first_n", 0)))
                if name in existing:
                    raise self.fail(where, f"node {name!r} is defined twice")
                out[name] = {"kind": group.get("kind", "pc"),
                             "at": str(group["at"]).format(port=first_port + i),
                             "ip": f"{first_ip.ip + i}/{first_ip.network.prefixlen}"}
            return out
        except (KeyError, ValueError, TypeError) as exc:
            raise self.fail(where, f"invalid group ({exc}); expected kind, count, name, at, "
                                   f"first_port, first_ip") from None

    def node(self, name: str, body: Any, index: int, subnets: tuple[Subnet, ...]) \
            -> tuple[Node, Link | None]:
        where = f"nodes.{name}"
        if not _NODE_NAME.match(name):
            raise self.fail(where, "node names are lower-case letters, digits and '-', "
                                   "starting with a letter, at most 31 characters")
        if not isinstance(body, dict) or body.get("kind") not in KINDS:
            raise self.fail(where + ".kind", f"expected one of {', '.join(KINDS)}")
        kind = KINDS[body["kind"]]
        platform_name = str(body.get("platform") or kind.default_platform)
        platforms = load_platforms()
        if platform_name not in platforms:
            raise self.fail(where + ".platform", f"unknown platform {platform_name!r}; known: "
                                                 f"{', '.join(sorted(platforms))}")
        addresses: dict[str, ipaddress.IPv4Interface] = {}
        if "mgmt" in body:
            addresses[BRIDGE if kind.bridge else HOST_PORT] = \
                self.test_net(ipaddress.IPv4Interface, body["mgmt"], where + ".mgmt")
        if "ip" in body:
            addresses[HOST_PORT] = self.test_net(ipaddress.IPv4Interface, body["ip"], where + ".ip")
        for port, value in (body.get("addresses") or {}).items():
            addresses[str(port)] = self.test_net(ipaddress.IPv4Interface, value,
                                                 f"{where}.addresses.{port}")
        gateway = None
        if "gateway" in body:
            gateway = self.test_net(ipaddress.IPv4Address, body["gateway"], where + ".gateway")
        elif addresses and not kind.forwards:
            first = next(iter(addresses.values()))
            subnet = next((s for s in subnets if first.ip in s.network), None)
            gateway = subnet.gateway if subnet and subnet.gateway != first.ip else None
        routes = {self.test_net(ipaddress.IPv4Network, net, f"{where}.routes"):
                  self.test_net(ipaddress.IPv4Address, via, f"{where}.routes.{net}")
                  for net, via in (body.get("routes") or {}).items()}
        attached = Link(Port(name, HOST_PORT), self.port(body["at"], where + ".at")) \
            if "at" in body else None
        drop = str(body.get("drop", ""))
        if drop not in ("", "icmp", "all"):
            raise self.fail(where + ".drop", "expected icmp or all")
        node = Node(name=name, kind=str(body["kind"]), platform=platforms[platform_name],
                    index=index, addresses=addresses, gateway=gateway, routes=routes,
                    location=str(body.get("location", "")), quiet=bool(body.get("quiet")),
                    drop=drop, vlan=int(body.get("vlan", 0) or 0),
                    chassis_id=str(body.get("chassis_id", "")),
                    vpn=self.vpn(body.get("vpn"), where + ".vpn") if "vpn" in body else None)
        return node, attached

    def vpn(self, body: Any, where: str) -> Vpn:
        if not isinstance(body, dict) or "peer" not in body or "remote" not in body:
            raise self.fail(where, "expected {name: ..., peer: ADDRESS, remote: [NETWORK, ...]}")
        remote = body["remote"] if isinstance(body["remote"], list) else [body["remote"]]
        return Vpn(name=str(body.get("name") or "VPN"),
                   peer=self.test_net(ipaddress.IPv4Address, body["peer"], where + ".peer"),
                   remote=tuple(self.test_net(ipaddress.IPv4Network, net, where + ".remote")
                                for net in remote))

    # whole-topology rules ---------------------------------------------------
    def check(self, topology: Topology) -> None:
        used: dict[Port, int] = {}
        for index, link in enumerate(topology.links):
            for end in link.ends():
                if end.node not in topology.nodes:
                    raise self.fail(f"link {link.a} -- {link.b}", f"unknown node {end.node!r}")
                if end in used:
                    raise self.fail(f"link {link.a} -- {link.b}",
                                    f"port {end} is already used by another link")
                if end.name == BRIDGE:
                    raise self.fail(f"link {link.a} -- {link.b}", f"{BRIDGE} is reserved for "
                                                                  f"the switch bridge")
                used[end] = index
        seen_ips: dict[ipaddress.IPv4Address, str] = {}
        for node in topology.nodes.values():
            ports = topology.ports(node.name)
            if not ports:
                raise self.fail(f"nodes.{node.name}", "is not linked to anything")
            if not node.spec.bridge and not node.spec.forwards and len(ports) != 1:
                raise self.fail(f"nodes.{node.name}", f"a {node.kind} has exactly one port "
                                                      f"({HOST_PORT}); it has {ports}")
            for port, address in node.addresses.items():
                base, _, vid = port.partition(".")
                if vid and base in ports and vid.isdigit() and int(vid) in topology.vlans:
                    pass  # a VLAN subinterface of a linked port
                elif port not in ports and port != BRIDGE:
                    raise self.fail(f"nodes.{node.name}.addresses.{port}",
                                    f"no link uses port {port}")
                if address.ip in seen_ips:
                    raise self.fail(f"nodes.{node.name}", f"address {address.ip} is also used "
                                                          f"by {seen_ips[address.ip]}")
                seen_ips[address.ip] = node.name
            if node.managed and not node.addresses:
                raise self.fail(f"nodes.{node.name}", f"a managed {node.kind} needs an address "
                                                      f"(mgmt: or addresses:)")
        self.check_loop_free(topology)

    def check_loop_free(self, topology: Topology) -> None:
        """Bridges in the lab run no spanning tree, so a layer-2 loop would melt it."""
        parent = {name: name for name in topology.nodes}

        def root(name: str) -> str:
            while parent[name] != name:
                name = parent[name]
            return name

        for link in topology.links:
            a, b = (topology.nodes[end.node] for end in link.ends())
            if not (a.spec.bridge or b.spec.bridge):
                continue
            ra, rb = root(a.name), root(b.name)
            if ra == rb:
                raise self.fail(f"link {link.a} -- {link.b}", "closes a layer-2 loop; lab "
                                                              "bridges run no spanning tree")
            parent[ra] = rb
