"""snmpd `pass_persist` helper: a Linux bridge's MAC table as BRIDGE-MIB, plus ENTITY-MIB.

net-snmp has no BRIDGE-MIB for Linux bridges, so every lab switch's snmpd runs
this helper (inside the switch's namespace) for two subtrees:

    pass_persist .1.3.6.1.2.1.17 python -m netdoc.lab.bridge_mib bridge Vlan1
    pass_persist .1.3.6.1.2.1.47 python -m netdoc.lab.bridge_mib entity chassis.json

It serves dot1dBase (bridge address, port count, dot1dBasePortTable with
dot1dBasePortIfIndex), dot1dTpFdbTable and Q-BRIDGE dot1qTpFdbTable (FDB id 1),
read from sysfs (brforward, brif/*/port_no), and an ENTITY-MIB chassis row
(entPhysicalModelName, SerialNum, SoftwareRev...) so identification can read
model and serial number the way it does on real Cisco gear.

Protocol (snmpd.conf(5), "pass_persist"): snmpd writes `PING`, `get\\nOID`,
`getnext\\nOID` or `set\\nOID\\nVALUE`; we answer `PONG`, `OID\\nTYPE\\nVALUE`
or `NONE`. GETNEXT must follow SNMP's order: OIDs compare as sequences of
numbers, so .10 comes after .9 (string order would walk the table wrongly).
"""
from __future__ import annotations

import bisect
import json
import re
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, TextIO

Oid = tuple[int, ...]

DOT1D_BRIDGE = (1, 3, 6, 1, 2, 1, 17)
DOT1D_BASE = DOT1D_BRIDGE + (1,)
DOT1D_BASE_PORT_ENTRY = DOT1D_BASE + (4, 1)
DOT1D_TP = DOT1D_BRIDGE + (4,)
DOT1D_TP_FDB_ENTRY = DOT1D_TP + (3, 1)
DOT1Q_TP_FDB_ENTRY = DOT1D_BRIDGE + (7, 1, 2, 2, 1)
DOT1Q_VLAN_CURRENT_ENTRY = DOT1D_BRIDGE + (7, 1, 4, 2, 1)  # index timeMark.vid
DOT1Q_VLAN_STATIC_ENTRY = DOT1D_BRIDGE + (7, 1, 4, 3, 1)  # index vid
DOT1Q_PORT_VLAN_ENTRY = DOT1D_BRIDGE + (7, 1, 4, 5, 1)  # index base port: .1 dot1qPvid
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
ENT_PHYSICAL_ENTRY = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)

FDB_STATUS_LEARNED, FDB_STATUS_SELF = 3, 4
FDB_ID = 1  # one VLAN: the lab bridges do not filter VLANs
CACHE_SECONDS = 1.0  # one walk sees one consistent snapshot of the table
_FDB_ENTRY = struct.Struct("=6sBBIBBH")  # struct __fdb_entry in linux/if_bridge.h


def parse_oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip().strip(".").split(".") if part)


def format_oid(oid: Oid) -> str:
    return "." + ".".join(map(str, oid))


@dataclass(frozen=True)
class Value:
    type: str  # pass_persist type: integer, gauge, counter, timeticks, octet, string, objectid
    value: str


class MibView:
    """A sorted snapshot of OID -> value, answering GET and GETNEXT."""

    def __init__(self, rows: Iterable[tuple[Oid, Value]]) -> None:
        table = dict(rows)
        self.oids: list[Oid] = sorted(table)
        self.values = table

    def get(self, oid: Oid) -> tuple[Oid, Value] | None:
        return (oid, self.values[oid]) if oid in self.values else None

    def get_next(self, oid: Oid) -> tuple[Oid, Value] | None:
        """The first OID strictly after `oid` in SNMP order (tuples compare the same way)."""
        at = bisect.bisect_right(self.oids, oid)
        if at >= len(self.oids):
            return None
        found = self.oids[at]
        return found, self.values[found]


def _octets(raw: bytes) -> Value:
    return Value("octet", " ".join(f"{b:02x}" for b in raw))


def _mac_bytes(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.strip().split(":"))


# ---------------------------------------------------------------- BRIDGE-MIB

@dataclass(frozen=True)
class FdbEntry:
    mac: bytes
    port_no: int
    is_local: bool
    vlan: int = FDB_ID


def read_fdb(bridge_dir: Path) -> list[FdbEntry]:
    """The bridge's forwarding database from sysfs (binary brforward)."""
    raw = (bridge_dir / "brforward").read_bytes()
    entries = []
    for offset in range(0, len(raw) - _FDB_ENTRY.size + 1, _FDB_ENTRY.size):
        mac, port_lo, is_local, _age, port_hi, _pad, _unused = \
            _FDB_ENTRY.unpack_from(raw, offset)
        entries.append(FdbEntry(mac=mac, port_no=(port_hi << 8) | port_lo,
                                is_local=bool(is_local)))
    return entries


