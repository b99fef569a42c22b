"""Every path of a client, named once.

    <inventory>/<client>/                 the inventory, a git repository (netdoc.gitstore)
        index.json, devices/<site>/<id>.json, port-history.json,
        topology.graphml, topology.json   tracked: the network's history
        tables/<id>.json                  ARP and MAC tables (volatile: not tracked)
        tables/port-seen.json             the exact time of each endpoint's latest sighting
        state.json                        the inventory's bookkeeping (last seen, runs missed)
        last-changes.json                 what the latest discovery changed
        last-run.json, runs/<start>.json  the run reports (the runner)
        alerts-state.json                 alert de-duplication and undelivered messages
        snmp-credentials.json             which credential set answered, per device
        snmp-reach.json                   per host: SNMP polled, silent, closed (first contact)
        probe-neighbours.json             LLDP/CDP the probe itself heard
        site/                             the rendered site (built in .site.new)
        pins.yaml, docs/                  written by hand: map pins, role overrides
        .run.lock, .lock                  the client's run lock, the inventory's writer lock
    <inventory>/index.html                every client
    <config_backups>/<client>/            the configs, a git repository
    <config_backups>/.netdoc-state/<client>/   the backup's private state (not in git)
        repository.lock                   the configs' writer lock
        backup-state.json                 per device: last success, failures in a row
        listen-events.json                what `netdoc listen` heard from the client's devices
    <config_backups>/.netdoc-state/.listen-unknown.json   events from senders no client knows

A stage asks its Workspace for a path instead of joining names itself, and the
inventory's .gitignore is `UNTRACKED`, so adding a private file here is one line.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netdoc.config import Config

# file names inside the client's inventory folder
INDEX = "index.json"
DEVICES = "devices"
TABLES = "tables"
STATE = "state.json"
LAST_CHANGES = "last-changes.json"
LAST_RUN = "last-run.json"
RUNS = "runs"
ALERTS_STATE = "alerts-state.json"
SNMP_CREDENTIALS = "snmp-credentials.json"
SNMP_REACH = "snmp-reach.json"  # per host: did SNMP answer last run (netdoc/discover/probe.py)
PROBE_NEIGHBOURS = "probe-neighbours.json"
PORT_HISTORY = "port-history.json"
TOPOLOGY_GRAPHML = "topology.graphml"
TOPOLOGY_JSON = "topology.json"
SITE = "site"
SITE_BUILDING = ".site.new"
SITE_OLD = ".site.old"
PINS = "pins.yaml"
DOCS = "docs"
RUN_LOCK = ".run.lock"
INVENTORY_LOCK = ".lock"
CLIENTS_INDEX = "index.html"
BACKUP_STATE = ".netdoc-state"
BACKUP_LOCK = "repository.lock"
BACKUP_STATES = "backup-state.json"
LISTEN_EVENTS = "listen-events.json"
LISTEN_UNKNOWN = ".listen-unknown.json"
PORT_SEEN = "port-seen.json"  # inside TABLES

# Volatile or private files that live beside the tracked inventory but never in git
# (the inventory's .gitignore, in this order: a reordering would be a commit).
UNTRACKED: tuple[str, ...] = (STATE, LAST_CHANGES, INVENTORY_LOCK, RUN_LOCK, LAST_RUN,
                              f"{RUNS}/", SNMP_CREDENTIALS, PROBE_NEIGHBOURS, ALERTS_STATE,
                              f"{SITE}/", f"{TABLES}/", ".*.tmp", "*.tmp", SNMP_REACH)


def backup_state_root(config: "Config") -> Path:
    """<config_backups>/.netdoc-state: every client's backup state folder, and the
    listener's file of events from unknown senders."""
    return config.output.config_backups / BACKUP_STATE


@dataclass(frozen=True)
class Workspace:
    """The folders of one client; every file path is a property of it."""

    client: str
    inventory: Path        # <inventory>/<client>: the inventory repository
    configs: Path          # <config_backups>/<client>: the configs repository
    backup_state: Path     # <config_backups>/.netdoc-state/<client>: private, not in git
    all_clients: Path      # <inventory>: the folder of every client's inventory

    @classmethod
    def of(cls, config: "Config", client: str) -> "Workspace":
        return cls(client=client, inventory=config.output.inventory / client,
                   configs=config.output.config_backups / client,
                   backup_state=backup_state_root(config) / client,
                   all_clients=config.output.inventory)

    @classmethod
    def of_inventory(cls, inventory: Path) -> "Workspace":
        """For code that knows only the inventory folder (the configs are not used)."""
        return cls(client=inventory.name, inventory=inventory, configs=Path(),
                   backup_state=Path(), all_clients=inventory.parent)

    # the inventory repository
    @property
    def index(self) -> Path:
        return self.inventory / INDEX

    @property
    def devices(self) -> Path:
        return self.inventory / DEVICES

    @property
    def tables(self) -> Path:
        return self.inventory / TABLES

    @property
    def state(self) -> Path:
        return self.inventory / STATE

    @property
    def last_changes(self) -> Path:
        return self.inventory / LAST_CHANGES

    @property
    def port_history(self) -> Path:
        return self.inventory / PORT_HISTORY

    @property
    def port_seen(self) -> Path:
        return self.tables / PORT_SEEN

    @property
    def topology_graphml(self) -> Path:
        return self.inventory / TOPOLOGY_GRAPHML

    @property
    def topology_json(self) -> Path:
        return self.inventory / TOPOLOGY_JSON

    @property
    def snmp_credentials(self) -> Path:
        return self.inventory / SNMP_CREDENTIALS

    @property
    def probe_neighbours(self) -> Path:
        return self.inventory / PROBE_NEIGHBOURS

    # the runner's reports
    @property
    def last_run(self) -> Path:
        return self.inventory / LAST_RUN

    @property
    def runs(self) -> Path:
        return self.inventory / RUNS

    @property
    def alerts_state(self) -> Path:
        return self.inventory / ALERTS_STATE

    # the site
    @property
    def site(self) -> Path:
        return self.inventory / SITE

    @property
    def site_building(self) -> Path:
        return self.inventory / SITE_BUILDING

    @property
    def pins(self) -> Path:
        return self.inventory / PINS

    @property
    def docs(self) -> Path:
        return self.inventory / DOCS

    @property
    def clients_index(self) -> Path:
        return self.all_clients / CLIENTS_INDEX

    # locks
    @property
    def run_lock(self) -> Path:
        return self.inventory / RUN_LOCK

    @property
    def inventory_lock(self) -> Path:
        return self.inventory / INVENTORY_LOCK

    @property
    def backup_lock(self) -> Path:
        return self.backup_state / BACKUP_LOCK

    @property
    def backup_states(self) -> Path:
        return self.backup_state / BACKUP_STATES

    @property
    def listen_events(self) -> Path:
        return self.backup_state / LISTEN_EVENTS

    @property
    def listen_unknown(self) -> Path:
        """Shared by every client: events from addresses no client knows."""
        return self.backup_state.parent / LISTEN_UNKNOWN

    def backup_state_folder(self) -> Path:
        """The backup's private state folder, created (owner only) when missing."""
        if not self.backup_state.exists():
            self.backup_state.mkdir(parents=True, mode=0o700)
        return self.backup_state
