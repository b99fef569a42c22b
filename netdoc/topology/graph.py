"""Build one client's topology graph from its device records (pure: no I/O).

The graph is a networkx MultiGraph (two switches may share several cables).
Node and edge attributes are plain str/int/bool so GraphML can carry them.

Nodes (attribute `kind`):
    device     a network device: router, switch, firewall, AP, or an LLDP/CDP
               neighbour we could not poll (inventoried=False)
    endpoint   anything else with a MAC: PCs, printers, phones, servers
    hub        an unmanaged switch or hub we infer from a port with many MACs
    subnet     an IPv4 subnet (layer 3)
Edges (attribute `kind`):
    l2         a cable between two network devices (or a device and a hub):
               node_a/port_a, node_b/port_b, source (lldp, cdp, fdb, arp, inferred)
    attach     an endpoint plugged into a switch port (or behind a hub)
    l3         a device or endpoint with an address in a subnet (attribute ip)
    wan        routers at different sites sharing a point-to-point subnet

How endpoints are placed (the approach of Auvik and Netdisco): a MAC address
is located on the switch port where it is learned, ignoring uplinks, i.e. ports
with an LLDP/CDP neighbour that is a network device, and ports that carry the
MAC of another switch. An edge port where several devices are learned and no
neighbour speaks LLDP/CDP has an unmanaged switch or hub behind it. MACs that
no switch reports (a segment behind an unmanaged bridge) are placed from the
ARP table of the router interface they were learned on.
"""
from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import networkx as nx

from netdoc.models import Device, Neighbor, normalise_mac
from netdoc.topology.ports import interface_by_name, resolve_port

INFRASTRUCTURE_ROLES = frozenset({"router", "switch", "firewall", "wireless"})

# LLDP (IEEE 802.1AB) and CDP capability names -> netdoc role, strongest first.
# Phones and APs also advertise "bridge" (their built-in switch); L3 switches "router".
_CAPABILITY_ROLES = (
    ("telephone", "phone"), ("phone", "phone"),
    ("wlanaccesspoint", "wireless"), ("wlan-access-point", "wireless"), ("wlan-ap", "wireless"),
    ("wlan", "wireless"),
    ("bridge", "switch"), ("switch", "switch"), ("trans-bridge", "switch"),
    ("source-route-bridge", "switch"), ("router", "router"),
    ("station", "endpoint"), ("host", "endpoint"),
)
# Subnets at least this long shared by two sites are treated as WAN/VPN links.
WAN_MIN_PREFIX = 29


_Place = tuple[int, str]  # (VLAN, the located device's own port when known)


@dataclass(frozen=True)
class TopologyOptions:
    hub_min_devices: int = 2  # devices learned on one neighbourless edge port => hub
    include_unknown_macs: bool = True  # MACs in MAC tables that match no inventoried device


@dataclass
class _Sighting:
    local: str
    local_port: str
    remote: str
    remote_port: str
    remote_port_known: bool
    protocols: set[str] = field(default_factory=set)


def build_topology(devices: Sequence[Device], client: str = "",
                   ids: Sequence[str] | None = None,
                   options: TopologyOptions = TopologyOptions()) -> nx.MultiGraph[str]:
    """The client's topology. `ids` (same order as `devices`) gives stable node ids,
    e.g. inventory record ids; by default ids are derived from names and addresses."""
    builder = _Builder(devices, ids, options)
    builder.add_device_nodes()
    builder.add_neighbour_links()
    builder.place_by_mac_tables()
    builder.place_by_arp_tables()
    builder.add_subnets()
    builder.graph.graph["client"] = client
    return sorted_graph(builder.graph)


def sorted_graph(graph: nx.MultiGraph[str]) -> nx.MultiGraph[str]:
    """A copy with nodes, edges and attributes in sorted order (stable exports)."""
    out: nx.MultiGraph[str] = nx.MultiGraph()
    out.graph.update(sorted(graph.graph.items()))
    for node in sorted(graph.nodes):
        out.add_node(node, **dict(sorted(graph.nodes[node].items())))
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: (min(e[0], e[1]),
                                                                       max(e[0], e[1]), e[2]))
    for a, b, key, data in edges:
        first, second = (a, b) if a <= b else (b, a)
        out.add_edge(first, second, key=key, **dict(sorted(data.items())))
    return out


