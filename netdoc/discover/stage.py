"""Discover one client: every site's subnets, then the inventory update.

Per site, concurrently where the network allows:
  1. ARP-sweep the subnets the probe is attached to; listen for LLDP/CDP meanwhile.
  2. SNMP-poll the seeds and every live address (bounded concurrency); the
     credential set that worked last time for a device is tried first.
  3. Crawl: poll the LLDP/CDP neighbours' management addresses inside the site.
  4. Routed subnets: take hosts from the routers' ARP tables (first choice), then
     ICMP/TCP liveness for the addresses still unknown; poll what is new.
  5. Second pass: the MAC and ARP tables of the devices polled before the last sweep
     are read again (only those tables), so the hosts the sweeps woke are in them.
  6. Reverse DNS, OUI vendors, merge into devices.
Then the client's inventory is updated and committed once.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from netdoc.config import Client, Config, CredentialSet, DeviceSeed, Site
from netdoc.errors import NetdocError
from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.app.guard import site_refusals
from netdoc.inventory.merge import SiteObservations, Sighting, merge_site
from netdoc.inventory.store import InventoryStore
from netdoc.models import INVENTORY_EVENTS, Device, Neighbor
from netdoc.app.pipeline import DeviceFailure, Event, StageOutcome
from netdoc.workspace import SNMP_CREDENTIALS

log = logging.getLogger("netdoc.discover")

EVENT_KINDS = INVENTORY_EVENTS  # inventory change -> event kind (netdoc.models)
CREDENTIALS_FILE = SNMP_CREDENTIALS  # which set worked per device: state, not in git


@dataclass
class SiteResult:
    devices: list[Device] = field(default_factory=list)
    failures: list[DeviceFailure] = field(default_factory=list)
    failed_hosts: set[str] = field(default_factory=set)
    heard: list[Neighbor] = field(default_factory=list)  # passive LLDP/CDP on the probe
    credentials: dict[str, str] = field(default_factory=dict)  # ip -> credential set name


def discover_client(config: Config, client: Client) -> StageOutcome:
    store = InventoryStore(config.inventory_dir(client.name))
    known = _known_snmp_devices(store)
    remembered = read_json(store.root / CREDENTIALS_FILE, {}) or {}
    from netdoc.discover.probe import ReachBook

    reach = ReachBook.load(store.root)  # per host: did SNMP answer last time (probe.py)
    devices: list[Device] = []
    failures: list[DeviceFailure] = []
    failed_hosts: set[str] = set()
    probe_neighbours: list[Neighbor] = []
    refused: list[str] = []
    # the guard rail: a client none of whose sites is on this probe's networks is not
    # swept (--force); see netdoc.app.guard
    refusals = site_refusals([(site.name, [s.network for s in site.subnets])
                              for site in client.sites])
    for site in client.sites:
        refusal = refusals.get(site.name, "")
        if refusal:
            log.warning("[%s] %s", client.name, refusal)
            refused.append(refusal)
            # its devices were not looked for: they keep their record, none is "gone"
            failed_hosts |= {r.device.mgmt_ip for r in store.records()
                             if r.device.site == site.name and r.device.mgmt_ip}
            continue
        result = asyncio.run(SiteDiscovery(config, site, known, remembered, reach).run())
        devices.extend(result.devices)
        failures.extend(result.failures)
        failed_hosts |= result.failed_hosts
        probe_neighbours.extend(result.heard)
        remembered.update(result.credentials)
    _vlans_from_backups(config, client, devices)
    update = store.update(devices, failed_hosts, config.discovery.missing_after_runs,
                          mass_guard=True,  # half the client at once: refused (netdoc.app.guard)
                          archive_after=config.discovery.archive_after_runs)
    try:
        moves = _record_port_history(store, client.name)
    except NetdocError as exc:  # the inventory itself is committed: the run goes on
        log.warning("port history not updated: %s", exc)
        moves = []
    atomic_write(store.root / CREDENTIALS_FILE, stable_json(remembered))
    reach.save(store.root)
    atomic_write(store.files.probe_neighbours,
                 stable_json([vars(n) for n in probe_neighbours]))
    polled = sum(1 for d in devices if d.sys_object_id)
    return StageOutcome(
        stage="discover", client=client.name,
        summary=f"{len(devices)} device(s) found, {polled} identified over SNMP, "
                f"{len(update.changes)} change(s)",
        failures=failures, changes=[str(c) for c in update.changes] + moves,
        events=[Event(EVENT_KINDS[c.kind], c.device, c.detail) for c in update.changes],
        skipped=refused, outputs={"inventory": str(store.root)})


def _vlans_from_backups(config: Config, client: Client, devices: list[Device]) -> int:
    """Where SNMP said nothing about a switch port's VLANs, its latest backed-up
    configuration may (switchport lines, vlan names). Returns the ports filled."""
    candidates = [d for d in devices if d.sys_object_id and d.interfaces and
                  any(not i.vlan_mode for i in d.interfaces) and
                  (d.fdb or d.role in ("switch", "wireless"))]
    if not candidates:
        return 0
    from netdoc.backup.summary import backed_up_configs
    from netdoc.discover.collectors.vlans import apply_config

    try:
        configs = backed_up_configs(config, client.name,
                                    {d.mgmt_ip for d in candidates if d.mgmt_ip})
    except (NetdocError, OSError, ValueError) as exc:
        log.debug("VLANs from configs skipped: %s", exc)
        return 0
    filled = 0
    for device in candidates:
        text = configs.get(device.mgmt_ip or "")
        if text is not None:
            filled += apply_config(device, text)
    if filled:
        log.info("VLANs of %d port(s) taken from backed-up configurations", filled)
    return filled


def _record_port_history(store: InventoryStore, client: str, stamp: str = "") -> list[str]:
    """Where each endpoint is plugged in now, folded into inventory/<client>/port-history.json
    and committed when it changed. Returns the moves and disappearances, in words."""
    from datetime import datetime, timezone

    from netdoc.inventory.history import HISTORY_FILE, placements_from_graph, record_placements
    from netdoc.textsafe import clamp_device
    from netdoc.topology import build_topology

    records = store.records()
    graph = build_topology([clamp_device(r.device) for r in records], client,
                           ids=[r.id for r in records])
    stamp = stamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    changes = record_placements(store.root, placements_from_graph(graph), stamp)
    message = f"Port history: {len(changes)} change(s)" if changes else "Port history updated"
    body = "\n".join(f"- {c}" for c in changes[:200])
    store.commit_files([HISTORY_FILE], message + (f"\n\n{body}\n" if body else ""))
    return changes


def _known_snmp_devices(store: InventoryStore) -> set[str]:
    """Addresses of devices that answered SNMP before: their silence now is a failure."""
    return {r.device.mgmt_ip for r in store.records() if r.device.sys_object_id}


class SiteDiscovery:
    def __init__(self, config: Config, site: Site, known: set[str],
                 remembered: dict[str, str], reach: Any = None) -> None:
        from netdoc.discover.probe import PROBE_CONCURRENCY, ReachBook

        self.config = config
        self.reach = reach if reach is not None else ReachBook()
        self.probe_gate = asyncio.Semaphore(PROBE_CONCURRENCY)
        self.site = site
        self.known = known
        self.remembered = remembered
        self.settings = config.discovery
        self.gate = asyncio.Semaphore(self.settings.concurrency)
        self.result = SiteResult()
        self.polled: dict[str, Device] = {}
        self.attempted: set[str] = set()
        self.sightings: list[Sighting] = []
        self.polled_at: dict[str, float] = {}  # when each device's tables were read
        self.swept_at = 0.0  # when the last sweep (ARP, liveness) ended
        self.routed: list[ipaddress.IPv4Network] = []  # subnets the probe reaches via a router
        self.seeds = {seed.host: seed for seed in site.devices if not seed.exclude}

    # ------------------------------------------------------------ the plan
    async def run(self) -> SiteResult:
        from netdoc.discover.collectors import arp

        direct, routed = self._split_subnets()
        self.routed = routed
        listen = _start_listener(self.settings.lldp_listen) \
            if self.settings.lldp_listen > 0 else None
        for network, attachment in direct:
            self.sightings.append(_probe_itself(attachment))
            self.sightings += await asyncio.to_thread(
                arp.arp_sweep, arp.targets(network, self._exclusions()), attachment.interface,
                self.settings.arp_rate, self.settings.arp_retries)
            self.swept_at = time.monotonic()
        # names of the hosts known so far are looked up while the polls run (a resolver
        # that does not answer then costs nothing extra); the rest at the end
        names = asyncio.create_task(self._early_names(list(self.seeds) +
                                                      [s.ip for s in self.sightings]))
        await self._poll_all(list(self.seeds) + [s.ip for s in self.sightings])
        await self._crawl_neighbours()
        if routed:
            await self._discover_routed(routed)
        # the second pass needs nothing the passive listener hears: it runs before its end
        await self._second_pass()
        if listen is not None:
            if not listen.done():
                # the listen is all that is left running: meanwhile load what the end of the
                # run needs (OUI table, topology for the port history) instead of after it
                await asyncio.to_thread(_warm_up_end_of_run)
            self.result.heard = await listen
            self.sightings += [Sighting(n.remote_mgmt_ip, source="lldp")
                               for n in self.result.heard if self._in_site(n.remote_mgmt_ip)]
        return await self._finish(await names)

    def _split_subnets(self) -> tuple[list[tuple[ipaddress.IPv4Network, Any]],
                                      list[ipaddress.IPv4Network]]:
        from netdoc.discover.collectors.arp import attachment

        direct, routed = [], []
        for subnet in self.site.subnets:
            how = attachment(subnet.network)
            if how is not None and how.direct and how.source and \
                    ipaddress.IPv4Address(how.source) in subnet.network:
                direct.append((subnet.network, how))
            else:
                routed.append(subnet.network)
        return direct, routed

    async def _crawl_neighbours(self) -> None:
        while True:
            new = {n.remote_mgmt_ip for device in self.polled.values()
                   for n in device.neighbors if self._in_site(n.remote_mgmt_ip)} - self.attempted
            if not new:
                return
            await self._poll_all(sorted(new))

    async def _discover_routed(self, routed: list[ipaddress.IPv4Network]) -> None:
        from netdoc.discover.collectors.liveness import liveness_sweep

        from_routers = [Sighting(entry.ip, entry.mac, f"router-arp {device.mgmt_ip}")
                        for device in self.polled.values() for entry in device.arp
                        if any(_contains(net, entry.ip) for net in routed)]
        self.sightings += from_routers
        known = {s.ip for s in self.sightings}
        unknown = [a for net in routed for a in _hosts(net, self._exclusions()) if a not in known]
        # The hosts the routers named are polled while the liveness sweep runs: both mostly
        # wait (endpoints' SNMP timeouts, probe replies) and neither needs the other.
        polls = asyncio.create_task(self._poll_all([s.ip for s in self.sightings]))
        try:
            if unknown:
                # hosts the routers just named are alive: their echo replies tell the
                # sweep the round trip even when none of the unknown addresses answers
                rulers = tuple(dict.fromkeys(s.ip for s in from_routers))[:8]
                self.sightings += await asyncio.to_thread(liveness_sweep, unknown,
                                                          self.settings.arp_rate, rulers=rulers)
                self.swept_at = time.monotonic()
        finally:
            await polls
        await self._poll_all([s.ip for s in self.sightings])
        await self._crawl_neighbours()

    async def _second_pass(self) -> None:
        """Read the MAC/ARP tables again of every switch and router polled before the last
        sweep ended: the hosts that sweep woke (quiet hosts of a routed subnet, hosts that
        answer nothing but the router's ARP) are in the tables only now."""
        from netdoc.discover.collectors.tables import fold_tables, reread_tables

        stale = sorted(a for a, device in self.polled.items()
                       if self.polled_at.get(a, 0.0) <= self.swept_at and _has_tables(device))
        if not stale:
            return
        started = time.monotonic()

        async def one(address: str) -> tuple[str, Any]:
            seed = self.seeds.get(address)
            credential = self.config.credentials[self.result.credentials[address]]
            async with self.gate:
                return address, await reread_tables(
                    address, seed.snmp_port if seed else 161, credential,
                    self.settings.snmp, self.polled[address])

        new_macs = new_arp = 0
        for address, tables in await asyncio.gather(*(one(a) for a in stale)):
            macs, arp = fold_tables(self.polled[address], tables)
            new_macs, new_arp = new_macs + macs, new_arp + arp
            if tables.error:
                log.info("second pass of %s's MAC/ARP tables: %s; the first read stays",
                         address, tables.error)
        log.info("second pass of the MAC/ARP tables: %d device(s) in %.2f s, %d new MAC(s), "
                 "%d new ARP entr(ies)", len(stale), time.monotonic() - started, new_macs,
                 new_arp)
        known = {s.ip for s in self.sightings}
        with_mac = {s.ip for s in self.sightings if s.mac}
        # only routed subnets: on the probe's own subnets the ARP sweep is the truth, and a
        # router's ARP table remembers hosts long after they are gone
        woken = [Sighting(entry.ip, entry.mac, f"router-arp {device.mgmt_ip}")
                 for device in self.polled.values() for entry in device.arp
                 if entry.ip not in with_mac and self._in_site(entry.ip)
                 and any(_contains(net, entry.ip) for net in self.routed)]
        # New hosts (the sweep asked them and they answered nothing but the router's ARP:
        # not worth an SNMP timeout) and the MACs of those that answered the sweep.
        self.sightings += woken
        log.debug("second pass: %d host(s) only the routers' ARP tables name",
                  len({s.ip for s in woken} - known))

    async def _early_names(self, addresses: list[str]) -> tuple[dict[str, str], bool, set[str]]:
        """(names, resolver healthy, addresses asked) for the hosts known after the sweeps."""
        from netdoc.discover.collectors.names import reverse_dns_batch

        asked = {a for a in addresses if self._in_site(a)}
        if not self.settings.reverse_dns:
            return {}, True, asked
        names, complete = await reverse_dns_batch(sorted(asked), self.settings.dns_deadline)
        return names, complete, asked

    async def _finish(self, early: tuple[dict[str, str], bool, set[str]]) -> SiteResult:
        from netdoc.discover.collectors.names import nic_vendor, reverse_dns

        addresses = sorted({s.ip for s in self.sightings} | set(self.polled),
                           key=ipaddress.IPv4Address)
        names, healthy, asked = early
        rest = [a for a in addresses if a not in asked]
        # one deadline for the whole site: a resolver that let the first batch run into it
        # is not waited for again
        if self.settings.reverse_dns and healthy and rest:
            names = {**names, **await reverse_dns(rest, self.settings.dns_deadline)}
        observations = SiteObservations(site=self.site.name, polled=list(self.polled.values()),
                                        sightings=[s for s in self.sightings
                                                   if self._in_site(s.ip)], names=names)
        self.result.devices = merge_site(observations, nic_vendor)
        for device in self.result.devices:
            seed = self.seeds.get(device.mgmt_ip)
            if seed is not None and seed.platform and not device.platform:
                device.platform = seed.platform
        return self.result

    # ------------------------------------------------------------ SNMP
    async def _poll_all(self, addresses: list[str]) -> None:
        owned = {cidr.split("/")[0] for device in self.polled.values()
                 for interface in device.interfaces for cidr in interface.ipv4}
        todo = [a for a in dict.fromkeys(addresses) if a not in self.attempted
                and a not in owned and self._in_site(a)]
        self.attempted.update(todo)
        await asyncio.gather(*(self._poll(address) for address in todo))

    async def _poll(self, address: str) -> None:
        from netdoc.discover.collectors.snmp import poll_device

        seed = self.seeds.get(address)
        sets = self._credential_order(address, seed)
        if not sets:
            return
        # a host not seen answering before gets a short first contact, and the full poll
        # (timeouts, retries, every set) only when it answered (netdoc/discover/probe.py)
        if seed is None and address not in self.known and address not in self.remembered \
                and not self.reach.polled(address):
            sets = await self._first_contact(address, sets)
            if not sets:
                return
        async with self.gate:
            result = await poll_device(address, seed.snmp_port if seed else 161, sets,
                                       self.settings.snmp, site=self.site.name)
        if result.device is not None:
            self.polled[address] = result.device
            self.polled_at[address] = time.monotonic()
            self.result.credentials[address] = result.credential
            self.reach.note(address, "polled")
            return
        if seed is not None or address in self.known or not _is_silence(result):
            name = seed.name if seed else ""
            self.result.failures.append(DeviceFailure(host=address, name=name,
                                                      reason=f"SNMP: {result.error}"))
            self.result.failed_hosts.add(address)

    async def _first_contact(self, address: str, sets: list[CredentialSet]) \
            -> list[CredentialSet]:
        """The credential sets worth a full poll of `address`, best first; [] when the
        first contact met silence (or an agent none of the sets opens)."""
        from netdoc.discover.probe import first_contact

        async with self.probe_gate:
            reach = await first_contact(address, 161, sets, self.settings.snmp.probe_timeout,
                                        was_silent=self.reach.was_silent(address))
        self.reach.note(address, reach.verdict)
        if not reach.answered:
            log.debug("SNMP first contact with %s: %s after %.2f s, not polled", address,
                      reach.verdict, reach.seconds)
            return []
        return reach.order(sets)

    def _credential_order(self, address: str, seed: DeviceSeed | None) -> list[CredentialSet]:
        names = list(seed.credentials) if seed and seed.credentials else list(self.site.credentials)
        worked = self.remembered.get(address)
        if worked in names:
            names.remove(worked)
            names.insert(0, worked)
        sets = [self.config.credentials[n] for n in names]
        return [s for s in sets if s.snmp is not None]

    # ------------------------------------------------------------ scope
    def _exclusions(self) -> tuple[ipaddress.IPv4Network, ...]:
        return self.site.exclude

    def _in_site(self, address: str) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return False
        if any(ip in ex for ex in self.site.exclude):
            return False
        return address in self.seeds or any(ip in s.network for s in self.site.subnets)


def _start_listener(seconds: float) -> asyncio.Future[list[Neighbor]]:
    """Passive LLDP/CDP alongside everything else. In a forked child process when this
    process runs no other thread (a fork then copies no lock another thread holds): the
    receiving and parsing run on another core instead of taking the interpreter lock from
    the sweeps and the SNMP polls. With other threads about (the daemon), in a thread."""
    import os
    import threading

    if threading.active_count() == 1 and hasattr(os, "fork"):
        import concurrent.futures
        import multiprocessing

        log.debug("passive LLDP/CDP listen: %g s in a child process", seconds)
        pool = concurrent.futures.ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("fork"))
        try:
            return asyncio.wrap_future(pool.submit(_listen_in_child, seconds))
        finally:
            pool.shutdown(wait=False)  # the child still runs the listen, then exits
    log.debug("passive LLDP/CDP listen: %g s in a thread (%d threads run)", seconds,
              threading.active_count())
    return asyncio.ensure_future(asyncio.to_thread(_listen_on_probe_interfaces, seconds))


