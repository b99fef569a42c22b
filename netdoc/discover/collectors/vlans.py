"""VLANs of a switch: per port access VLAN, trunk allowed list and native VLAN; VLAN names.

Sources, each used where it speaks:
  * Q-BRIDGE-MIB (IEEE 802.1Q, RFC 4363): dot1qPvid per bridge port, the static (else
    current) egress and untagged port lists per VLAN, dot1qVlanStaticName;
  * Cisco: CISCO-VTP-MIB vlanTrunkPortTable (trunking status, native VLAN, the
    enabled-VLAN bitmaps), vtpVlanName, CISCO-VLAN-MEMBERSHIP-MIB vmVlan (access VLAN);
  * the backed-up configuration where SNMP says nothing (`vlans_from_config`):
    IOS-style `switchport` lines and `vlan N / name X` blocks.

A port that carries any VLAN tagged is a trunk: its native VLAN is its PVID, its
allowed list every VLAN it is a member of. Any other member port is an access port
of its PVID (or its one untagged VLAN). Lists are written compactly: "1,10,20-30".
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from netdoc.models import Device, Interface
from netdoc.textsafe import clean

Q = "1.3.6.1.2.1.17.7.1.4"
DOT1Q_PVID = f"{Q}.5.1.1"  # index: base port
DOT1Q_STATIC_NAME, DOT1Q_STATIC_EGRESS, DOT1Q_STATIC_UNTAGGED = (
    f"{Q}.3.1.1", f"{Q}.3.1.2", f"{Q}.3.1.4")  # index: vid
DOT1Q_CURRENT_EGRESS, DOT1Q_CURRENT_UNTAGGED = f"{Q}.2.1.4", f"{Q}.2.1.5"  # timeMark.vid
VTP_VLAN_NAME = "1.3.6.1.4.1.9.9.46.1.3.1.1.4"  # index: management domain.vid
VLAN_TRUNK_PORT = "1.3.6.1.4.1.9.9.46.1.6.1.1"  # index: ifIndex
TRUNK_COLUMNS = {"enabled": 4, "native": 5, "status": 14, "enabled_2k": 17, "enabled_3k": 18,
                 "enabled_4k": 19}
TRUNKING = 1  # vlanTrunkPortDynamicStatus trunking(1), notTrunking(2)
VM_VLAN = "1.3.6.1.4.1.9.9.68.1.2.2.1.2"  # index: ifIndex
NAME_LIMIT = 64


@dataclass
class PortVlans:
    mode: str = ""  # access | trunk
    vlan: int = 0  # access VLAN, or a trunk's native VLAN
    allowed: set[int] = field(default_factory=set)


@dataclass
class VlanFacts:
    ports: dict[int, PortVlans] = field(default_factory=dict)  # ifIndex -> VLANs
    names: dict[int, str] = field(default_factory=dict)


# ---------------------------------------------------------------- SNMP

async def read_vlans(reader: Any, device: Device, base_ports: dict[int, int]) -> None:
    """Read the VLAN tables over the poller's reader (netdoc.discover.collectors.snmp._Reader) and write
    them into the device: each Interface's vlan_mode/vlan/allowed_vlans, device.vlans."""
    walked = await asyncio.gather(*(reader.column(root) for root in (
        DOT1Q_PVID, DOT1Q_STATIC_NAME, DOT1Q_STATIC_EGRESS, DOT1Q_STATIC_UNTAGGED,
        DOT1Q_CURRENT_EGRESS, DOT1Q_CURRENT_UNTAGGED, VTP_VLAN_NAME, VM_VLAN)),
        reader.table(VLAN_TRUNK_PORT, TRUNK_COLUMNS))
    pvid, names, egress, untagged, cur_egress, cur_untagged, vtp_names, vm_vlan = walked[:8]
    trunks: dict[str, dict[tuple[int, ...], Any]] = walked[8]
    facts = VlanFacts()
    if not egress and cur_egress:  # no static table: the current one (index timeMark.vid)
        egress = {i[-1:]: v for i, v in cur_egress.items() if i}
        untagged = {i[-1:]: v for i, v in cur_untagged.items() if i}
    facts.names.update(_names(names, last=False))
    facts.names.update({k: v for k, v in _names(vtp_names, last=True).items()
                        if k not in facts.names})
    facts.ports.update(qbridge_ports(pvid, egress, untagged, base_ports))
    facts.ports.update(cisco_ports(trunks, vm_vlan, facts.ports))
    apply(device, facts)