def is_network_device(device: Device) -> bool:
    return device.role in INFRASTRUCTURE_ROLES or (
        device.role == "unknown" and bool(device.fdb or device.neighbors))


def device_macs(device: Device) -> list[str]:
    macs = {normalise_mac(device.base_mac)} | {normalise_mac(i.mac) for i in device.interfaces}
    return sorted(m for m in macs if m and m != "00:00:00:00:00:00")


def device_ips(device: Device) -> list[str]:
    ips = {device.mgmt_ip} | {addr.split("/")[0] for i in device.interfaces for addr in i.ipv4}
    return sorted((ip for ip in ips if ip), key=_ip_order)


class _Builder:
    def __init__(self, devices: Sequence[Device], ids: Sequence[str] | None,
                 options: TopologyOptions) -> None:
        self.options = options
        self.graph: nx.MultiGraph[str] = nx.MultiGraph()
        self.devices: dict[str, Device] = {}
        self.mac_owner: dict[str, str] = {}
        self.mac_port: dict[str, str] = {}  # interface MAC -> its interface name
        self.by_ip: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        self.neighbour_ports: set[tuple[str, str]] = set()  # ports with an LLDP/CDP neighbour
        chosen = list(ids) if ids is not None else _derive_ids(devices)
        self.aliases: dict[str, list[str]] = {}
        for node_id, device in _one_record_per_device(zip(chosen, devices), self.aliases):
            self.devices[node_id] = device

    # ------------------------------------------------------------ nodes
    def add_device_nodes(self) -> None:
        for node_id, device in self.devices.items():
            kind = "device" if is_network_device(device) else "endpoint"
            self.graph.add_node(node_id, **_device_attributes(device, kind),
                                aliases=",".join(self.aliases.get(node_id, [])))
            for mac in device_macs(device):
                self.mac_owner.setdefault(mac, node_id)
            for interface in device.interfaces:
                if interface.mac and interface.name:
                    self.mac_port.setdefault(normalise_mac(interface.mac), interface.name)
            for ip in device_ips(device):
                self.by_ip.setdefault(ip, node_id)
            for name in _name_forms(device.hostname):
                self.by_name.setdefault(name, node_id)

    def _neighbour_node(self, neighbour: Neighbor, seen_by: str) -> str:
        """The node a neighbour entry names; an uninventoried neighbour gets its own node."""
        known = self._match(neighbour)
        if known:
            return known
        label = neighbour.remote_name or neighbour.remote_chassis_id or \
            f"{seen_by} {neighbour.local_port}"
        node_id = "lldp:" + _slug(label)
        if node_id not in self.graph:
            role = _role_from_capabilities(neighbour.remote_capabilities)
            kind = "endpoint" if role in ("phone", "endpoint") else "device"
            mac = normalise_mac(neighbour.remote_chassis_id)
            self.graph.add_node(node_id, kind=kind, name=label, role=role,
                                site=self.graph.nodes[seen_by].get("site", ""),
                                vendor="", model=neighbour.remote_platform, os="", version="",
                                serial="", platform="", mgmt_ip=neighbour.remote_mgmt_ip,
                                ips=neighbour.remote_mgmt_ip, macs=mac, inventoried=False,
                                switch="", port="", via="", vlan=0)
            if mac:
                self.mac_owner.setdefault(mac, node_id)
        return node_id

    def _match(self, neighbour: Neighbor) -> str:
        mac = normalise_mac(neighbour.remote_chassis_id) if neighbour.remote_chassis_id else ""
        if mac and mac in self.mac_owner:
            return self.mac_owner[mac]
        if neighbour.remote_mgmt_ip in self.by_ip:
            return self.by_ip[neighbour.remote_mgmt_ip]
        for name in _name_forms(neighbour.remote_name) + _name_forms(
                "" if mac else neighbour.remote_chassis_id):
            if name in self.by_name:
                return self.by_name[name]
        return ""

    # ------------------------------------------------------------ LLDP / CDP
    def add_neighbour_links(self) -> None:
        sightings: dict[tuple[str, str], list[_Sighting]] = defaultdict(list)
        for node_id, device in self.devices.items():
            for neighbour in device.neighbors:
                remote = self._neighbour_node(neighbour, node_id)
                if remote == node_id:
                    continue
                local_port, _ = resolve_port(device, neighbour.local_port)
                self.neighbour_ports.add((node_id, local_port))
                remote_port, known = resolve_port(self.devices.get(remote), neighbour.remote_port)
                pair = (min(node_id, remote), max(node_id, remote))
                _remember(sightings[pair], _Sighting(node_id, local_port, remote, remote_port,
                                                     known, {neighbour.protocol.lower()}))
        for pair in sorted(sightings):
            for link in _merge_both_ends(pair, sightings[pair]):
                self._add_link(link)

    def _add_link(self, link: tuple[_Sighting, _Sighting | None]) -> None:
        seen, echo = link
        ports = {seen.local: seen.local_port, seen.remote: seen.remote_port}
        if echo is not None:
            ports[echo.local] = echo.local_port
        protocols = seen.protocols | (echo.protocols if echo else set())
        seen_from = "both" if echo is not None else seen.local
        endpoint = [n for n in (seen.local, seen.remote) if self._kind(n) == "endpoint"]
        if endpoint:
            switch = seen.remote if endpoint[0] == seen.local else seen.local
            self._attach(endpoint[0], switch, ports[switch], source=",".join(sorted(protocols)))
            return
        self._add_l2(seen.local, ports[seen.local], seen.remote, ports[seen.remote],
                     ",".join(sorted(protocols)), seen_from)

    def _add_l2(self, a: str, port_a: str, b: str, port_b: str, source: str,
                seen_from: str = "") -> None:
        if a > b:
            a, b, port_a, port_b = b, a, port_b, port_a
        site_a, site_b = self.graph.nodes[a]["site"], self.graph.nodes[b]["site"]
        self.graph.add_edge(a, b, key=f"l2|{a}|{port_a}|{b}|{port_b}", kind="l2",
                            node_a=a, port_a=port_a, node_b=b, port_b=port_b, source=source,
                            seen_from=seen_from or "both",
                            inter_site=bool(site_a and site_b and site_a != site_b),
                            **self._cable_vlans((a, port_a), (b, port_b)))

    def _port_vlans(self, node: str, port: str) -> tuple[str, int, str]:
        """(mode, access or native VLAN, allowed list) a device reports for its port."""
        device = self.devices.get(node)
        interface = interface_by_name(device, port) if device is not None and port else None
        if interface is None or not interface.vlan_mode:
            return "", 0, ""
        return interface.vlan_mode, interface.vlan, interface.allowed_vlans

    def _cable_vlans(self, *ends: tuple[str, str]) -> dict[str, object]:
        """A cable's VLANs as its ends report them: a trunk's allowed list and native VLAN
        (edge labels on the maps), or the one VLAN of an access link."""
        reported = [self._port_vlans(node, port) for node, port in ends]
        trunk = next((r for r in reported if r[0] == "trunk"), None)
        if trunk is not None:
            return {"vlan_mode": "trunk", "vlans": trunk[2], "native_vlan": trunk[1]}
        access = next((r for r in reported if r[0] == "access"), None)
        if access is not None:
            return {"vlan_mode": "access", "vlans": str(access[1]), "native_vlan": access[1]}
        return {"vlan_mode": "", "vlans": "", "native_vlan": 0}

    def _attach(self, endpoint: str, switch: str, port: str, source: str, vlan: int = 0,
                via: str = "") -> None:
        node = self.graph.nodes[endpoint]
        if node.get("switch"):
            return  # first placement wins: LLDP before MAC tables before ARP
        host = via or switch
        if not vlan:  # placed by LLDP or ARP: the access VLAN its switch reports for the port
            mode, access, _ = self._port_vlans(switch, port)
            vlan = access if mode == "access" else 0
        self.graph.add_edge(endpoint, host, key=f"attach|{endpoint}", kind="attach",
                            switch=switch, port=port, vlan=vlan, source=source)
        node.update(switch=switch, port=port, via=via, vlan=vlan)

    def _kind(self, node_id: str) -> str:
        return str(self.graph.nodes[node_id].get("kind", ""))

    def _l2_ports(self) -> dict[tuple[str, str], str]:
        """(device, port) -> the network device at the other end of its cable."""
        ports: dict[tuple[str, str], str] = {}
        for _, _, data in self.graph.edges(data=True):
            if data["kind"] == "l2":
                ports[(data["node_a"], data["port_a"])] = data["node_b"]
                ports[(data["node_b"], data["port_b"])] = data["node_a"]
        return ports

    # ------------------------------------------------------------ MAC tables
    def place_by_mac_tables(self) -> None:
        learned: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        bridges = {n for n, d in self.devices.items() if d.fdb and self._kind(n) == "device"}
        for node_id in sorted(bridges):
            device = self.devices[node_id]
            resolved: dict[str, str] = {}
            for entry in device.fdb:
                mac = normalise_mac(entry.mac)
                if not mac or self.mac_owner.get(mac) == node_id:
                    continue
                if entry.port not in resolved:
                    resolved[entry.port] = resolve_port(device, entry.port)[0]
                learned[mac].append((node_id, resolved[entry.port], entry.vlan))
        self._link_bridges_by_mac_tables(learned, bridges)
        uplinks = self._uplinks(learned, bridges)
        located = self._locate(learned, uplinks)
        self._place(located)

    def _link_bridges_by_mac_tables(self, learned: dict[str, list[tuple[str, str, int]]],
                                    bridges: set[str]) -> None:
        """A switch without any LLDP/CDP link is cabled to the port nearest it.

        Of all ports that learned its MAC and whose cable is not already known,
        the nearest is the one that learned the fewest MACs: in a tree, a port
        facing a switch from further away sees a superset of what nearer ones see.
        """
        load: dict[tuple[str, str], int] = defaultdict(int)
        for places in learned.values():
            for switch, port, _ in places:
                load[(switch, port)] += 1
        known_cables = set(self._l2_ports())
        for bridge in sorted(b for b in bridges if not self._placed(b)):
            heard_at = {(s, p) for mac in device_macs(self.devices[bridge])
                        for s, p, _ in learned.get(mac, []) if (s, p) not in known_cables}
            if not heard_at:
                continue
            switch, port = min(heard_at, key=lambda sp: (load[sp], sp))
            if any(other == switch for _, other in self.graph.edges(bridge)):
                continue
            facing = sorted(p for mac in device_macs(self.devices[switch])
                            for s, p, _ in learned.get(mac, []) if s == bridge)
            self._add_l2(switch, port, bridge, facing[0] if facing else "", "fdb")
            known_cables |= {(switch, port), (bridge, facing[0] if facing else "")}

    def _uplinks(self, learned: dict[str, list[tuple[str, str, int]]],
                 bridges: set[str]) -> set[tuple[str, str]]:
        uplinks = {port for port, other in self._l2_ports().items()
                   if self._kind(other) == "device"}
        for mac, places in learned.items():
            if self.mac_owner.get(mac) in bridges:
                uplinks.update((switch, port) for switch, port, _ in places)
        return uplinks

    def _locate(self, learned: dict[str, list[tuple[str, str, int]]],
                uplinks: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, _Place]]:
        """(switch, port) -> {owner node: (vlan, owner's port)} for MACs on edge ports."""
        load: dict[tuple[str, str], int] = defaultdict(int)
        for places in learned.values():
            for switch, port, _ in places:
                load[(switch, port)] += 1
        l2_ports = self._l2_ports()
        located: dict[tuple[str, str], dict[str, _Place]] = defaultdict(dict)
        for mac in sorted(learned):
            places = learned[mac]
            edge = [p for p in places if (p[0], p[1]) not in uplinks]
            owner = self._owner(mac, bool(edge))
            if not owner:
                continue
            if edge:
                switch, port, vlan = min(edge, key=lambda p: (load[(p[0], p[1])], p))
                located[(switch, port)].setdefault(owner, (vlan, self.mac_port.get(mac, "")))
                continue
            # Learned only on uplinks: behind a neighbour whose MAC table we lack (an AP).
            beyond = sorted({l2_ports[(s, p)] for s, p, _ in places if (s, p) in l2_ports}
                            - {n for n, d in self.devices.items() if d.fdb})
            if len(beyond) == 1 and owner != beyond[0]:
                located[(beyond[0], "")].setdefault(owner, (0, self.mac_port.get(mac, "")))
        return located

    def _owner(self, mac: str, on_edge_port: bool) -> str:
        owner = self.mac_owner.get(mac, "")
        if owner or not (on_edge_port and self.options.include_unknown_macs):
            return owner
        node_id = "mac:" + mac
        self.graph.add_node(node_id, kind="endpoint", name=mac, role="unknown", site="",
                            vendor="", model="", os="", version="", serial="", platform="",
                            mgmt_ip="", ips="", macs=mac, inventoried=False,
                            switch="", port="", via="", vlan=0)
        self.mac_owner[mac] = node_id
        return node_id

    def _place(self, located: dict[tuple[str, str], dict[str, _Place]]) -> None:
        l2_ports = self._l2_ports()  # taken before placing: placements add links
        for (switch, port), owners in sorted(located.items()):
            owners = {o: v for o, v in owners.items() if not self._already_linked(o, switch)}
            if not owners:
                continue
            crowded = len(owners) >= self.options.hub_min_devices and port and \
                (switch, port) not in l2_ports and (switch, port) not in self.neighbour_ports
            hub = self._hub(switch, port, "fdb") if crowded else ""
            for owner, (vlan, owner_port) in sorted(owners.items()):
                self._place_one(owner, switch, port, "fdb", vlan, hub, owner_port)

    def _place_one(self, owner: str, switch: str, port: str, source: str, vlan: int,
                   hub: str, owner_port: str = "") -> None:
        if self.graph.nodes[owner].get("site", "") == "":
            self.graph.nodes[owner]["site"] = self.graph.nodes[switch].get("site", "")
        if self._kind(owner) == "endpoint":
            self._attach(owner, switch, port, source, vlan, via=hub)
        elif hub:
            self._add_l2(owner, owner_port, hub, "", source)
        else:
            self._add_l2(owner, owner_port, switch, port, source)

    def _hub(self, switch: str, port: str, source: str) -> str:
        node_id = f"hub:{switch}:{port}"
        if node_id not in self.graph:
            site = self.graph.nodes[switch].get("site", "")
            self.graph.add_node(node_id, kind="hub", name=f"unmanaged switch / hub on "
                                f"{self.graph.nodes[switch]['name']} {port}", role="hub",
                                site=site, vendor="", model="", os="", version="", serial="",
                                platform="", mgmt_ip="", ips="", macs="", inventoried=False,
                                switch=switch, port=port, via="", vlan=0)
            self._add_l2(switch, port, node_id, "", source="inferred")
        return node_id

    def _already_linked(self, owner: str, switch: str) -> bool:
        if self._kind(owner) == "endpoint":
            return bool(self.graph.nodes[owner].get("switch"))
        return any(data["kind"] == "l2" and other == switch
                   for _, other, data in self.graph.edges(owner, data=True))

    # ------------------------------------------------------------ ARP tables
    def place_by_arp_tables(self) -> None:
        """Devices no switch reports, placed on the router interface whose ARP table has them."""
        l2_ports = self._l2_ports()
        placed = {n for n in self.graph if self._placed(n)}
        behind: dict[tuple[str, str], set[str]] = defaultdict(set)
        for node_id, device in self.devices.items():
            if self._kind(node_id) != "device":
                continue
            for entry in device.arp:
                owner = self.mac_owner.get(normalise_mac(entry.mac), "")
                if not owner or owner == node_id or owner in placed or not entry.interface:
                    continue
                port, _ = resolve_port(device, entry.interface)
                if (node_id, port) in l2_ports or (node_id, port) in self.neighbour_ports:
                    continue  # a switch is there; its MAC table should have told us
                behind[(node_id, port)].add(owner)
        for (router, port), owners in sorted(behind.items()):
            owners -= {n for n in owners if self._placed(n)}
            hub = self._hub(router, port, "arp") if len(owners) >= \
                self.options.hub_min_devices else ""
            for owner in sorted(owners):
                self._place_one(owner, router, port, "arp", 0, hub)

    def _placed(self, node_id: str) -> bool:
        if self._kind(node_id) == "endpoint":
            return bool(self.graph.nodes[node_id].get("switch"))
        return any(d["kind"] == "l2" for _, _, d in self.graph.edges(node_id, data=True))

    # ------------------------------------------------------------ layer 3
    def add_subnets(self) -> None:
        members: dict[ipaddress.IPv4Network, dict[str, str]] = defaultdict(dict)
        for node_id, device in self.devices.items():
            for interface in device.interfaces:
                for address in interface.ipv4:
                    network = _network_of(address)
                    if network is not None:
                        members[network].setdefault(node_id, address.split("/")[0])
        networks = sorted(members, key=lambda n: (n.prefixlen, int(n.network_address)),
                          reverse=True)  # most specific first
        for node_id, device in self.devices.items():
            if device.mgmt_ip and not any(node_id in m for m in members.values()):
                home = _containing(networks, device.mgmt_ip)
                if home is not None:
                    members[home][node_id] = device.mgmt_ip
        for network in sorted(members, key=lambda n: (int(n.network_address), n.prefixlen)):
            self._add_subnet(network, members[network])

    def _add_subnet(self, network: ipaddress.IPv4Network, members: dict[str, str]) -> None:
        node_id = f"subnet:{network}"
        sites = sorted({self.graph.nodes[m]["site"] for m in members} - {""})
        self.graph.add_node(node_id, kind="subnet", name=str(network), role="subnet",
                            site=sites[0] if len(sites) == 1 else "", sites=",".join(sites),
                            inventoried=False)
        for member, ip in sorted(members.items()):
            self.graph.add_edge(member, node_id, key=f"l3|{member}|{network}", kind="l3", ip=ip)
        if len(sites) > 1 and network.prefixlen >= WAN_MIN_PREFIX:
            routers = sorted(m for m in members if self._kind(m) == "device")
            for i, a in enumerate(routers):
                for b in routers[i + 1:]:
                    if self.graph.nodes[a]["site"] != self.graph.nodes[b]["site"]:
                        self.graph.add_edge(a, b, key=f"wan|{a}|{b}|{network}", kind="wan",
                                            subnet=str(network), inter_site=True,
                                            ip_a=members[a], ip_b=members[b])