def _listen_in_child(seconds: float) -> list[Neighbor]:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # not the parent's event-loop handler
    return _listen_on_probe_interfaces(seconds)


def _listen_on_probe_interfaces(seconds: float) -> list[Neighbor]:
    """Passive LLDP/CDP, all of it away from the event loop (raw sockets, netdoc's own
    parsers: no scapy)."""
    from netdoc.discover.collectors import lldp

    return lldp.listen(lldp.probe_interfaces(), seconds)


def _warm_up_end_of_run() -> None:
    """Imports and tables the end of a run needs, loaded ahead (nothing is computed)."""
    from netdoc.discover.collectors.names import nic_vendor
    import netdoc.inventory.history  # noqa: F401
    import netdoc.topology  # noqa: F401

    nic_vendor("00:00:0c:00:00:00")  # the first lookup loads netaddr's OUI index


def _probe_itself(attachment: Any) -> Sighting:
    """The probe is on the network too (and its MAC is in the switches' tables)."""
    from netdoc.models import normalise_mac

    try:
        mac = open(f"/sys/class/net/{attachment.interface}/address").read().strip()
    except OSError:
        mac = ""
    return Sighting(attachment.source, normalise_mac(mac), "self")


def _has_tables(device: Device) -> bool:
    """A device whose MAC or ARP table can name hosts: a bridge or a router."""
    return bool(device.fdb or device.arp) or device.role in ("switch", "router", "firewall")


def _is_silence(result: Any) -> bool:
    """No answer at all: the normal case for an endpoint without SNMP."""
    return bool(getattr(result, "no_answer", False))


def _contains(network: ipaddress.IPv4Network, address: str) -> bool:
    try:
        return ipaddress.IPv4Address(address) in network
    except ValueError:
        return False


def _hosts(network: ipaddress.IPv4Network,
           exclude: tuple[ipaddress.IPv4Network, ...]) -> list[str]:
    from netdoc.discover.collectors.arp import targets

    return targets(network, exclude)