def read_ports(bridge_dir: Path, net_dir: Path) -> dict[int, int]:
    """Bridge port number -> ifIndex of that port."""
    ports = {}
    brif = bridge_dir / "brif"
    for port in sorted(brif.iterdir()) if brif.is_dir() else []:
        number = int((port / "port_no").read_text().strip(), 0)
        ports[number] = int((net_dir / port.name / "ifindex").read_text().strip())
    return ports


VLAN_BRIDGE = re.compile(r"^Vlan(\d+)$")


def vlan_bridges(net_dir: Path) -> dict[int, Path]:
    """VLAN id -> bridge folder. The lab's kernel may lack VLAN filtering and 802.1Q, so a
    VLAN-aware lab switch is one Linux bridge per VLAN (Vlan1, Vlan20 ...): an access port
    sits in its VLAN's bridge, a trunk carries VLAN 1 on the port itself and every other
    VLAN on a companion link PORT.VID in that VLAN's bridge."""
    found = {}
    for entry in net_dir.iterdir() if net_dir.is_dir() else []:
        match = VLAN_BRIDGE.match(entry.name)
        if match and (entry / "bridge").is_dir():
            found[int(match.group(1))] = entry
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Member:
    """One bridge port of a VLAN bridge, as the 802.1Q switch it stands for sees it."""

    vlan: int
    port_no: int  # within that VLAN's bridge
    physical: str  # the switch port (Gi1-0-25 for Gi1-0-25 and Gi1-0-25.20)
    tagged: bool


def vlan_members(bridges: dict[int, Path]) -> list[Member]:
    members = []
    for vlan, folder in bridges.items():
        brif = folder / "brif"
        for port in sorted(brif.iterdir()) if brif.is_dir() else []:
            physical, _, sub = port.name.partition(".")
            members.append(Member(vlan=vlan, port_no=int((port / "port_no").read_text().strip(), 0),
                                  physical=physical, tagged=bool(sub)))
    return members