# ---------------------------------------------------------------- helpers

def _merge_both_ends(pair: tuple[str, str], sightings: list[_Sighting]) \
        -> list[tuple[_Sighting, _Sighting | None]]:
    """One link per cable: pair A's sighting of B with B's sighting of A by their ports."""
    side_a = [s for s in sightings if s.local == pair[0]]
    side_b = [s for s in sightings if s.local == pair[1]]
    links: list[tuple[_Sighting, _Sighting | None]] = []
    for seen in side_a:
        echo = next((s for s in side_b if s.local_port == seen.remote_port
                     or s.remote_port == seen.local_port), None)
        if echo is not None:
            side_b.remove(echo)
        links.append((seen, echo))
    unmatched_a = [i for i, (_, echo) in enumerate(links) if echo is None]
    # Spellings we could not resolve: with one cable left on each side it is that cable.
    if len(unmatched_a) == 1 and len(side_b) == 1:
        links[unmatched_a[0]] = (links[unmatched_a[0]][0], side_b.pop())
    links.extend((s, None) for s in side_b)
    return links


def _one_record_per_device(pairs: Iterable[tuple[str, Device]],
                           aliases: dict[str, list[str]]) -> list[tuple[str, Device]]:
    """Two records with one serial number or one base MAC are one box (e.g. a router
    found through each of its addresses): keep the fullest record, note the other id."""
    ordered = sorted(pairs, key=lambda pair: (-_richness(pair[1]), pair[0]))
    kept: list[tuple[str, Device]] = []
    owner_of: dict[str, str] = {}
    for node_id, device in ordered:
        keys = [k for k in ("serial:" + device.serial.strip().upper(),
                            "mac:" + normalise_mac(device.base_mac)) if not k.endswith(":")]
        first = next((owner_of[k] for k in keys if k in owner_of), "")
        if first:
            aliases.setdefault(first, []).append(node_id)
            continue
        owner_of.update({k: node_id for k in keys})
        kept.append((node_id, device))
    return sorted(kept, key=lambda pair: pair[0])


