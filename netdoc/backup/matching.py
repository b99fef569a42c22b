"""Which inventory device a backup belongs to: by identity, not by IP alone.

An address is shared over time (a replaced switch, a stale record of a device that
left, DHCP) and sometimes at once (two sites behind NAT). A backup goes to the
device that is the same box: the serial its config backup reported, else the
name; a record the inventory marks missing never takes a backup a present device
can have; and each backup goes to one device at most, each device gets one at most.
Only when nothing tells the candidates apart, and exactly one is present, is the
address alone enough.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from netdoc.models import Device


@dataclass(frozen=True)
class BackupIdentity:
    path: str          # the backup's path in the repository ("hq/sw1")
    host: str          # the address it was fetched from
    name: str = ""     # configured or discovered name
    serial: str = ""   # what the device said in its backup (meta.yaml)


def _norm(text: str) -> str:
    return text.strip().lower().split(".")[0]  # "SW1.corp.example" is "sw1"


def match_backups(devices: Mapping[str, Device], missing: set[str],
                  backups: list[BackupIdentity]) -> dict[str, BackupIdentity]:
    """node -> its backup. `missing`: nodes the inventory marks gone."""
    by_ip: dict[str, list[str]] = {}
    for node, device in devices.items():
        if device.mgmt_ip:
            by_ip.setdefault(device.mgmt_ip, []).append(node)
    scored: list[tuple[int, str, str, BackupIdentity]] = []
    for backup in backups:
        candidates = by_ip.get(backup.host, [])
        present = [n for n in candidates if n not in missing]
        for node in candidates:
            device = devices[node]
            score = 0
            if backup.serial and device.serial:
                if backup.serial.strip().lower() != device.serial.strip().lower():
                    continue  # another box at that address
                score += 8
            if backup.name and _norm(backup.name) in {_norm(device.hostname), _norm(node)}:
                score += 4
            if node in missing:
                if present:
                    continue  # a stale record never takes a live device's backup
            else:
                score += 1
            if score <= 1 and len(present) > 1:
                continue  # nothing tells the present devices at this address apart
            scored.append((score, backup.path, node, backup))
    found: dict[str, BackupIdentity] = {}
    taken: set[str] = set()
    for score, path, node, backup in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if node in found or path in taken:
            continue
        found[node] = backup
        taken.add(path)
    return found