def _port_list(numbers: Iterable[int], size: int) -> Value:
    """A Q-BRIDGE PortList: bit 0x80 of the first octet is bridge port 1."""
    octets = bytearray(max(1, (size + 7) // 8))
    for number in numbers:
        if 1 <= number <= size:
            octets[(number - 1) // 8] |= 0x80 >> ((number - 1) % 8)
    return _octets(bytes(octets))


def vlan_switch_rows(bridges: dict[int, Path], names: dict[int, str],
                     net_dir: Path) -> list[tuple[Oid, Value]]:
    """BRIDGE-MIB and Q-BRIDGE-MIB of a switch made of per-VLAN bridges: one base port per
    switch port (numbered by its ifIndex), FDB entries in their VLAN, VLAN membership
    (egress, untagged), names and each port's PVID."""
    members = vlan_members(bridges)
    base = {m.physical: int((net_dir / m.physical / "ifindex").read_text().strip())
            for m in members}
    size = max(base.values(), default=0)
    first = bridges.get(1) or next(iter(bridges.values()))
    rows: list[tuple[Oid, Value]] = [
        (DOT1D_BASE + (1, 0), _octets(_mac_bytes((first / "address").read_text()))),
        (DOT1D_BASE + (2, 0), Value("integer", str(len(base)))),
        (DOT1D_BASE + (3, 0), Value("integer", "2")),
        (DOT1D_TP + (2, 0), Value("integer", "86400")),
    ]
    for number in sorted(base.values()):
        rows += [(DOT1D_BASE_PORT_ENTRY + (1, number), Value("integer", str(number))),
                 (DOT1D_BASE_PORT_ENTRY + (2, number), Value("integer", str(number)))]
    egress: dict[int, set[int]] = {}
    untagged: dict[int, set[int]] = {}
    for m in members:
        egress.setdefault(m.vlan, set()).add(base[m.physical])
        if not m.tagged:
            untagged.setdefault(m.vlan, set()).add(base[m.physical])
            rows.append((DOT1Q_PORT_VLAN_ENTRY + (1, base[m.physical]),
                         Value("gauge", str(m.vlan))))
    for vid in sorted(set(bridges) | set(names)):
        members_of, plain = egress.get(vid, set()), untagged.get(vid, set())
        rows += [
            (DOT1Q_VLAN_CURRENT_ENTRY + (3, 0, vid), Value("gauge", str(vid))),  # FdbId
            (DOT1Q_VLAN_CURRENT_ENTRY + (4, 0, vid), _port_list(members_of, size)),
            (DOT1Q_VLAN_CURRENT_ENTRY + (5, 0, vid), _port_list(plain, size)),
            (DOT1Q_VLAN_CURRENT_ENTRY + (6, 0, vid), Value("integer", "2")),  # permanent
            (DOT1Q_VLAN_STATIC_ENTRY + (1, vid), Value("string", names.get(vid, f"VLAN{vid:04d}"))),
            (DOT1Q_VLAN_STATIC_ENTRY + (2, vid), _port_list(members_of, size)),
            (DOT1Q_VLAN_STATIC_ENTRY + (3, vid), _port_list((), size)),
            (DOT1Q_VLAN_STATIC_ENTRY + (4, vid), _port_list(plain, size)),
            (DOT1Q_VLAN_STATIC_ENTRY + (5, vid), Value("integer", "1")),  # active
        ]
    by_port = {(m.vlan, m.port_no): base[m.physical] for m in members}
    seen: set[tuple[int, bytes]] = set()
    for vlan, folder in bridges.items():
        for entry in read_fdb(folder):
            base_port = by_port.get((vlan, entry.port_no))
            if base_port is None or (vlan, entry.mac) in seen:
                continue
            seen.add((vlan, entry.mac))
            port = "0" if entry.is_local else str(base_port)
            status = str(FDB_STATUS_SELF if entry.is_local else FDB_STATUS_LEARNED)
            mac_index = tuple(entry.mac)
            rows += [
                (DOT1D_TP_FDB_ENTRY + (1,) + mac_index, _octets(entry.mac)),
                (DOT1D_TP_FDB_ENTRY + (2,) + mac_index, Value("integer", port)),
                (DOT1D_TP_FDB_ENTRY + (3,) + mac_index, Value("integer", status)),
                (DOT1Q_TP_FDB_ENTRY + (2, vlan) + mac_index, Value("integer", port)),
                (DOT1Q_TP_FDB_ENTRY + (3, vlan) + mac_index, Value("integer", status)),
            ]
    return rows


def bridge_rows(bridge: str, net_dir: Path = Path("/sys/class/net"),
                vlan_names: dict[int, str] | None = None) -> list[tuple[Oid, Value]]:
    bridges = vlan_bridges(net_dir)
    if set(bridges) - {1} or set(vlan_names or {}) - {1}:  # a VLAN-aware switch
        return vlan_switch_rows(bridges, vlan_names or {}, net_dir)
    bridge_dir = net_dir / bridge
    ports = read_ports(bridge_dir, net_dir)
    bridge_mac = _mac_bytes((bridge_dir / "address").read_text())
    ageing = int((bridge_dir / "bridge" / "ageing_time").read_text().strip()) // 100 \
        if (bridge_dir / "bridge" / "ageing_time").exists() else 300
    rows: list[tuple[Oid, Value]] = [
        (DOT1D_BASE + (1, 0), _octets(bridge_mac)),  # dot1dBaseBridgeAddress
        (DOT1D_BASE + (2, 0), Value("integer", str(len(ports)))),  # dot1dBaseNumPorts
        (DOT1D_BASE + (3, 0), Value("integer", "2")),  # dot1dBaseType: transparent-only
        (DOT1D_TP + (2, 0), Value("integer", str(ageing))),  # dot1dTpAgingTime
    ]
    for number, ifindex in ports.items():
        rows += [
            (DOT1D_BASE_PORT_ENTRY + (1, number), Value("integer", str(number))),
            (DOT1D_BASE_PORT_ENTRY + (2, number), Value("integer", str(ifindex))),
            (DOT1D_BASE_PORT_ENTRY + (3, number), Value("objectid", ".0.0")),
            (DOT1D_BASE_PORT_ENTRY + (4, number), Value("counter", "0")),
            (DOT1D_BASE_PORT_ENTRY + (5, number), Value("counter", "0")),
        ]
    fdb = read_fdb(bridge_dir)
    seen: set[tuple[int, bytes]] = set()
    for entry in fdb:
        mac_index = tuple(entry.mac)
        if (entry.vlan, entry.mac) in seen:
            continue  # `bridge fdb` lists an address once per flag set
        seen.add((entry.vlan, entry.mac))
        # RFC 4188: port 0 for the bridge's own addresses, status self(4).
        port = "0" if entry.is_local else str(entry.port_no)
        status = str(FDB_STATUS_SELF if entry.is_local else FDB_STATUS_LEARNED)
        rows += [
            (DOT1D_TP_FDB_ENTRY + (1,) + mac_index, _octets(entry.mac)),
            (DOT1D_TP_FDB_ENTRY + (2,) + mac_index, Value("integer", port)),
            (DOT1D_TP_FDB_ENTRY + (3,) + mac_index, Value("integer", status)),
            (DOT1Q_TP_FDB_ENTRY + (2, entry.vlan) + mac_index, Value("integer", port)),
            (DOT1Q_TP_FDB_ENTRY + (3, entry.vlan) + mac_index, Value("integer", status)),
        ]
    return rows


# ---------------------------------------------------------------- IF-MIB names

def device_port_name(linux: str, long: bool) -> str:
    """Gi1-0-25 -> Gi1/0/25 (ifName) or GigabitEthernet1/0/25 (ifDescr): Linux interface
    names cannot hold '/', the lab's devices name their ports as IOS does."""
    match = re.fullmatch(r"Gi(\d+(?:-\d+)*)(\.\d+)?", linux)
    if not match:
        return linux
    return ("GigabitEthernet" if long else "Gi") + match.group(1).replace("-", "/") + \
        (match.group(2) or "")


def name_rows(long: bool, net_dir: Path = Path("/sys/class/net")) -> list[tuple[Oid, Value]]:
    """ifDescr (long) or ifName column with the device's spelling of every port."""
    rows = []
    for entry in net_dir.iterdir():
        try:
            ifindex = int((entry / "ifindex").read_text().strip())
        except (OSError, ValueError):
            continue
        rows.append(((IF_DESCR if long else IF_NAME) + (ifindex,),
                     Value("string", device_port_name(entry.name, long))))
    return rows


# ---------------------------------------------------------------- ENTITY-MIB

ENTITY_COLUMNS: dict[str, tuple[int, str]] = {  # JSON key -> (entPhysicalEntry column, type)
    "descr": (2, "string"), "vendor_type": (3, "objectid"), "contained_in": (4, "integer"),
    "class": (5, "integer"), "parent_rel_pos": (6, "integer"), "name": (7, "string"),
    "hardware_rev": (8, "string"), "firmware_rev": (9, "string"),
    "software_rev": (10, "string"), "serial": (11, "string"), "mfg_name": (12, "string"),
    "model": (13, "string"), "alias": (14, "string"), "asset_id": (15, "string"),
    "is_fru": (16, "integer"),
}


def entity_rows(info_file: Path) -> list[tuple[Oid, Value]]:
    """entPhysicalTable rows from a JSON list of {index, descr, model, serial, ...}."""
    rows: list[tuple[Oid, Value]] = []
    for entity in json.loads(info_file.read_text(encoding="utf-8")):
        for key, (column, kind) in ENTITY_COLUMNS.items():
            if key in entity:
                rows.append((ENT_PHYSICAL_ENTRY + (column, int(entity["index"])),
                             Value(kind, str(entity[key]))))
    return rows


# ---------------------------------------------------------------- the protocol

def serve(source: Callable[[], MibView], stdin: TextIO, stdout: TextIO,
          cache_seconds: float = CACHE_SECONDS) -> None:
    view: MibView | None = None
    built = 0.0

    def current() -> MibView:
        nonlocal view, built
        if view is None or time.monotonic() - built > cache_seconds:
            try:
                view = source()
            except OSError as exc:  # bridge gone (lab going down): answer "no such object"
                print(f"bridge_mib: {exc}", file=sys.stderr)
                view = MibView([])
            built = time.monotonic()
        return view

    while True:
        command = stdin.readline()
        if not command:
            return
        command = command.strip()
        if command == "PING":
            stdout.write("PONG\n")
        elif command in ("get", "getnext"):
            oid = parse_oid(stdin.readline())
            found = current().get(oid) if command == "get" else current().get_next(oid)
            if found is None:
                stdout.write("NONE\n")
            else:
                stdout.write(f"{format_oid(found[0])}\n{found[1].type}\n{found[1].value}\n")
        elif command == "set":
            stdin.readline()
            stdin.readline()
            stdout.write("not-writable\n")
        elif command:
            stdout.write("NONE\n")
        stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not (args and (args[0] in ("ifname", "ifdescr") and len(args) == 1 or
                      args[0] == "entity" and len(args) == 2 or
                      args[0] == "bridge" and len(args) in (2, 3))):
        print("usage: python -m netdoc.lab.bridge_mib bridge BRIDGE [VLANS.json] | "
              "entity FILE.json | ifname | ifdescr", file=sys.stderr)
        return 2
    what, target = args[0], args[1] if len(args) > 1 else ""
    if what in ("ifname", "ifdescr"):
        serve(lambda: MibView(name_rows(what == "ifdescr")), sys.stdin, sys.stdout,
              cache_seconds=5.0)
    elif what == "bridge":
        names = {int(k): str(v) for k, v in json.loads(Path(args[2]).read_text()).items()} \
            if len(args) == 3 else {}
        serve(lambda: MibView(bridge_rows(target, vlan_names=names)), sys.stdin, sys.stdout)
    else:
        serve(lambda: MibView(entity_rows(Path(target))), sys.stdin, sys.stdout,
              cache_seconds=float("inf"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
