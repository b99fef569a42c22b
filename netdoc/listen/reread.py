"""Re-read one switch after it reported a link change (a linkDown/linkUp trap, a
%LINK-3-UPDOWN syslog line): its SNMP tables (interfaces, MAC and ARP tables, LLDP/CDP
neighbours) are polled again and folded into the client's inventory as that one
device, in its own commit. No sweep runs, nothing else is polled, and no other
device's "runs missed" count moves: one switch's news says nothing about the rest.

It is the `reread` stage of the runner (netdoc.app.pipeline), so it runs under the
client's lock and lands in the run report (last-run.json) like any scheduled run; the
listener runs it with the configuration narrowed to the one device
(netdoc.listen.service.one_device_config). It is not part of `netdoc run`'s cycle.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from netdoc.app.pipeline import STAGES, DeviceFailure, Event, StageOutcome
from netdoc.config import Client, Config, CredentialSet, DeviceSeed, Site
from netdoc.fsutil import read_json
from netdoc.models import Device
from netdoc.workspace import SNMP_CREDENTIALS

if TYPE_CHECKING:
    from netdoc.inventory.store import InventoryStore

log = logging.getLogger("netdoc.listen")

STAGE = "reread"
CREDENTIALS_FILE = SNMP_CREDENTIALS  # the file's name belongs to netdoc.workspace
# The runner finds a stage by name in this table; `reread` is the listener's own, so the
# listener registers it here instead of the cycle (CYCLE) knowing it.
STAGES.setdefault(STAGE, f"{__name__}:reread_client")


def reread_client(config: Config, client: Client) -> StageOutcome:
    """Poll every seed of the (narrowed) client again and update only those devices."""
    from netdoc.inventory.store import InventoryStore, display_name

    store = InventoryStore(config.inventory_dir(client.name))
    remembered = read_json(store.root / CREDENTIALS_FILE, {}) or {}
    failures: list[DeviceFailure] = []
    changes: list[str] = []
    events: list[Event] = []
    done: list[str] = []
    for site in client.sites:
        for seed in site.devices:
            device, error = asyncio.run(_poll(config, site, seed, remembered))
            name = seed.name or seed.host
            if device is None:
                failures.append(DeviceFailure(host=seed.host, name=seed.name,
                                              reason=f"SNMP: {error}"))
                continue
            update = store.update_one(device, "tables read again after a link change",
                                      config.discovery.missing_after_runs,
                                      archive_after=config.discovery.archive_after_runs)
            down = sorted(i.name or str(i.index) for i in device.interfaces
                          if i.admin_up and not i.oper_up and i.name)
            done.append(name)
            changes += [str(c) for c in update.changes]
            detail = (f"{len(device.interfaces)} interface(s), {len(device.fdb)} MAC "
                      f"entr(ies), {len(device.neighbors)} neighbour(s); down: "
                      f"{', '.join(down[:20]) or 'none'}"
                      + (f"; inventory commit {update.commit[:12]}" if update.commit
                         else "; inventory unchanged"))
            events.append(Event("link_changed", display_name(device) or name, detail))
            log.info("[%s] %s re-read after a link change: %s", client.name, name, detail)
    if done:  # where each endpoint is plugged in now: an unplugged PC is news
        changes += _port_history(store, client.name)
    summary = (f"{len(done)} device(s) re-read after a link change ({', '.join(done)})"
               if done else "no device re-read")
    return StageOutcome(stage=STAGE, client=client.name, summary=summary, failures=failures,
                        changes=changes, events=events, outputs={"inventory": str(store.root)})


def _port_history(store: "InventoryStore", client: str) -> list[str]:
    """The endpoints' placements from the whole inventory (this switch's fresh tables
    included), folded into port-history.json and committed when they changed; the moves
    and disappearances, in words. A failure here leaves the re-read itself standing."""
    from datetime import datetime, timezone

    from netdoc.errors import NetdocError
    from netdoc.inventory.history import HISTORY_FILE, placements_from_graph, record_placements
    from netdoc.textsafe import clamp_device
    from netdoc.topology import build_topology

    try:
        records = store.records()
        graph = build_topology([clamp_device(r.device) for r in records], client,
                               ids=[r.id for r in records])
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        moves = record_placements(store.root, placements_from_graph(graph), stamp)
        body = "".join(f"- {m}\n" for m in moves[:200])
        store.commit_files([HISTORY_FILE], (f"Port history after a link change: "
                                            f"{len(moves)} change(s)\n\n{body}") if moves
                           else "Port history updated")
    except (NetdocError, OSError) as exc:
        log.warning("[%s] port history not updated after the re-read: %s", client, exc)
        return []
    return moves


async def _poll(config: Config, site: Site, seed: DeviceSeed,
                remembered: dict[str, str]) -> tuple[Device | None, str]:
    from netdoc.discover.collectors.names import nic_vendor
    from netdoc.discover.collectors.snmp import poll_device
    from netdoc.inventory.merge import SiteObservations, merge_site

    result = await poll_device(seed.host, seed.snmp_port, _credential_order(config, site, seed,
                                                                           remembered),
                               config.discovery.snmp, site=site.name)
    if result.device is None:
        return None, result.error or "no answer"
    merged = merge_site(SiteObservations(site=site.name, polled=[result.device], sightings=[],
                                         names={}), nic_vendor)
    device = next((d for d in merged if d.mgmt_ip == seed.host), merged[0] if merged else None)
    if device is not None and seed.platform and not device.platform:
        device.platform = seed.platform
    return device, ""


def _credential_order(config: Config, site: Site, seed: DeviceSeed,
                      remembered: dict[str, str]) -> list[CredentialSet]:
    """The seed's (or site's) credential sets with an SNMP part, the one that worked last
    time for this address first (as discovery orders them)."""
    names = list(seed.credentials or site.credentials)
    worked = remembered.get(seed.host)
    if worked in names:
        names.remove(worked)
        names.insert(0, worked)
    return [config.credentials[n] for n in names
            if n in config.credentials and config.credentials[n].snmp is not None]