def qbridge_ports(pvid: dict[tuple[int, ...], Any], egress: dict[tuple[int, ...], Any],
                  untagged: dict[tuple[int, ...], Any],
                  base_ports: dict[int, int]) -> dict[int, PortVlans]:
    """ifIndex -> VLANs from dot1qPvid and the egress/untagged PortLists (bridge ports)."""
    members: dict[int, set[int]] = {}
    plain: dict[int, set[int]] = {}
    for index, value in egress.items():
        if len(index) == 1:
            for port in port_list(value):
                members.setdefault(port, set()).add(index[0])
    for index, value in untagged.items():
        if len(index) == 1:
            for port in port_list(value):
                plain.setdefault(port, set()).add(index[0])
    found: dict[int, PortVlans] = {}
    for port in sorted(set(members) | {i[0] for i in pvid if len(i) == 1}):
        if_index = base_ports.get(port)
        if if_index is None:
            continue
        native = _int(pvid.get((port,)))
        mine, untagged_here = members.get(port, set()), plain.get(port, set())
        if mine - untagged_here:
            found[if_index] = PortVlans("trunk", native, mine | ({native} if native else set()))
        elif native or len(untagged_here) == 1:
            vlan = native or next(iter(untagged_here))
            found[if_index] = PortVlans("access", vlan, {vlan})
    return found


def cisco_ports(trunks: dict[str, dict[tuple[int, ...], Any]], vm_vlan: dict[tuple[int, ...], Any],
                known: dict[int, PortVlans]) -> dict[int, PortVlans]:
    """ifIndex -> VLANs from vlanTrunkPortTable (trunking ports) and vmVlan (access ports)."""
    found: dict[int, PortVlans] = {}
    for index, status in trunks.get("status", {}).items():
        if len(index) != 1 or _int(status) != TRUNKING:
            continue
        allowed: set[int] = set()
        for column, offset in (("enabled", 0), ("enabled_2k", 1024), ("enabled_3k", 2048),
                               ("enabled_4k", 3072)):
            value = trunks.get(column, {}).get(index)
            allowed |= {offset + bit for bit in _bits(value)}
        found[index[0]] = PortVlans("trunk", _int(trunks.get("native", {}).get(index)),
                                    {v for v in allowed if 1 <= v <= 4094})
    for index, vlan in vm_vlan.items():
        if len(index) == 1 and index[0] not in found and _int(vlan) and \
                known.get(index[0], PortVlans()).mode != "trunk":
            found[index[0]] = PortVlans("access", _int(vlan), {_int(vlan)})
    return found


def apply(device: Device, facts: VlanFacts, only_unknown: bool = False) -> int:
    """Write VLAN facts into the device's interfaces (by ifIndex) and names; with
    only_unknown, fill only ports SNMP said nothing about. Returns ports written."""
    written = 0
    for interface in device.interfaces:
        port = facts.ports.get(interface.index)
        if port is None or (only_unknown and interface.vlan_mode):
            continue
        _write(interface, port)
        written += 1
    for vid, name in sorted(facts.names.items()):
        device.vlans.setdefault(str(vid), clean(name, NAME_LIMIT))
    return written


def _write(interface: Interface, port: PortVlans) -> None:
    interface.vlan_mode = port.mode
    interface.vlan = port.vlan
    interface.allowed_vlans = compact(port.allowed) if port.mode == "trunk" else ""


def port_list(value: Any) -> list[int]:
    """A Q-BRIDGE PortList (octets, port 1 = the first octet's high bit) -> port numbers."""
    return [bit + 1 for bit in _bits(value)]


def _bits(value: Any) -> list[int]:
    raw = value if isinstance(value, (bytes, bytearray)) else b""
    return [i * 8 + b for i, octet in enumerate(raw) for b in range(8) if octet & (0x80 >> b)]


def compact(vlans: Iterable[int]) -> str:
    """{1, 10, 20, 21, 22} -> "1,10,20-22"."""
    runs: list[list[int]] = []
    for vid in sorted(set(vlans)):
        if runs and vid == runs[-1][1] + 1:
            runs[-1][1] = vid
        else:
            runs.append([vid, vid])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def expand(text: str) -> set[int]:
    """"1,10,20-22" -> {1, 10, 20, 21, 22}; junk is ignored."""
    found: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            first, last = int(low), int(high or low)
            if 1 <= first <= last <= 4094:
                found.update(range(first, last + 1))
    return found


