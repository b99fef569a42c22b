"""The second, cheap pass over a polled device: its MAC and ARP tables only.

Discovery polls the switches and routers early, before every sweep has woken
the network's quiet hosts (a routed subnet's liveness sweep runs after the
routers were polled; a host that never sends is in no table until asked).
After the sweeps, this reads only what moves: the bridge port map, the
forwarding database and the ARP table, with the interfaces the first poll
already knows - a few walks, well under a second per switch.

    fdb, arp, warnings = await reread_tables(host, port, credential, settings, device)
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from netdoc.config import CredentialSet, SnmpSettings
from netdoc.errors import SnmpError
from netdoc.discover.identify import snmp_rules
from netdoc.platforms import load_profiles
from netdoc.models import ArpEntry, Device, FdbEntry

TABLES_BUDGET = 10.0  # seconds at most for one device's second pass


@dataclass
class Tables:
    host: str
    fdb: list[FdbEntry] = field(default_factory=list)
    arp: list[ArpEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""


async def reread_tables(host: str, port: int, credential: CredentialSet,
                        settings: SnmpSettings, device: Device) -> Tables:
    """FDB and ARP of an already identified device. Never raises for device problems:
    a device that does not answer now keeps what the first poll read (`error` says why)."""
    from netdoc.discover.collectors import snmp
    from netdoc.discover.snmp.client import open_client

    started = time.monotonic()
    result = Tables(host=host)
    if credential.snmp is None:
        result.error = "no SNMP credential"
        return result
    budget = min(settings.device_budget, TABLES_BUDGET)
    try:
        transport = await open_client(host, port, credential.snmp, settings,
                                      deadline=started + budget)
        try:
            reader = snmp._Reader(transport)
            interfaces = {i.index: i for i in device.interfaces}
            rules = snmp_rules(device.platform) if device.platform in load_profiles() \
                else None
            per_vlan = bool(rules and rules.fdb_per_vlan)
            base_ports = await snmp._base_ports(reader)
            fdb_task = snmp._fdb_per_vlan(reader, interfaces) if per_vlan else \
                snmp._fdb_dot1q(reader, interfaces, base_ports)
            fdb, arp = await asyncio.wait_for(
                asyncio.gather(fdb_task, snmp._arp(reader, interfaces)), budget + 1.0)
            if not fdb and per_vlan:
                fdb = await snmp._fdb_dot1q(reader, interfaces, base_ports)
            if not fdb and base_ports:
                fdb = await snmp._fdb_dot1d(reader, interfaces, 0, base_ports)
            result.fdb, result.arp = snmp._unique(fdb), arp
            result.warnings = list(reader.warnings)
        finally:
            await transport.close()
    except (SnmpError, asyncio.TimeoutError) as exc:
        result.error = getattr(exc, "reason", "") or f"no answer within {budget:g} s"
    result.seconds = round(time.monotonic() - started, 3)
    return result


def fold_tables(device: Device, tables: Tables) -> tuple[int, int]:
    """Take the second pass into the device: it is the newer truth, except where it came
    back empty or broken (then the first read stays). Returns (new MACs, new ARP entries)."""
    if tables.error:
        return 0, 0
    old_macs = {e.mac for e in device.fdb}
    old_ips = {e.ip for e in device.arp}
    new_fdb = len({e.mac for e in tables.fdb} - old_macs)
    new_arp = len({e.ip for e in tables.arp} - old_ips)
    if tables.fdb and not tables.warnings:
        device.fdb = sorted(tables.fdb, key=lambda f: (f.vlan, f.mac, f.port))
    elif tables.fdb:  # partial: add what is new, keep the rest of the first read
        known = {(e.mac, e.port, e.vlan) for e in device.fdb}
        device.fdb += [e for e in tables.fdb if (e.mac, e.port, e.vlan) not in known]
    if tables.arp:
        by_ip = {e.ip: e for e in device.arp}
        by_ip.update({e.ip: e for e in tables.arp})
        device.arp = [by_ip[ip] for ip in sorted(by_ip, key=_ip_key)]
    return new_fdb, new_arp


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in ip.split("."))
    except ValueError:
        return (1 << 9,)
