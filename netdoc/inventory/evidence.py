"""One record per box: tie what switches' LLDP/CDP tables say about a neighbour that
answers no SNMP to the endpoint the sweeps found (ARP, router ARP, liveness, DNS).

A server or access point announcing itself is seen twice in one run: as an LLDP
neighbour of its switch (a chassis MAC, maybe a management IP, a system name)
and as an address that answered (an IP with the MAC of the NIC that talks IP).
They are one box when one of these holds, tried strongest first:

    chassis MAC     the LLDP chassis ID is the MAC the IP answered from
    management IP   the neighbour announces the IP that answered
    FDB             the switch learned exactly one station MAC on the port the
                    neighbour is on, and that is the MAC the IP answered from
    name            the announced system name is the IP's reverse-DNS name

A MAC or an IP never joins two boxes that call themselves by different names (a
cloned MAC is two boxes); a name both sides give themselves (LLDP system name,
reverse DNS) joins even a box whose chassis MAC is another NIC's.
Each join is written into the endpoint's `merged_because`, so it can be explained.
Neighbours that match nothing and are endpoints (phones, APs, cameras, servers)
become endpoint records of their own, from what they announce.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Callable

from netdoc.models import Device, Interface, Neighbor, normalise_mac
from netdoc.textsafe import clean

INFRASTRUCTURE = frozenset({"switch", "router", "firewall"})
# A station that runs an LLDP agent and describes itself as a general-purpose operating
# system is a server (desktops rarely announce themselves; phones, APs, cameras say what
# they are through capabilities and LLDP-MED).
SERVER_SYSTEMS = re.compile(r"\b(linux|windows server|freebsd|openbsd|vmware esxi|proxmox|"
                            r"sunos|solaris|hyper-v)\b", re.IGNORECASE)
REASON_LIMIT = 300


@dataclass
class _Seen:
    """One neighbour row: who saw it, on which port."""

    switch: Device
    neighbour: Neighbor


def join_neighbours(polled: list[Device], endpoints: list[Device], site: str,
                    in_site: Callable[[str], bool],
                    vendor_of: Callable[[str], str]) -> list[Device]:
    """Enrich `endpoints` in place with the LLDP/CDP neighbours of the polled devices;
    returns the endpoint records made for neighbours that matched no endpoint."""
    from netdoc.discover.identify import identify_neighbor

    owned_macs = {m for d in polled for m in _macs(d)}
    owned_ips = {ip for d in polled for ip in _ips(d)}
    owned_names = {f for d in polled for f in _name_forms(d.hostname)}
    by_mac = {d.base_mac: d for d in endpoints if d.base_mac}
    by_ip = {d.mgmt_ip: d for d in endpoints if d.mgmt_ip}
    by_name: dict[str, Device] = {}
    for endpoint in endpoints:
        for form in _name_forms(endpoint.hostname):
            by_name.setdefault(form, endpoint)
    made: list[Device] = []
    for seen in _neighbour_rows(polled):
        n = seen.neighbour
        chassis = normalise_mac(n.remote_chassis_id) if n.remote_chassis_id else ""
        if chassis in owned_macs or n.remote_mgmt_ip in owned_ips or \
                any(f in owned_names for f in _name_forms(n.remote_name)):
            continue  # a polled device: the topology links it, nothing to join
        where = f"{seen.switch.hostname or seen.switch.mgmt_ip} {n.local_port}".strip()
        target, reason = _match(seen, chassis, by_mac, by_ip, by_name, owned_macs)
        ident = identify_neighbor(n)
        if target is None:
            if ident.role in INFRASTRUCTURE or not (chassis or in_site(n.remote_mgmt_ip)):
                continue  # a network device we cannot poll stays a neighbour node
            target = Device(mgmt_ip=n.remote_mgmt_ip if in_site(n.remote_mgmt_ip) else "",
                            base_mac=chassis, role="endpoint", site=site,
                            vendor=vendor_of(chassis) if chassis else "")
            reason = f"announced by {n.protocol.upper()} on {where}"
            made.append(target)
            if chassis:
                by_mac[chassis] = target
            if target.mgmt_ip:
                by_ip[target.mgmt_ip] = target
        _enrich(target, n, chassis, ident)
        _explain(target, f"{n.protocol.upper()} neighbour {n.remote_name or chassis} on "
                         f"{where}: {reason}")
        for form in _name_forms(target.hostname):
            by_name.setdefault(form, target)
    return made


def _match(seen: _Seen, chassis: str, by_mac: dict[str, Device], by_ip: dict[str, Device],
           by_name: dict[str, Device], owned_macs: set[str]) -> tuple[Device | None, str]:
    n = seen.neighbour
    names = _name_forms(n.remote_name)
    if chassis and chassis in by_mac:
        found = by_mac[chassis]
        if not _names_clash(found, names):
            return found, f"chassis MAC {chassis} = the MAC {found.mgmt_ip or chassis} " \
                          f"answered from"
    if n.remote_mgmt_ip and n.remote_mgmt_ip in by_ip:
        found = by_ip[n.remote_mgmt_ip]
        if not _names_clash(found, names):
            return found, f"announces management IP {n.remote_mgmt_ip}"
    station = _only_station_on_port(seen, owned_macs)
    if station and station in by_mac:
        found = by_mac[station]
        if not _names_clash(found, names):
            return found, f"the only MAC learned on that port is {station}, the MAC " \
                          f"{found.mgmt_ip or station} answered from"
    for form in names:
        found_by_name = by_name.get(form)
        if found_by_name is not None:
            return found_by_name, f"system name {n.remote_name} = DNS name " \
                                  f"{found_by_name.hostname}"
    return None, ""


def _only_station_on_port(seen: _Seen, owned_macs: set[str]) -> str:
    port = _port_key(seen.neighbour.local_port)
    if not port:
        return ""
    macs = {normalise_mac(e.mac) for e in seen.switch.fdb if _port_key(e.port) == port}
    macs -= owned_macs
    macs.discard("")
    return next(iter(macs)) if len(macs) == 1 else ""


def _names_clash(device: Device, names: list[str]) -> bool:
    """Both sides name themselves and the names differ: two boxes sharing a MAC or IP."""
    mine = _name_forms(device.hostname)
    return bool(mine and names and not set(mine) & set(names))


def _enrich(device: Device, n: Neighbor, chassis: str, ident: object) -> None:
    if n.remote_name and not device.hostname:
        device.hostname = n.remote_name
    if chassis and chassis not in _macs(device):
        if not device.base_mac:
            device.base_mac = chassis
        else:  # a second NIC: the chassis ID is another port's MAC (or a bond's)
            device.interfaces.append(Interface(index=len(device.interfaces) + 1,
                                               name=_port_label(n), mac=chassis,
                                               admin_up=True, oper_up=True))  # it announces
    for name in ("vendor", "model", "serial", "version", "os"):
        value = str(getattr(ident, name, "") or "")
        if value and not getattr(device, name):
            setattr(device, name, value)
    role = str(getattr(ident, "role", "") or "")
    if role in ("endpoint", "unknown", "") and not n.remote_med_class and \
            SERVER_SYSTEMS.search(n.remote_platform or ""):
        role = "server"
    if role and role not in ("unknown", "endpoint") and device.role in ("endpoint", "unknown"):
        device.role = role


def _port_label(n: Neighbor) -> str:
    port = n.remote_port
    return "" if not port or normalise_mac(port) else port


def _explain(device: Device, reason: str) -> None:
    text = clean(reason, REASON_LIMIT)
    if text not in device.merged_because:
        device.merged_because.append(text)


def _neighbour_rows(polled: list[Device]) -> list[_Seen]:
    rows = [_Seen(d, n) for d in polled for n in d.neighbors]
    return sorted(rows, key=lambda s: (s.switch.mgmt_ip, s.neighbour.local_port,
                                       s.neighbour.protocol, s.neighbour.remote_name))


def _macs(device: Device) -> set[str]:
    found = {normalise_mac(i.mac) for i in device.interfaces if i.mac}
    if device.base_mac:
        found.add(normalise_mac(device.base_mac))
    found.discard("")
    found.discard("00:00:00:00:00:00")
    return found


def _ips(device: Device) -> set[str]:
    found = {cidr.split("/")[0] for i in device.interfaces for cidr in i.ipv4}
    if device.mgmt_ip:
        found.add(device.mgmt_ip)
    return found


def _name_forms(name: str) -> list[str]:
    text = name.strip().lower().rstrip(".")
    if not text:
        return []
    try:
        ipaddress.IPv4Address(text)
        return [text]
    except ValueError:
        short = text.split(".")[0]
    return [text] if short == text else [text, short]


def _port_key(name: str) -> str:
    return name.strip().lower()