def _richness(device: Device) -> int:
    return len(device.interfaces) + len(device.neighbors) + len(device.fdb) + len(device.arp)


def _remember(found: list[_Sighting], new: _Sighting) -> None:
    """LLDP and CDP both reporting the same neighbour on the same port are one sighting."""
    for old in found:
        if old.local == new.local and old.local_port == new.local_port:
            old.protocols |= new.protocols
            if not old.remote_port_known and new.remote_port_known:
                old.remote_port, old.remote_port_known = new.remote_port, True
            return
    found.append(new)


def _device_attributes(device: Device, kind: str) -> dict[str, object]:
    return {
        "kind": kind, "name": device.hostname or device.mgmt_ip or device.base_mac,
        "role": device.role, "site": device.site, "vendor": device.vendor,
        "model": device.model, "os": device.os, "version": device.version,
        "serial": device.serial, "platform": device.platform, "mgmt_ip": device.mgmt_ip,
        "ips": ",".join(device_ips(device)), "macs": ",".join(device_macs(device)),
        "inventoried": True, "switch": "", "port": "", "via": "", "vlan": 0,
        "vlan_names": "|".join(f"{vid}={name}" for vid, name in
                               sorted(device.vlans.items(), key=lambda kv: _vlan_id(kv[0]))),
    }


