"""Plain typed records that the pipeline stages hand to each other.

collect -> inventory -> topology -> render; backup -> clean -> store.
Every stage takes and returns these dataclasses and nothing else, so each
stage can be tested alone with records built by hand or read from a fixture.
Field names are the JSON names of `netdoc identify --json` and the inventory
files: they are a promise to users' scripts, extend them, never rename them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

ROLES = (
    "router", "switch", "firewall", "wireless", "server", "printer", "phone",
    "camera", "ups", "nas", "console", "endpoint", "unknown",
)


@dataclass
class Interface:
    index: int
    name: str = ""
    descr: str = ""
    alias: str = ""
    mac: str = ""
    speed_bps: int = 0
    admin_up: bool = False
    oper_up: bool = False
    type: int = 0
    ipv4: list[str] = field(default_factory=list)  # "192.0.2.1/24"
    # 802.1Q: "access" or "trunk" ("" when unknown); vlan is the access VLAN, or a
    # trunk's native VLAN (PVID); allowed_vlans a trunk's allowed list as "1,10,20-30"
    vlan_mode: str = ""
    vlan: int = 0
    allowed_vlans: str = ""


@dataclass
class Neighbor:
    protocol: str  # "lldp" | "cdp" | "fdp" (Foundry FDP/ISDP) | "mndp" (MikroTik)
    local_port: str
    remote_name: str = ""
    remote_port: str = ""
    remote_chassis_id: str = ""
    remote_mgmt_ip: str = ""
    remote_platform: str = ""  # CDP/FDP platform, LLDP system description
    remote_capabilities: list[str] = field(default_factory=list)  # LLDP names: bridge, router ...
    remote_port_descr: str = ""  # LLDP port description
    remote_software: str = ""    # CDP/FDP version, MNDP version, LLDP-MED software revision
    # what an endpoint announces about itself in LLDP-MED (its inventory without SNMP)
    remote_manufacturer: str = ""
    remote_model: str = ""
    remote_serial: str = ""
    remote_hardware: str = ""    # LLDP-MED hardware revision
    remote_med_class: str = ""   # endpoint-class-1/2/3, network-connectivity


@dataclass
class ArpEntry:
    ip: str
    mac: str
    interface: str = ""


@dataclass
class FdbEntry:
    mac: str
    port: str
    vlan: int = 0


@dataclass
class Device:
    """Everything known about one device, as `netdoc identify` prints it."""

    hostname: str = ""
    mgmt_ip: str = ""
    sys_descr: str = ""
    sys_object_id: str = ""
    sys_location: str = ""
    sys_contact: str = ""
    vendor: str = ""
    os: str = ""
    version: str = ""
    model: str = ""
    serial: str = ""
    role: str = "unknown"
    platform: str = ""  # netdoc profile name, e.g. "cisco_ios"
    site: str = ""
    base_mac: str = ""
    interfaces: list[Interface] = field(default_factory=list)
    neighbors: list[Neighbor] = field(default_factory=list)
    arp: list[ArpEntry] = field(default_factory=list)
    fdb: list[FdbEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # tables skipped (timeout, agent errors)
    vlans: dict[str, str] = field(default_factory=dict)  # VLAN id -> name (switches)
    # why several observations were taken for this one box ("LLDP chassis MAC ... = ARP
    # MAC of 192.0.2.7", ...): a merge can always be explained
    merged_because: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalise_mac(raw: str | bytes) -> str:
    """Any common MAC spelling (bytes, 0011.2233.4455, 00-11-22-..., 0:1:2:...) -> 00:11:22:33:44:55."""
    if isinstance(raw, bytes):
        if len(raw) != 6:
            return ""
        return ":".join(f"{b:02x}" for b in raw)
    text = raw.strip().lower()
    if ":" in text and len(text.split(":")) == 6:
        return ":".join(part.zfill(2) for part in text.split(":"))
    digits = "".join(ch for ch in text if ch in "0123456789abcdef")
    if len(digits) != 12:
        return ""
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def device_from_dict(data: dict[str, Any]) -> Device:
    """Inverse of Device.to_dict(); unknown keys (from newer netdoc versions) are ignored."""
    known = {f for f in Device.__dataclass_fields__}
    plain = {k: v for k, v in data.items() if k in known and k not in
             ("interfaces", "neighbors", "arp", "fdb")}
    return Device(
        **plain,
        interfaces=[_build(Interface, i) for i in data.get("interfaces", [])],
        neighbors=[_build(Neighbor, n) for n in data.get("neighbors", [])],
        arp=[_build(ArpEntry, a) for a in data.get("arp", [])],
        fdb=[_build(FdbEntry, f) for f in data.get("fdb", [])],
    )


def _build(cls: Any, data: dict[str, Any]) -> Any:
    known = cls.__dataclass_fields__
    return cls(**{k: v for k, v in data.items() if k in known})


# ---------------------------------------------------------------- events

class EventKind(StrEnum):
    """What happened: the one vocabulary of the run report, the alerts (`alerts.on` in
    netdoc.yaml names these values) and the site. The values are a promise to users'
    configurations and scripts: add kinds, never rename one."""

    NEW_DEVICE = "new_device"
    DEVICE_GONE = "device_gone"
    DEVICE_RETURNED = "device_returned"
    DEVICE_CHANGED = "device_changed"
    CONFIG_CHANGED = "config_changed"
    BACKUP_FAILED = "backup_failed"      # this run; carries the streak
    BACKUP_FAILING = "backup_failing"    # failed backup.failing_after runs in a row (alerts)
    BACKUP_STALE = "backup_stale"
    HOST_KEY_CHANGED = "host_key_changed"
    ENDPOINT_MOVED = "endpoint_moved"
    LINK_CHANGED = "link_changed"
    STAGE_FAILED = "stage_failed"


# the kinds spelled as text (a stage may write Event("config_changed", ...): checked by
# mypy against this list, and turned into the EventKind member on construction)
EventKindName = Literal["new_device", "device_gone", "device_returned", "device_changed",
                        "config_changed", "backup_failed", "backup_failing", "backup_stale",
                        "host_key_changed", "endpoint_moved", "link_changed", "stage_failed"]

# an inventory change (netdoc.inventory.store.InventoryChange.kind) as an event
INVENTORY_EVENTS: dict[str, EventKind] = {
    "new": EventKind.NEW_DEVICE, "gone": EventKind.DEVICE_GONE,
    "returned": EventKind.DEVICE_RETURNED, "changed": EventKind.DEVICE_CHANGED}


@dataclass
class Event:
    """Something a technician may want to hear about, handed from the stages to the
    runner's report, the alerts and the site."""

    kind: EventKind | EventKindName
    device: str
    detail: str = ""
    diff: str = ""  # a config diff (secrets already masked), when there is one
    streak: int = 0  # for failures: how many runs in a row it has failed
    # config_changed: the change in plain words, from the config facts (netdoc.facts)
    facts_changes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kind = EventKind(self.kind)  # an unknown kind is a programming error: raise

    @property
    def event_kind(self) -> EventKind:
        return EventKind(self.kind)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Event":
        """Inverse of asdict(event) (a run report's events); unknown keys are ignored."""
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


# ---------------------------------------------------------------- stage results

@dataclass
class InventoryEntry:
    """One inventoried device as the stages after the inventory see it."""

    id: str
    device: Device
    first_seen: str = ""
    last_seen: str = ""
    status: str = "present"  # present | missing | archived
    # the inventory commits that touched the device's file, newest first (date, message)
    history: list[dict[str, str]] = field(default_factory=list)


@dataclass
class InventorySnapshot:
    """What the inventory stage hands on (netdoc.inventory.store.read_snapshot): every
    device in index order, and what the latest discovery changed."""

    client: str
    entries: list[InventoryEntry] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)  # kind, device, detail

    @property
    def ids(self) -> list[str]:
        return [entry.id for entry in self.entries]

    @property
    def devices(self) -> list[Device]:
        return [entry.device for entry in self.entries]