def _names(column: dict[tuple[int, ...], Any], last: bool) -> dict[int, str]:
    names = {}
    for index, value in column.items():
        if not index:
            continue
        vid = index[-1] if last else index[0]
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        if 1 <= vid <= 4094 and text.strip():
            names[vid] = text.strip()
    return names


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# ---------------------------------------------------------------- backed-up configs

_INTERFACE = re.compile(r"^interface\s+(\S+)", re.IGNORECASE)
_VLAN_BLOCK = re.compile(r"^vlan\s+(\d+)\s*$", re.IGNORECASE)


def vlans_from_config(text: str) -> tuple[dict[str, PortVlans], dict[int, str]]:
    """IOS-style configuration -> (port name as written -> VLANs, VLAN names).

    Understands `switchport mode access|trunk`, `switchport access vlan N`,
    `switchport trunk native vlan N`, `switchport trunk allowed vlan [add] LIST`,
    and `vlan N` blocks with a `name`. A port without `switchport mode` but with an
    access VLAN is an access port; a trunk without an allowed list allows 1-4094."""
    ports: dict[str, PortVlans] = {}
    names: dict[int, str] = {}
    port: str = ""
    vlan_block = 0
    raw: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not line[:1].isspace():
            port, vlan_block = "", 0
            match = _INTERFACE.match(stripped)
            block = _VLAN_BLOCK.match(stripped)
            if match:
                port = match.group(1)
            elif block:
                vlan_block = int(block.group(1))
            continue
        words = stripped.lower().split()
        if vlan_block and words[:1] == ["name"] and len(stripped.split(None, 1)) == 2:
            names[vlan_block] = stripped.split(None, 1)[1]
        if not port or words[:1] != ["switchport"]:
            continue
        entry = raw.setdefault(port, {"allowed": None})
        if words[1:3] == ["mode", "access"]:
            entry["mode"] = "access"
        elif words[1:3] == ["mode", "trunk"]:
            entry["mode"] = "trunk"
        elif words[1:3] == ["access", "vlan"] and len(words) > 3 and words[3].isdigit():
            entry["access"] = int(words[3])
        elif words[1:4] == ["trunk", "native", "vlan"] and len(words) > 4 and words[4].isdigit():
            entry["native"] = int(words[4])
        elif words[1:4] == ["trunk", "allowed", "vlan"] and len(words) > 4:
            if words[4] == "add" and len(words) > 5:
                entry["allowed"] = (entry["allowed"] or set()) | expand(words[5])
            elif words[4] == "none":
                entry["allowed"] = set()
            elif words[4] == "all":
                entry["allowed"] = set(range(1, 4095))
            elif words[4] not in ("remove", "except"):
                entry["allowed"] = expand(words[4])
    for name, entry in raw.items():
        mode = entry.get("mode") or ("access" if "access" in entry else "")
        if mode == "trunk":
            native = int(entry.get("native", 1))
            allowed = entry["allowed"] if entry["allowed"] is not None else set(range(1, 4095))
            ports[name] = PortVlans("trunk", native, set(allowed))
        elif mode == "access":
            vlan = int(entry.get("access", 1))
            ports[name] = PortVlans("access", vlan, {vlan})
    return ports, names


def apply_config(device: Device, text: str) -> int:
    """Fill the VLANs SNMP did not give from the device's backed-up configuration; ports
    are matched by name in any spelling (GigabitEthernet1/0/1 = Gi1/0/1)."""
    ports, names = vlans_from_config(text)
    by_key = {_port_key(name): port for name, port in ports.items()}
    facts = VlanFacts(names=names)
    for interface in device.interfaces:
        for spelled in (interface.name, interface.descr):
            port = by_key.get(_port_key(spelled))
            if port is not None:
                facts.ports[interface.index] = port
                break
    return apply(device, facts, only_unknown=True)


def _port_key(name: str) -> str:
    match = re.match(r"^([A-Za-z][A-Za-z-]*?)\s*(\d[\w/.:-]*)$", name.strip())
    if not match:
        return name.strip().lower()
    return match.group(1)[:2].lower() + match.group(2)
