"""inventory/<client>/: the client's devices as a git repository.

    index.json                 one line of summary per device, sorted
    devices/<site>/<id>.json   everything known about one device, sorted and stable
    state.json                 volatile bookkeeping (last seen, runs missed): not in git
    last-changes.json          the changes found by the latest run: not in git

Two runs over an unchanged network write byte-identical tracked files, so
`git log` in this folder is the history of the network and nothing else.
"""
from __future__ import annotations

import ipaddress
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from netdoc.errors import StoreError
from netdoc.app.guard import check_mass_change
from netdoc.fsutil import (FileLock, atomic_write, atomic_write_many, read_json,
                           remove_stale_temporaries, stable_json)
from netdoc.gitstore import GIT_FAILURES, GitStore, git_error
from netdoc.inventory.identity import record_id, same_device
from netdoc.models import Device, InventoryEntry, InventorySnapshot, device_from_dict
from netdoc.textsafe import clamp_device, clean
from netdoc.workspace import DEVICES, UNTRACKED, Workspace

log = logging.getLogger("netdoc.inventory")
# Volatile or private files that live beside the tracked inventory but never in git.
IGNORED = UNTRACKED  # named in netdoc.workspace, with every other path of a client
# ARP and MAC tables move with every conversation on the network: they are kept
# (tables/<id>.json, for the topology) but not tracked, so git shows real changes only.
VOLATILE_TABLES = ("arp", "fdb")
CARRIED_FIELDS = ("base_mac", "hostname", "vendor", "model", "serial", "os", "version")
TRACKED_FIELDS = ("mgmt_ip", "base_mac", "hostname", "version", "model", "serial", "platform",
                  "role", "site")


@dataclass
class Record:
    id: str
    device: Device
    first_seen: str


@dataclass(frozen=True)
class InventoryChange:
    kind: str  # new | gone | returned | changed
    device: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.device}" + (f": {self.detail}" if self.detail else "")


@dataclass
class InventoryUpdate:
    changes: list[InventoryChange] = field(default_factory=list)
    commit: str = ""
    devices: int = 0


def display_name(device: Device) -> str:
    return device.hostname or device.mgmt_ip or device.base_mac


def read_snapshot(files: Workspace, history: bool = True,
                  history_commits: int = 500) -> InventorySnapshot:
    """The inventory stage's result for the stages after it: every device in index order
    with its first and last sighting, its status (present, missing, archived) and, with
    `history`, the inventory commits that touched it; plus the latest discovery's changes.
    Empty when there is no inventory yet."""
    snapshot = InventorySnapshot(client=files.client)
    if not files.devices.is_dir():
        return snapshot
    store = InventoryStore(files.inventory)
    states: dict[str, Any] = store.state().get("devices", {})
    indexed = {d.get("id"): d.get("status") for d in
               (read_json(files.index, {}) or {}).get("devices", [])}
    commits: dict[str, list[dict[str, str]]] = {}
    for commit in store.git.log(history_commits) if history else []:
        for path in commit.files:
            if path.startswith(f"{DEVICES}/") and path.endswith(".json"):
                commits.setdefault(path.rsplit("/", 1)[-1][:-5], []).append(
                    {"date": commit.date, "message": commit.subject})
    for record in store.records():
        state = states.get(record.id, {})
        snapshot.entries.append(InventoryEntry(
            id=record.id, device=record.device, first_seen=record.first_seen,
            last_seen=str(state.get("last_seen", "")),
            status="archived" if indexed.get(record.id) == "archived" else
            "missing" if state.get("missing_runs", 0) else "present",
            history=commits.get(record.id, [])))
    changes = read_json(files.last_changes, {}) or {}
    snapshot.changes = [{"kind": str(c.get("kind", "")), "device": str(c.get("device", "")),
                         "detail": str(c.get("detail", ""))}
                        for c in changes.get("changes", []) if isinstance(c, dict)]
    return snapshot


def load_devices(inventory_dir: Path, present_only: bool = False) -> list[Device]:
    """The client's inventoried devices in index order; with present_only, leave out
    the devices reported gone (unseen for discovery.missing_after_runs runs)."""
    store = InventoryStore(inventory_dir)
    records = store.records()
    if present_only:
        missing = store.missing_ids()
        records = [r for r in records if r.id not in missing]
    return [record.device for record in records]


class InventoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = Workspace.of_inventory(root)
        self.git = GitStore(root, name="inventory", ignore=IGNORED)

    # ------------------------------------------------------------ reading
    def records(self) -> list[Record]:
        found = []
        for path in sorted((self.files.devices).glob("*/*.json")):
            data = read_json(path)
            try:
                tables = read_json(self.files.tables / f"{data['id']}.json", {}) or {}
                found.append(Record(id=data["id"], first_seen=data["first_seen"],
                                    device=device_from_dict({**data["device"], **tables})))
            except (KeyError, TypeError) as exc:
                raise StoreError(f"{path}: not a netdoc device file ({exc}); "
                                 f"restore it with git checkout") from None
        return sorted(found, key=_record_order)

    def missing_ids(self) -> set[str]:
        index = read_json(self.files.index, {}) or {}
        return {d["id"] for d in index.get("devices", [])
                if d.get("status") in ("missing", "archived")}

    def state(self) -> dict[str, Any]:
        return read_json(self.files.state, {"runs": 0, "devices": {}}) or \
            {"runs": 0, "devices": {}}

    # ------------------------------------------------------------ writing
    def update(self, seen: list[Device], failed_hosts: set[str], missing_after: int,
               now: datetime | None = None, *, mass_guard: bool = False,
               archive_after: int = 0) -> InventoryUpdate:
        """Fold one run's devices into the inventory, commit, and say what changed.

        A device whose poll failed this run (its IP in failed_hosts) keeps its
        last good record untouched; a weaker sighting (no SNMP) of a device we
        once polled never overwrites what SNMP told us.
        """
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        seen = [clamp_device(device) for device in seen]  # device-supplied: bounded, clean
        with self._locked():
            for folder in (self.files.devices, self.files.tables):
                remove_stale_temporaries(folder)  # a killed run's, never committed
            for leftover in self.root.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)
            records = {r.id: r for r in self.records()}
            state = self.state()
            state["runs"] = int(state.get("runs", 0)) + 1
            states: dict[str, dict[str, Any]] = state.setdefault("devices", {})
            changes: list[InventoryChange] = []
            seen_ids: set[str] = set()
            present_before = {i for i in records
                              if states.get(i, {}).get("missing_runs", 0) < missing_after}
            for device in seen:
                record = _find(records, device, exclude=seen_ids)
                if record is None:
                    record = Record(id=_unique_id(record_id(device), records), device=device,
                                    first_seen=stamp)
                    records[record.id] = record
                    changes.append(InventoryChange("new", display_name(device),
                                                   _describe(device)))
                else:
                    changes.extend(_changes(record.device, device))
                    if not (_polled(record.device) and not _polled(device)):
                        record.device = _carry_forward(record.device, device)
                seen_ids.add(record.id)
            for record in records.values():
                entry = states.setdefault(record.id, {"missing_runs": 0})
                if record.id in seen_ids or record.device.mgmt_ip in failed_hosts:
                    if entry.get("missing_runs", 0) >= missing_after:
                        changes.append(InventoryChange("returned", display_name(record.device)))
                    entry["missing_runs"] = 0
                    entry["last_seen"] = stamp
                else:
                    entry["missing_runs"] = int(entry.get("missing_runs", 0)) + 1
                    if entry["missing_runs"] == missing_after:
                        changes.append(InventoryChange(
                            "gone", display_name(record.device),
                            f"not seen for {missing_after} run(s)"))
            kept = {i for i in present_before
                    if i in seen_ids or records[i].device.mgmt_ip in failed_hosts}
            # the guard rail: half the client appearing or vanishing at once is refused
            # (MassChange) before anything is written, unless --accept-mass-change
            # vanishing counts managed devices only (polled over SNMP): laptops and phones
            # go home at night, switches and routers do not
            managed = {i for i in present_before if _polled(records[i].device)}
            if mass_guard:  # a discovery run (netdoc.app.guard), not a direct caller
                check_mass_change(self.root.name, len(present_before),
                                  sum(1 for c in changes if c.kind == "new"),
                                  len(managed), len(managed - kept))
            self._write(records, states, missing_after, archive_after)
            commit = self._commit(changes, stamp)
            atomic_write(self.files.state, stable_json(state))
            atomic_write(self.files.last_changes,
                         stable_json({"run": stamp, "changes": [vars(c) for c in changes]}))
        return InventoryUpdate(changes=changes, commit=commit, devices=len(records))

    def update_one(self, device: Device, reason: str, missing_after: int,
                   now: datetime | None = None, archive_after: int = 0) -> InventoryUpdate:
        """Fold one freshly polled device in (`netdoc listen` re-reading a switch after a
        link event), in its own commit. Unlike `update`, this is no discovery run: the run
        counter and every other device's missing count stay as they are."""
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        device = clamp_device(device)
        with self._locked():
            records = {r.id: r for r in self.records()}
            state = self.state()
            states: dict[str, dict[str, Any]] = state.setdefault("devices", {})
            record = _find(records, device, exclude=set())
            changes: list[InventoryChange] = []
            if record is None:
                record = Record(id=_unique_id(record_id(device), records), device=device,
                                first_seen=stamp)
                records[record.id] = record
                changes.append(InventoryChange("new", display_name(device), _describe(device)))
            else:
                changes.extend(_changes(record.device, device))
                record.device = _carry_forward(record.device, device)
            entry = states.setdefault(record.id, {"missing_runs": 0})
            if entry.get("missing_runs", 0) >= missing_after:
                changes.append(InventoryChange("returned", display_name(record.device)))
            entry.update(missing_runs=0, last_seen=stamp)
            self._write(records, states, missing_after, archive_after)
            body = "".join(f"- {clean(c, 600)}\n" for c in changes)
            try:
                commit = self.git.commit_all(f"Re-read {clean(display_name(record.device), 200)} "
                                             f"{stamp}: {clean(reason, 300)}\n"
                                             + (f"\n{body}" if body else ""))
            except GIT_FAILURES as exc:
                raise StoreError(f"cannot commit the inventory in {self.root}: "
                                 f"{_first_line(exc)}") from None
            atomic_write(self.files.state, stable_json(state))
        return InventoryUpdate(changes=changes, commit=commit, devices=len(records))

    def forget(self, record_id: str, reason: str, missing_after: int,
               archive_after: int = 0) -> str:
        """Take one device out of the inventory (`netdoc forget`), in its own commit."""
        with self._locked():
            records = {r.id: r for r in self.records()}
            record = records.pop(record_id, None)
            if record is None:
                raise StoreError(f"no device {record_id!r} in {self.root}")
            state = self.state()
            states: dict[str, dict[str, Any]] = state.setdefault("devices", {})
            states.pop(record_id, None)
            for path in (self.files.devices).glob(f"*/{record_id}.json"):
                path.unlink()
            (self.files.tables / f"{record_id}.json").unlink(missing_ok=True)
            self._write(records, states, missing_after, archive_after)
            name = display_name(record.device)
            try:
                commit = self.git.commit_all(f"Forget {clean(name, 200)} ({record_id}): "
                                             f"{clean(reason, 300)}\n\nIts config history "
                                             f"stays in the config backup repository.\n")
            except GIT_FAILURES as exc:
                raise StoreError(f"cannot commit the inventory in {self.root}: "
                                 f"{_first_line(exc)}") from None
            atomic_write(self.files.state, stable_json(state))
        return commit

    def _write(self, records: dict[str, Record], states: dict[str, dict[str, Any]],
               missing_after: int, archive_after: int = 0) -> None:
        """index.json: status present, missing (gone `missing_after` runs) or archived
        (gone `archive_after` runs, 0 = never): archived devices stay searchable in the
        index and their files, but counts leave them out."""
        index = []
        files: dict[Path, str] = {}
        moved: list[Path] = []
        for record in sorted(records.values(), key=_record_order):
            device = record.device
            missed = states.get(record.id, {}).get("missing_runs", 0)
            missing = missed >= missing_after
            path = self.files.devices / (device.site or "_") / f"{record.id}.json"
            moved += [p for p in (self.files.devices).glob(f"*/{record.id}.json") if p != path]
            data = _sorted_device(device)
            files[path] = stable_json({"id": record.id, "first_seen": record.first_seen,
                                       "device": {k: v for k, v in data.items()
                                                  if k not in VOLATILE_TABLES}})
            files[self.files.tables / f"{record.id}.json"] = stable_json(
                {k: data[k] for k in VOLATILE_TABLES})
            index.append({"id": record.id, "name": display_name(device), "site": device.site,
                          "ip": device.mgmt_ip, "mac": device.base_mac, "vendor": device.vendor,
                          "model": device.model, "os": device.os, "version": device.version,
                          "role": device.role, "first_seen": record.first_seen,
                          "status": "archived" if archive_after and missed >= max(
                              archive_after, missing_after) else "missing" if missing
                          else "present"})
        files[self.files.index] = stable_json({"devices": index})
        atomic_write_many(files)
        for stale in moved:  # the device moved to another site
            stale.unlink()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer of the inventory at a time (netdoc.fsutil.FileLock, no time limit:
        writers hold it for seconds, and the client's run lock bounds the wait)."""
        with FileLock(self.files.inventory_lock):
            yield

    def commit_files(self, names: list[str], message: str) -> str:
        """Commit files other stages keep in the inventory (e.g. the topology exports),
        only when they changed. Returns the commit id, or '' when nothing changed."""
        with self._locked():
            try:
                return self.git.commit_all(message, names)
            except GIT_FAILURES as exc:
                raise StoreError(f"cannot commit {', '.join(names)} in {self.root}: "
                                 f"{_first_line(exc)}") from None

    def _commit(self, changes: list[InventoryChange], stamp: str) -> str:
        try:
            return self._commit_unchecked(changes, stamp)
        except GIT_FAILURES as exc:
            raise StoreError(f"cannot commit the inventory in {self.root}: {_first_line(exc)}; "
                             f"the files are written and the next run commits them") from None

    def _commit_unchecked(self, changes: list[InventoryChange], stamp: str) -> str:
        return self.git.commit_all(self._message(changes, stamp))

    @staticmethod
    def _message(changes: list[InventoryChange], stamp: str) -> str:
        counts: dict[str, int] = {}
        for change in changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or \
            "details updated"
        body = "\n".join(f"- {clean(c, 600)}" for c in changes)
        return f"Discovery {stamp}: {summary}\n\n{body}\n" if body else \
            f"Discovery {stamp}: {summary}\n"


def _first_line(exc: Exception) -> str:
    return git_error(exc)


def _carry_forward(old: Device, new: Device) -> Device:
    """What this run did not learn is not gone: a MAC only a router's ARP table can
    tell, a name DNS did not answer this time, keep their last known values."""
    for name in CARRIED_FIELDS:
        if not getattr(new, name) and getattr(old, name):
            setattr(new, name, getattr(old, name))
    return new


def _polled(device: Device) -> bool:
    return bool(device.sys_object_id or device.sys_descr)


def _find(records: dict[str, Record], device: Device, exclude: set[str]) -> Record | None:
    for record in records.values():
        if record.id not in exclude and same_device(record.device, device):
            return record
    return None


def _unique_id(wanted: str, records: dict[str, Record]) -> str:
    candidate, n = wanted, 2
    while candidate in records:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


def _changes(old: Device, new: Device) -> list[InventoryChange]:
    if _polled(old) and not _polled(new):
        return []  # a weaker sighting says nothing about firmware or names
    found = []
    for name in TRACKED_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after and after:
            label = {"mgmt_ip": "IP", "base_mac": "MAC", "version": "firmware"}.get(name, name)
            found.append(InventoryChange("changed", display_name(new),
                                         f"{label} {before or '-'} -> {after}"))
    return found


def _describe(device: Device) -> str:
    parts = [device.mgmt_ip, device.base_mac, device.vendor, device.model, device.role]
    return ", ".join(p for p in parts if p)


def _record_order(record: Record) -> tuple[str, int, str]:
    ip = record.device.mgmt_ip
    return (record.device.site, int(ipaddress.IPv4Address(ip)) if ip else 0, record.id)


def _sorted_device(device: Device) -> dict[str, Any]:
    data = device.to_dict()
    data["interfaces"] = sorted(data["interfaces"], key=lambda i: i["index"])
    for interface in data["interfaces"]:
        interface["ipv4"] = sorted(interface["ipv4"])
    data["neighbors"] = sorted(data["neighbors"], key=lambda n: (n["local_port"], n["protocol"],
                                                                 n["remote_name"],
                                                                 n["remote_port"]))
    data["arp"] = sorted(data["arp"], key=lambda a: (ipaddress.IPv4Address(a["ip"]), a["mac"]))
    data["fdb"] = sorted(data["fdb"], key=lambda f: (f["vlan"], f["port"], f["mac"]))
    return data
