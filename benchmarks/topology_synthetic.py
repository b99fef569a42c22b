"""A synthetic client for topology/render benchmarks and scale tests (no network I/O).

Each site: a firewall, a router, a core switch and `switches - 1` access switches
(LLDP on every cable, both ends), endpoints on access ports, one unmanaged
switch with three PCs per access switch, MAC tables as real switches learn them
(uplinks carry everything beyond them) and the router's ARP table. Sites hang
off the first site's router over /30 WAN links. Addresses come from the
benchmarking range 198.18.0.0/15 (RFC 2544); nothing is ever sent to them.
"""
from __future__ import annotations

import ipaddress
from typing import Iterator

from netdoc.models import ArpEntry, Device, FdbEntry, Interface, Neighbor

ROLES_CYCLE = ("endpoint",) * 6 + ("phone", "printer", "camera", "server")


def synthetic_client(devices: int = 2000, sites: int = 4, switches_per_site: int = 10) \
        -> list[Device]:
    per_site = devices // sites
    out: list[Device] = []
    for index in range(sites):
        out += _site(index, per_site, switches_per_site)
    return out


def _mac(site: int, kind: int, number: int) -> str:
    return f"02:{site:02x}:{kind:02x}:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:" \
           f"{number & 255:02x}"


def _site(index: int, budget: int, switches: int) -> list[Device]:
    name = f"site{index + 1}"
    lan = ipaddress.IPv4Network(f"198.18.{index * 2}.0/23")
    hosts = iter(lan.hosts())
    router_ip, firewall_ip = str(next(hosts)), str(next(hosts))
    core = _switch(name, "core", index, 0, str(next(hosts)), switches)
    access = [_switch(name, f"access{n}", index, n, str(next(hosts)), switches)
              for n in range(1, switches)]
    router = _router(name, index, router_ip, lan.prefixlen)
    firewall = Device(hostname=f"{name}-fw", mgmt_ip=firewall_ip, base_mac=_mac(index, 3, 1),
                      vendor="Fortinet", model="FortiGate-60F", os="FortiOS", version="7.2.8",
                      role="firewall", site=name,
                      interfaces=[Interface(1, "wan1", mac=_mac(index, 3, 1), oper_up=True,
                                            admin_up=True,
                                            ipv4=[f"{firewall_ip}/{lan.prefixlen}"])])
    _cable(core, "Gi1/0/1", router, "Gi0/0/1")
    _cable(core, "Gi1/0/2", firewall, "wan1")
    for n, switch in enumerate(access, start=1):
        _cable(core, f"Gi1/0/{n + 2}", switch, "Gi1/0/52")
    endpoint_budget = budget - 2 - switches
    endpoints = _endpoints(name, index, hosts, endpoint_budget, switches - 1)
    _learn(core, access, router, firewall, endpoints)
    router.arp = [ArpEntry(ip=d.mgmt_ip, mac=d.base_mac, interface="GigabitEthernet0/0/1")
                  for d in [core, firewall] + access + [e for e, _, _ in endpoints]]
    return [router, firewall, core] + access + [e for e, _, _ in endpoints]


def _switch(site: str, role_name: str, index: int, number: int, ip: str, ports: int) -> Device:
    interfaces = [Interface(p, f"Gi1/0/{p}", descr=f"GigabitEthernet1/0/{p}",
                            mac=_mac(index, 1, number * 256 + p), speed_bps=1_000_000_000,
                            admin_up=True, oper_up=True) for p in range(1, 53)]
    interfaces.append(Interface(100, "Vlan1", mac=_mac(index, 1, number * 256), admin_up=True,
                                oper_up=True, ipv4=[f"{ip}/23"]))
    return Device(hostname=f"{site}-{role_name}", mgmt_ip=ip, base_mac=_mac(index, 1, number * 256),
                  vendor="Cisco", model="C9300-48P" if number == 0 else "C9200L-48P",
                  os="IOS-XE", version="17.9.4", role="switch", site=site,
                  interfaces=interfaces)


