"""Merge what the collectors saw in one run into one Device per real device.

SNMP-polled devices are the backbone: every address and MAC on their
interfaces belongs to them. Every other live address (ARP sweep, a router's
ARP table, ICMP/TCP liveness) becomes an endpoint, named by reverse DNS and
given the NIC vendor from its MAC's OUI.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable

from netdoc.inventory.identity import identifiers, same_device
from netdoc.models import Device, Interface

SOURCE_RANK = {"self": 0, "arp-sweep": 0, "router-arp": 1, "lldp": 2, "icmp": 3, "tcp": 3, "seed": 4}


@dataclass(frozen=True)
class Sighting:
    """One host seen alive: its IP, its MAC when layer 2 told us, and how we know."""

    ip: str
    mac: str = ""
    source: str = "arp-sweep"  # a key of SOURCE_RANK, optionally followed by " detail"

    @property
    def rank(self) -> int:
        return SOURCE_RANK.get(self.source.split(" ", 1)[0], 9)


@dataclass
class SiteObservations:
    site: str
    polled: list[Device] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # ip -> reverse-DNS name


VendorLookup = Callable[[str], str]


def merge_site(observations: SiteObservations, vendor_of: VendorLookup) -> list[Device]:
    from netdoc.inventory.evidence import join_neighbours

    devices: list[Device] = []
    for polled in observations.polled:  # a router polled on two of its addresses is one device
        twin = next((known for known in devices if same_device(polled, known)), None)
        if twin is None:
            devices.append(_complete_polled(polled, observations))
        elif polled.mgmt_ip and polled.mgmt_ip != twin.mgmt_ip:
            twin.merged_because.append(f"also answered SNMP at {polled.mgmt_ip}: "
                                       f"{_same_because(polled, twin)}")
    polled_devices = list(devices)
    owned_ips = {ip for d in devices for ip in _addresses(d)}
    owned_macs = {mac for d in devices for mac in _macs(d)}
    endpoint_by_mac: dict[str, Device] = {}
    sources = _sources_per_ip(observations.sightings)
    for sighting in _best_sighting_per_ip(observations.sightings):
        if sighting.ip in owned_ips or (sighting.mac and sighting.mac in owned_macs):
            continue
        same_nic = endpoint_by_mac.get(sighting.mac) if sighting.mac else None
        if same_nic is not None:  # one NIC answering for two addresses: one box
            same_nic.interfaces.append(Interface(index=len(same_nic.interfaces) + 1,
                                                 mac=sighting.mac, ipv4=[f"{sighting.ip}/32"],
                                                 admin_up=True, oper_up=True))  # it answered
            same_nic.merged_because.append(f"{sighting.ip} answered from the same MAC "
                                           f"{sighting.mac} as {same_nic.mgmt_ip}")
            owned_ips.add(sighting.ip)
            continue
        endpoint = Device(
            hostname=observations.names.get(sighting.ip, ""),
            mgmt_ip=sighting.ip,
            base_mac=sighting.mac,
            vendor=vendor_of(sighting.mac) if sighting.mac else "",
            role="endpoint",
            site=observations.site)
        if len(sources.get(sighting.ip, ())) > 1:
            endpoint.merged_because.append(
                f"{sighting.ip} seen by {', '.join(sorted(sources[sighting.ip]))}"
                + (f"; its MAC from {sighting.source}" if sighting.mac else ""))
        devices.append(endpoint)
        if sighting.mac:
            endpoint_by_mac[sighting.mac] = endpoint
        owned_ips.add(sighting.ip)
    polled_ids = {id(d) for d in polled_devices}
    endpoints = [d for d in devices if id(d) not in polled_ids]
    devices += join_neighbours(polled_devices, endpoints, observations.site,
                               lambda ip: _in_observed(ip, observations), vendor_of)
    return sorted(devices, key=lambda d: ipaddress.IPv4Address(d.mgmt_ip or "0.0.0.0"))


def _same_because(a: Device, b: Device) -> str:
    left, right = identifiers(a), identifiers(b)
    labels = {"serial": "same serial number", "mac": "same base MAC", "name": "same sysName",
              "ip": "same IP"}
    for kind in ("serial", "mac", "name", "ip"):
        if left[kind] and right[kind]:
            return f"{labels[kind]} {left[kind]}"
    return "same device"


def _sources_per_ip(sightings: list[Sighting]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for sighting in sightings:
        found.setdefault(sighting.ip, set()).add(sighting.source.split(" ", 1)[0])
    return found


def _in_observed(ip: str, observations: SiteObservations) -> bool:
    """An address inside the subnets this run looked at (the polled devices' own subnets
    and the addresses that answered): an LLDP neighbour's announced IP outside them is
    not taken as its address."""
    if not ip:
        return False
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    networks = {ipaddress.IPv4Interface(cidr).network for d in observations.polled
                for i in d.interfaces for cidr in i.ipv4 if "/" in cidr}
    return any(address in n for n in networks if n.prefixlen < 32) or \
        any(s.ip == ip for s in observations.sightings)


def _complete_polled(device: Device, observations: SiteObservations) -> Device:
    device.site = observations.site
    if not device.base_mac:
        device.base_mac = _mac_of_management_interface(device) or next(
            (s.mac for s in observations.sightings if s.ip == device.mgmt_ip and s.mac), "")
    if not device.hostname:
        device.hostname = observations.names.get(device.mgmt_ip, "")
    return device


def _mac_of_management_interface(device: Device) -> str:
    for interface in device.interfaces:
        if any(cidr.split("/")[0] == device.mgmt_ip for cidr in interface.ipv4) and interface.mac:
            return interface.mac
    return ""


def _addresses(device: Device) -> set[str]:
    found = {cidr.split("/")[0] for i in device.interfaces for cidr in i.ipv4}
    if device.mgmt_ip:
        found.add(device.mgmt_ip)
    return found


def _macs(device: Device) -> set[str]:
    found = {i.mac for i in device.interfaces if i.mac}
    if device.base_mac:
        found.add(device.base_mac)
    return found


def _best_sighting_per_ip(sightings: list[Sighting]) -> list[Sighting]:
    best: dict[str, Sighting] = {}
    for sighting in sightings:
        known = best.get(sighting.ip)
        if known is None or (not known.mac and sighting.mac) or \
                (bool(known.mac) == bool(sighting.mac) and sighting.rank < known.rank):
            best[sighting.ip] = sighting
    return [best[ip] for ip in sorted(best, key=ipaddress.IPv4Address)]