def _vlan_id(text: str) -> int:
    return int(text) if text.isdigit() else 1 << 13


def _derive_ids(devices: Sequence[Device]) -> list[str]:
    ids: list[str] = []
    taken: set[str] = set()
    for device in devices:
        wanted = _slug(device.hostname or device.mgmt_ip or normalise_mac(device.base_mac)
                       or "device")
        candidate, n = wanted, 2
        while candidate in taken:
            candidate, n = f"{wanted}-{n}", n + 1
        taken.add(candidate)
        ids.append(candidate)
    return ids


def _name_forms(name: str) -> list[str]:
    """sysName as given and without its domain: "sw1.example.net" also matches "sw1"."""
    text = name.strip().lower()
    if not text:
        return []
    short = text.split(".")[0] if not _looks_like_ip(text) else text
    return [text] if short == text else [text, short]


def _looks_like_ip(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


def _role_from_capabilities(capabilities: Iterable[str]) -> str:
    have = {c.strip().lower().replace(" ", "") for c in capabilities}
    for capability, role in _CAPABILITY_ROLES:
        if capability in have:
            return role
    return "unknown"


def _network_of(address: str) -> ipaddress.IPv4Network | None:
    try:
        interface = ipaddress.IPv4Interface(address)
    except ValueError:
        return None
    network = interface.network
    if network.prefixlen >= 32 or interface.ip.is_loopback or interface.ip.is_link_local:
        return None
    return network


def _containing(networks: list[ipaddress.IPv4Network], ip: str) -> ipaddress.IPv4Network | None:
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return None
    return next((n for n in networks if address in n), None)


def _ip_order(ip: str) -> tuple[int, str]:
    try:
        return int(ipaddress.IPv4Address(ip)), ip
    except ValueError:
        return 1 << 33, ip


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:-]+", "-", text.strip()).strip("-").lower() or "x"