def _router(site: str, index: int, ip: str, prefix: int) -> Device:
    wan = ipaddress.IPv4Network(f"198.19.255.{index * 4}/30")
    hub_side, site_side = list(wan.hosts())
    interfaces = [Interface(1, "Gi0/0/1", descr="GigabitEthernet0/0/1", mac=_mac(index, 2, 1),
                            admin_up=True, oper_up=True, ipv4=[f"{ip}/{prefix}"])]
    if index:  # every branch has a /30 to the first site's router
        interfaces.append(Interface(2, "Gi0/0/0", mac=_mac(index, 2, 2), admin_up=True,
                                    oper_up=True, ipv4=[f"{site_side}/30"]))
    return Device(hostname=f"{site}-rtr", mgmt_ip=ip, base_mac=_mac(index, 2, 1),
                  vendor="Cisco", model="ISR4331", os="IOS-XE", version="17.6.5",
                  role="router", site=site, interfaces=interfaces
                  + ([] if index else [Interface(10 + n, f"Gi0/1/{n}", mac=_mac(index, 2, 10 + n),
                                                 admin_up=True, oper_up=True,
                                                 ipv4=[f"198.19.255.{n * 4 + 1}/30"])
                                       for n in range(1, 8)]))


def _cable(a: Device, port_a: str, b: Device, port_b: str) -> None:
    a.neighbors.append(Neighbor("lldp", port_a, b.hostname, port_b, b.base_mac, b.mgmt_ip))
    b.neighbors.append(Neighbor("lldp", port_b, a.hostname, port_a, a.base_mac, a.mgmt_ip))


def _endpoints(site: str, index: int, hosts: Iterator[ipaddress.IPv4Address], budget: int,
               access: int) -> list[tuple[Device, int, str]]:
    """(endpoint, access switch number, port): ports 1-44 one device each; the rest
    share ports 45-48 through unmanaged switches."""
    placed: list[tuple[Device, int, str]] = []
    for n in range(budget):
        role = ROLES_CYCLE[n % len(ROLES_CYCLE)]
        device = Device(hostname=f"{site}-{role}-{n + 1}", mgmt_ip=str(next(hosts)),
                        base_mac=_mac(index, 9, n + 1), vendor="Dell", role=role, site=site)
        switch, slot = n % access + 1, n // access
        port = slot + 1 if slot < 44 else 45 + (slot - 44) % 4
        placed.append((device, switch, f"Gi1/0/{port}"))
    return placed


def _learn(core: Device, access: list[Device], router: Device, firewall: Device,
           endpoints: list[tuple[Device, int, str]]) -> None:
    """MAC tables as switches fill them: local ports, and uplinks carrying the rest."""
    by_switch: dict[int, list[tuple[str, str]]] = {}
    for device, number, port in endpoints:
        by_switch.setdefault(number, []).append((device.base_mac, port))
    everyone = [(d.base_mac, s) for d, s, _ in endpoints]
    for n, switch in enumerate(access, start=1):
        local = by_switch.get(n, [])
        switch.fdb = [FdbEntry(mac, port, 1) for mac, port in local]
        remote = [mac for mac, s in everyone if s != n] + \
            [core.base_mac, router.base_mac, firewall.base_mac] + \
            [a.base_mac for a in access if a is not switch]
        switch.fdb += [FdbEntry(mac, "Gi1/0/52", 1) for mac in remote]
    core.fdb = [FdbEntry(mac, f"Gi1/0/{s + 2}", 1) for mac, s in everyone]
    core.fdb += [FdbEntry(a.base_mac, f"Gi1/0/{n + 2}", 1) for n, a in enumerate(access, 1)]
    core.fdb += [FdbEntry(router.base_mac, "Gi1/0/1", 1), FdbEntry(firewall.base_mac,
                                                                   "Gi1/0/2", 1)]
