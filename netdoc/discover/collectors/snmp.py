"""SNMP collector: poll one device and return a filled-in netdoc Device.

    result = await poll_device("192.0.2.1", 161, credential_sets, settings, site="hq")
    if result.device: ...           # identified; result.credential says which set worked
    else: print(result.error)       # why not, per credential set tried

`collect(transport)` does the reading over any SnmpTransport (a live client or
a recorded walk), so parsing and identification are testable without a network.
Tables are walked concurrently. A table that times out or that the agent
botches (loop, garbage, error status) is skipped with a warning in `warnings`
(and in the device record's `warnings`), and the device keeps everything else;
only a device that answers nothing at all (no sysObjectID/sysDescr) fails. When a
table times out, one GET of sysUpTime tells a slow table from a device that went
away; after the latter the remaining tables are skipped at once.

Neighbours come from every common source: LLDP-MIB (IEEE 802.1AB and the
LLDP-V2-MIB tables, with lldpRemManAddr and the LLDP-MED inventory an endpoint
announces), CISCO-CDP-MIB, Foundry FDP/ISDP and MikroTik MNDP.
"""
from __future__ import annotations

import asyncio
import re
import ipaddress
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Iterable

from netdoc.config import CredentialSet, SnmpSettings
from netdoc.errors import SnmpAuthError, SnmpError, SnmpPortClosed, SnmpTimeout
from netdoc.discover.identify import (Chassis, EntityRow, Facts, PortTable, chassis_candidates,
                             decode_capabilities,
                             fill_chassis, identify, match_profile, pick_chassis, scalar_oids,
                             serial_in_descriptions,
                             snmp_rules, usable)
from netdoc.models import ArpEntry, Device, FdbEntry, Interface, Neighbor, normalise_mac
from netdoc.discover.snmp import SnmpTransport
from netdoc.discover.snmp.client import open_client
from netdoc.discover.snmp.values import (IPv4, SnmpValue, VarBind, integer, octets_to_ipv4, suffix,
                                text)

# ---------------------------------------------------------------- OIDs
SYS = "1.3.6.1.2.1.1"
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME, SYS_LOCATION = (
    f"{SYS}.1.0", f"{SYS}.2.0", f"{SYS}.3.0", f"{SYS}.4.0", f"{SYS}.5.0", f"{SYS}.6.0")
LLDP_LOC_CAP_ENABLED = "1.0.8802.1.1.2.1.3.6.0"
LLDP_LOC_CHASSIS_ID = "1.0.8802.1.1.2.1.3.2.0"

IF = "1.3.6.1.2.1.2.2.1"
IF_COLUMNS = {"descr": f"{IF}.2", "type": f"{IF}.3", "speed": f"{IF}.5", "mac": f"{IF}.6",
              "admin": f"{IF}.7", "oper": f"{IF}.8"}
IFX = "1.3.6.1.2.1.31.1.1.1"
IFX_COLUMNS = {"name": f"{IFX}.1", "high_speed": f"{IFX}.15", "alias": f"{IFX}.18"}

IP_AD_IFINDEX, IP_AD_MASK = "1.3.6.1.2.1.4.20.1.2", "1.3.6.1.2.1.4.20.1.3"
IP_ADDRESS_IFINDEX, IP_ADDRESS_PREFIX = "1.3.6.1.2.1.4.34.1.3", "1.3.6.1.2.1.4.34.1.5"

ENT = "1.3.6.1.2.1.47.1.1.1.1"
ENT_CONTAINED_IN, ENT_CLASS = f"{ENT}.4", f"{ENT}.5"
ENT_FIELDS = {"descr": 2, "name": 7, "hardware_rev": 8, "firmware_rev": 9, "software_rev": 10,
              "serial": 11, "manufacturer": 12, "model": 13}
GET_BATCH = 24  # varbinds per GET request: small enough for any agent's reply size

LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"
# neighbour tables are walked as whole entries (one request when the agent has none)
LLDP_REM_COLUMNS = {"chassis_subtype": 4, "chassis_id": 5, "port_subtype": 6, "port_id": 7,
                    "port_descr": 8, "sys_name": 9, "sys_descr": 10, "caps": 12}
LLDP_REM_MAN_ADDR_IF_SUBTYPE = "1.0.8802.1.1.2.1.4.2.1.3"
# LLDP-EXT-MED-MIB: what an endpoint (phone, AP, camera) says about itself
LLDP_MED_INVENTORY = "1.0.8802.1.1.2.1.5.4795.1.3.3.1"
LLDP_MED_INVENTORY_COLUMNS = {"hardware": 1, "firmware": 2, "software": 3, "serial": 4,
                              "manufacturer": 5, "model": 6}
LLDP_MED_CAPABILITIES = "1.0.8802.1.1.2.1.5.4795.1.3.1.1"
LLDP_MED_DEVICE_CLASS = {3: 1}  # column -> lldpXMedRemDeviceClass
MED_CLASSES = {1: "", 2: "endpoint-class-1", 3: "endpoint-class-2", 4: "endpoint-class-3",
               5: "network-connectivity"}
# LLDP-V2-MIB (IEEE 802.1AB-2009): indexed timeMark.ifIndex.destMacIndex.remIndex
LLDP_V2_REM = "1.3.111.2.802.1.1.13.1.4.1.1"
LLDP_V2_REM_COLUMNS = {"chassis_subtype": 5, "chassis_id": 6, "port_subtype": 7, "port_id": 8,
                       "port_descr": 9, "sys_name": 10, "sys_descr": 11, "caps": 13}
LLDP_V2_REM_MAN_ADDR = "1.3.111.2.802.1.1.13.1.4.2.1"
# Foundry/Brocade FDP and ISDP cache (FOUNDRY-SN-SWITCH-GROUP-MIB), indexed ifIndex.deviceIndex
FDP = "1.3.6.1.4.1.1991.1.1.3.20.1.2.1.1"
FDP_COLUMNS = {"device_id": 3, "address_type": 4, "address": 5, "version": 6, "device_port": 7,
               "platform": 8, "capabilities": 9}
# MikroTik MNDP neighbours (MIKROTIK-MIB mtxrNeighborTable)
MNDP = "1.3.6.1.4.1.14988.1.1.11.1.1"
MNDP_COLUMNS = {"address": 2, "mac": 3, "version": 4, "platform": 5, "identity": 6,
                "software_id": 7, "if_index": 8}
LLDP_LOC_PORT = "1.0.8802.1.1.2.1.3.7.1"
LLDP_LOC_COLUMNS = {"id_subtype": 2, "id": 3, "descr": 4}

CDP = "1.3.6.1.4.1.9.9.23.1.2.1.1"
CDP_COLUMNS = {"address_type": 3, "address": 4, "version": 5, "device_id": 6, "device_port": 7,
               "platform": 8, "capabilities": 9}

DOT1D_BASE_PORT_IFINDEX = "1.3.6.1.2.1.17.1.4.1.2"
DOT1D_FDB_PORT, DOT1D_FDB_STATUS = "1.3.6.1.2.1.17.4.3.1.2", "1.3.6.1.2.1.17.4.3.1.3"
DOT1Q_FDB_PORT, DOT1Q_FDB_STATUS = "1.3.6.1.2.1.17.7.1.2.2.1.2", "1.3.6.1.2.1.17.7.1.2.2.1.3"
DOT1Q_VLAN_FDB_ID = "1.3.6.1.2.1.17.7.1.4.2.1.3"
FDB_SELF, FDB_INVALID = 4, 2
VTP_VLAN_STATE = "1.3.6.1.4.1.9.9.46.1.3.1.1.2"
VTP_OPERATIONAL = 1
CISCO_RESERVED_VLANS = range(1002, 1006)  # fddi/token-ring defaults, never hold MACs

ARP_PHYS_ADDRESS, ARP_PHYS_TYPE = "1.3.6.1.2.1.4.35.1.4", "1.3.6.1.2.1.4.35.1.6"
ARP_MEDIA_ADDRESS, ARP_MEDIA_TYPE = "1.3.6.1.2.1.4.22.1.2", "1.3.6.1.2.1.4.22.1.4"
ARP_INVALID = 2


@dataclass
class PollResult:
    """What polling one device produced. `device` is None when `error` says why."""

    host: str
    device: Device | None = None
    credential: str = ""
    error: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # tables that came back incomplete
    no_answer: bool = False  # nothing answered at all (no agent, or v1/v2c community unknown)

    @property
    def ok(self) -> bool:
        return self.device is not None


# ---------------------------------------------------------------- table reading helpers

class _Reader:
    """Reads tables over one transport; a table that fails becomes a warning, not a failure."""

    def __init__(self, transport: SnmpTransport, view: str = "") -> None:
        self.transport = transport
        self.view = view  # "VLAN 10": a per-VLAN view, named in its warnings
        self.warnings: list[str] = []
        self.gone = ""  # set when the device stopped answering: the rest is skipped
        self._checking: asyncio.Future[bool] | None = None

    def warn(self, message: str) -> None:
        message = f"{self.view}: {message}" if self.view else message
        if message not in self.warnings:
            self.warnings.append(message)

    async def walk(self, root: str) -> list[VarBind]:
        if self.gone:
            return []
        try:
            return await self.transport.walk(root)
        except SnmpTimeout as exc:
            partial = list(getattr(exc, "partial", []))
            if await self._still_there():
                self.warn(f"{table_name(root)}: skipped after {len(partial)} values, the "
                          f"agent did not answer in time ({exc.reason})")
            return partial
        except SnmpError as exc:
            self.warn(f"{table_name(root)}: {exc.reason}")
            return list(getattr(exc, "partial", []))

    async def get(self, oids: list[str]) -> dict[str, SnmpValue]:
        """GET in batches of GET_BATCH; a batch that fails is a warning."""
        if self.gone or not oids:
            return {}
        batches = [oids[i:i + GET_BATCH] for i in range(0, len(oids), GET_BATCH)]
        found: dict[str, SnmpValue] = {}
        for answer in await asyncio.gather(*(self._get_batch(b) for b in batches)):
            found.update(answer)
        return found

    async def _get_batch(self, oids: list[str]) -> dict[str, SnmpValue]:
        try:
            return await self.transport.get(oids)
        except SnmpTimeout as exc:
            if await self._still_there():
                self.warn(f"GET {oids[0]}{' ...' if len(oids) > 1 else ''}: no answer in time "
                          f"({exc.reason})")
        except SnmpError as exc:
            self.warn(f"GET {oids[0]}{' ...' if len(oids) > 1 else ''}: {exc.reason}")
        return {}

    async def _still_there(self) -> bool:
        """After a timeout: does the agent still answer a plain GET? (asked once at a time)"""
        if self.gone:
            return False
        if self._checking is None or (self._checking.done() and self._checking.result()):
            self._checking = asyncio.ensure_future(self._ask_uptime())
        alive = await asyncio.shield(self._checking)
        return alive

    async def _ask_uptime(self) -> bool:
        try:
            await self.transport.get([SYS_UPTIME])
            return True
        except SnmpTimeout as exc:
            if not self.gone:
                self.gone = (f"the device stopped answering during the poll ({exc.reason}); "
                             f"the tables not yet read were skipped")
                self.warn(self.gone)
            return False
        except SnmpError:
            return True  # it answered, if only with an error

    async def column(self, root: str) -> dict[tuple[int, ...], SnmpValue]:
        return {suffix(oid, root): value for oid, value in await self.walk(root)}

    async def columns(self, roots: dict[str, str]) -> dict[str, dict[tuple[int, ...], SnmpValue]]:
        names = list(roots)
        tables = await asyncio.gather(*(self.column(roots[n]) for n in names))
        return dict(zip(names, tables))

    async def table(self, entry: str, columns: dict[str, int]) \
            -> dict[str, dict[tuple[int, ...], SnmpValue]]:
        """A whole table entry in one walk, split into the named columns: one request for a
        table the agent does not have (LLDP-V2, FDP, MNDP ... are absent from most)."""
        by_number = {number: name for name, number in columns.items()}
        found: dict[str, dict[tuple[int, ...], SnmpValue]] = {name: {} for name in columns}
        for oid, value in await self.walk(entry):
            index = suffix(oid, entry)
            if len(index) > 1 and index[0] in by_number:
                found[by_number[index[0]]][index[1:]] = value
        return found


_TABLE_NAMES = {
    "1.3.6.1.2.1.2.2": "IF-MIB ifTable", "1.3.6.1.2.1.31.1.1": "IF-MIB ifXTable",
    "1.3.6.1.2.1.4.20": "IP-MIB ipAddrTable", "1.3.6.1.2.1.4.34": "IP-MIB ipAddressTable",
    "1.3.6.1.2.1.4.35": "IP-MIB ipNetToPhysicalTable", "1.3.6.1.2.1.4.22": "IP-MIB ipNetToMediaTable",
    "1.3.6.1.2.1.47.1.1.1": "ENTITY-MIB entPhysicalTable", "1.3.6.1.2.1.17.1.4": "BRIDGE-MIB dot1dBasePortTable",
    "1.3.6.1.2.1.17.4.3": "BRIDGE-MIB dot1dTpFdbTable", "1.3.6.1.2.1.17.7.1": "Q-BRIDGE-MIB",
    "1.0.8802.1.1.2.1.5.4795": "LLDP-EXT-MED-MIB", "1.0.8802.1.1.2": "LLDP-MIB",
    "1.3.111.2.802.1.1.13": "LLDP-V2-MIB", "1.3.6.1.4.1.9.9.23": "CISCO-CDP-MIB",
    "1.3.6.1.4.1.9.9.46": "CISCO-VTP-MIB", "1.3.6.1.4.1.1991.1.1.3.20": "FOUNDRY FDP/ISDP",
    "1.3.6.1.4.1.14988.1.1.11": "MIKROTIK-MIB neighbours (MNDP)",
}


def table_name(root: str) -> str:
    """A MIB table name for a warning a technician can act on, e.g. 'BRIDGE-MIB dot1dTpFdbTable'."""
    for prefix in sorted(_TABLE_NAMES, key=len, reverse=True):
        if root == prefix or root.startswith(prefix + "."):
            return f"{_TABLE_NAMES[prefix]} ({root})"
    return root


def _single(index: tuple[int, ...]) -> int:
    return index[0] if len(index) == 1 else -1


def _octet_index(index: tuple[int, ...]) -> bytes:
    return bytes(b & 0xFF for b in index)


# ---------------------------------------------------------------- the pieces

async def _interfaces(reader: _Reader) -> dict[int, Interface]:
    cols = await reader.columns({**IF_COLUMNS, **IFX_COLUMNS})
    indexes = sorted({_single(i) for table in cols.values() for i in table} - {-1})
    found: dict[int, Interface] = {}
    for index in indexes:
        key = (index,)
        speed = integer(cols["speed"].get(key))
        high = integer(cols["high_speed"].get(key))
        if high and (speed in (0, 4294967295) or high * 1_000_000 > speed):
            speed = high * 1_000_000
        descr = text(cols["descr"].get(key))
        found[index] = Interface(
            index=index, name=text(cols["name"].get(key)) or descr, descr=descr,
            alias=text(cols["alias"].get(key)), mac=_mac(cols["mac"].get(key)), speed_bps=speed,
            admin_up=integer(cols["admin"].get(key)) == 1,
            oper_up=integer(cols["oper"].get(key)) == 1, type=integer(cols["type"].get(key)))
    return found


async def _vendor_ports(reader: _Reader, tables: tuple[PortTable, ...],
                        interfaces: dict[int, Interface]) -> None:
    """Ports that only a vendor table lists (the profile's `snmp.ports`), added to
    `interfaces` under the ifIndex the table's numbering gives them; an ifIndex IF-MIB
    already has keeps IF-MIB's row."""
    for table in tables:
        names, descrs, opers = await asyncio.gather(
            reader.column(table.name), *(reader.column(oid) if oid else _no_rows()
                                         for oid in (table.descr, table.oper)))
        rows = [index for index in sorted(names) if text(names[index])]
        for position, index in enumerate(rows):
            if_index = table.if_index(index, position)
            if if_index is None or if_index in interfaces:
                continue
            up = integer(opers.get(index)) == 1
            name = table.port_name(index, text(names[index]))
            interfaces[if_index] = Interface(index=if_index, name=name,
                                             descr=text(descrs.get(index)) or name,
                                             admin_up=up, oper_up=up)


async def _no_rows() -> dict[tuple[int, ...], SnmpValue]:
    return {}


def _index_mac(index: tuple[int, ...]) -> str:
    """A table index of six octets (a MAC-indexed row) as 00:11:22:33:44:55, else ''."""
    return normalise_mac(bytes(index)) if len(index) == 6 and all(0 <= b < 256 for b in index) \
        else ""


def _mac(value: SnmpValue | None) -> str:
    if isinstance(value, bytes):
        if len(value) == 6:
            return normalise_mac(value)
        return normalise_mac(text(value)) if len(value) in (12, 14, 17) else ""
    return ""


async def _addresses(reader: _Reader) -> dict[int, list[str]]:
    """ifIndex -> ["a.b.c.d/len"] from ipAddrTable, else ipAddressTable."""
    by_if: dict[int, list[str]] = {}
    legacy, masks = await asyncio.gather(reader.column(IP_AD_IFINDEX), reader.column(IP_AD_MASK))
    for index, if_index in legacy.items():
        if len(index) != 4:
            continue
        address = ".".join(map(str, index))
        mask = octets_to_ipv4(masks.get(index)) or "255.255.255.255"
        try:
            length = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
        except ValueError:
            length = 32
        by_if.setdefault(integer(if_index), []).append(f"{address}/{length}")
    if by_if:
        return by_if
    modern, prefixes = await asyncio.gather(reader.column(IP_ADDRESS_IFINDEX),
                                            reader.column(IP_ADDRESS_PREFIX))
    for index, if_index in modern.items():
        address = _inet_index_ipv4(index)
        if not address:
            continue
        pointer = prefixes.get(index)
        length = int(str(pointer).rsplit(".", 1)[-1]) if pointer and str(pointer)[-1:].isdigit() \
            else 32
        by_if.setdefault(integer(if_index), []).append(f"{address}/{min(length, 32)}")
    return by_if


def _inet_index_ipv4(index: tuple[int, ...]) -> str:
    """InetAddressType.InetAddress index part -> dotted quad, '' unless IPv4."""
    if len(index) == 6 and index[0] == 1 and index[1] == 4:
        return ".".join(map(str, index[2:]))
    if len(index) == 5 and index[0] == 1:  # agents that leave out the length
        return ".".join(map(str, index[1:]))
    return ""


async def _chassis(reader: _Reader) -> Chassis:
    """The ENTITY-MIB row that stands for the device (netdoc.discover.identify.chassis_candidates).

    When none of the chassis/stack candidates carries a serial or model (a stack whose
    members' serials sit on their base boards), the next lowest-index rows are read; an
    agent (or trimmed walk) without entPhysicalClass is searched by its containment tree
    (ContainedIn), without that by its serial numbers, model names or descriptions.
    A serial written into a description ("... backplane SN:DH80092734 ...") counts when
    no row has one in its own column."""
    classes, parents = await asyncio.gather(reader.column(ENT_CLASS),
                                            reader.column(ENT_CONTAINED_IN))
    rows = [EntityRow(index=index[0], phys_class=integer(value),
                      contained_in=integer(parents.get(index), -1) if parents else -1)
            for index, value in classes.items() if len(index) == 1]
    if not rows:
        rows = [EntityRow(index=index[0], contained_in=integer(value, -1))
                for index, value in parents.items() if len(index) == 1]
    only_described = False
    for column in ("serial", "model", "descr"):  # a walk trimmed to one identity column
        if rows:
            break
        values = await reader.column(f"{ENT}.{ENT_FIELDS[column]}")
        rows = [EntityRow(index=index[0]) for index, value in values.items()
                if len(index) == 1 and usable(text(value))]
        only_described = column != "serial"
    candidates = chassis_candidates(rows)
    read = await _entity_rows(reader, candidates)
    # rows known by their descriptions alone: the first row is the device, as ENTITY-MIB
    # agents list it first; a card further down is no better guess
    chosen = read[0] if only_described and read else pick_chassis(read)
    if candidates and not (usable(chosen.serial) or usable(chosen.model)):
        others = sorted(r.index for r in rows if r.index not in candidates)[:4]
        found = [row for row in await _entity_rows(reader, others)
                 if usable(row.serial) or usable(row.model)]
        if found:
            return fill_chassis(chosen, found[0])
    if not usable(chosen.serial):
        chosen.serial = serial_in_descriptions([chosen, *read])
    return chosen


async def _entity_rows(reader: _Reader, indexes: list[int]) -> list[Chassis]:
    if not indexes:
        return []
    values = await reader.get([f"{ENT}.{col}.{index}" for index in indexes
                               for col in ENT_FIELDS.values()])
    return [Chassis(**{name: text(values.get(f"{ENT}.{col}.{index}"))
                       for name, col in ENT_FIELDS.items()}) for index in indexes]


def _port_id_text(subtype: int, raw: SnmpValue | None) -> str:
    """LLDP chassis/port ID to text: MACs as MACs, addresses as IPs, names as names."""
    if subtype in (3,) and isinstance(raw, bytes) and len(raw) == 6:
        return normalise_mac(raw)
    return _printable(raw)


def _chassis_id_text(subtype: int, raw: SnmpValue | None) -> str:
    if subtype == 4 and isinstance(raw, bytes) and len(raw) == 6:
        return normalise_mac(raw)
    if subtype == 5 and isinstance(raw, bytes) and len(raw) == 5 and raw[0] == 1:
        return ".".join(str(b) for b in raw[1:])
    printable = _printable(raw)
    if subtype == 4 and normalise_mac(printable):  # a MAC some agents send as text
        return normalise_mac(printable)
    return printable


def _printable(raw: SnmpValue | None) -> str:
    """Text of an octet string; a MAC or hex when it is binary. Text ends at the first NUL
    (agents that send a fixed-size buffer with garbage after the string)."""
    if isinstance(raw, bytes):
        head = raw.split(b"\x00", 1)[0]
        try:
            decoded = head.decode("utf-8")
            if head and decoded.isprintable():
                return decoded.strip()
        except UnicodeDecodeError:
            pass
        return normalise_mac(raw) if len(raw) == 6 else raw.hex(":")
    return text(raw)


async def _lldp(reader: _Reader, interfaces: dict[int, Interface],
                base_ports: dict[int, int]) -> list[tuple[int, Neighbor]]:
    """LLDP-MIB neighbours (lldpRemTable), with management addresses and LLDP-MED inventory,
    each with its lldpRemIndex."""
    remote, local, man, med, med_caps = await asyncio.gather(
        reader.table(LLDP_REM, LLDP_REM_COLUMNS), reader.table(LLDP_LOC_PORT, LLDP_LOC_COLUMNS),
        reader.column(LLDP_REM_MAN_ADDR_IF_SUBTYPE),
        reader.table(LLDP_MED_INVENTORY, LLDP_MED_INVENTORY_COLUMNS),
        reader.table(LLDP_MED_CAPABILITIES, {"device_class": 3}))
    addresses: dict[tuple[int, ...], str] = {}
    for index in man:  # timeMark.localPort.remIndex.addrSubtype.addrLen.addr...
        address = _man_address(index[3:])
        if len(index) >= 5 and address:
            addresses.setdefault(index[:3], address)
    neighbors = []
    rows = sorted({i[:3] for table in remote.values() for i in table if len(i) >= 3})
    for row in rows:
        get = {name: table.get(row) for name, table in remote.items()}
        neighbor = _lldp_neighbor(get, _lldp_local_port(row[1], local, interfaces, base_ports),
                                  addresses.get(row, ""))
        _add_med(neighbor, {name: table.get(row) for name, table in med.items()},
                 med_caps["device_class"].get(row))
        neighbors.append((row[2], neighbor))
    return neighbors


async def _lldp_v2(reader: _Reader, interfaces: dict[int, Interface]) -> list[Neighbor]:
    """LLDP-V2-MIB neighbours: rows indexed timeMark.ifIndex.destMacAddressIndex.remIndex."""
    remote, man = await asyncio.gather(reader.table(LLDP_V2_REM, LLDP_V2_REM_COLUMNS),
                                       reader.walk(LLDP_V2_REM_MAN_ADDR))
    if not any(remote.values()):
        return []
    addresses: dict[tuple[int, ...], str] = {}
    for oid, _value in man:  # column.timeMark.ifIndex.destMac.remIndex.addrSubtype.len.addr...
        index = suffix(oid, LLDP_V2_REM_MAN_ADDR)[1:]
        address = _man_address(index[4:])
        if len(index) >= 6 and address:
            addresses.setdefault(index[:4], address)
    neighbors = []
    for row in sorted({i[:4] for table in remote.values() for i in table if len(i) >= 4}):
        get = {name: table.get(row) for name, table in remote.items()}
        neighbors.append(_lldp_neighbor(get, _if_name(interfaces, row[1]),
                                        addresses.get(row, "")))
    return neighbors


def _man_address(index: tuple[int, ...]) -> str:
    """addrSubtype.addrLen.addr... (an LLDP management address index) -> IPv4 text or ''."""
    if len(index) >= 6 and index[0] == 1 and index[1] == 4:
        return ".".join(map(str, index[2:6]))
    if len(index) >= 5 and index[0] == 1 and index[1] != 4:  # agents that leave out the length
        return ".".join(map(str, index[1:5]))
    return ""


def _lldp_neighbor(get: dict[str, SnmpValue | None], local_port: str, address: str) -> Neighbor:
    name = _printable(get["sys_name"])
    if not name:  # a neighbour without a system name goes by its description, as in LibreNMS
        name = next(iter(_printable(get["sys_descr"]).splitlines()), "")
    return Neighbor(
        protocol="lldp", local_port=local_port, remote_name=name,
        remote_port=_port_id_text(integer(get["port_subtype"]), get["port_id"]) or
        text(get["port_descr"]),
        remote_port_descr=_printable(get["port_descr"]),
        remote_chassis_id=_chassis_id_text(integer(get["chassis_subtype"]), get["chassis_id"]),
        remote_mgmt_ip=address, remote_platform=_printable(get["sys_descr"]),
        remote_capabilities=decode_capabilities(get["caps"]))


def _add_med(neighbor: Neighbor, inventory: dict[str, SnmpValue | None],
             device_class: SnmpValue | None) -> None:
    """LLDP-MED inventory: the endpoint's own model, serial, software and maker."""
    neighbor.remote_model = _printable(inventory.get("model"))
    neighbor.remote_serial = _printable(inventory.get("serial"))
    neighbor.remote_manufacturer = _printable(inventory.get("manufacturer"))
    neighbor.remote_software = _printable(inventory.get("software")) or \
        _printable(inventory.get("firmware"))
    neighbor.remote_hardware = _printable(inventory.get("hardware"))
    neighbor.remote_med_class = MED_CLASSES.get(integer(device_class), "")


def _lldp_local_port(port: int, local: dict[str, dict[tuple[int, ...], SnmpValue]],
                     interfaces: dict[int, Interface], base_ports: dict[int, int]) -> str:
    """lldpLocPortNum -> interface name; agents number ports by ifIndex, bridge port or own."""
    by_name = {i.name: i.name for i in interfaces.values()}
    by_name.update({i.descr: i.name for i in interfaces.values() if i.descr})
    port_id = _printable(local["id"].get((port,)))
    port_descr = text(local["descr"].get((port,)))
    for candidate in (port_id, port_descr):
        if candidate in by_name:
            return by_name[candidate]
    if port in interfaces and not local["id"]:
        return interfaces[port].name
    if port in interfaces and (not port_descr or port_descr == interfaces[port].descr):
        return interfaces[port].name
    if port in base_ports and base_ports[port] in interfaces:
        return interfaces[base_ports[port]].name
    if port in interfaces:
        return interfaces[port].name
    return port_descr or port_id or str(port)


async def _cdp(reader: _Reader, interfaces: dict[int, Interface]) -> list[Neighbor]:
    cols = await reader.table(CDP, CDP_COLUMNS)
    neighbors = []
    for index in sorted({i for table in cols.values() for i in table if len(i) == 2}):
        if_index = index[0]
        address = cols["address"].get(index)
        neighbors.append(Neighbor(
            protocol="cdp", local_port=_if_name(interfaces, if_index),
            remote_name=_printable(cols["device_id"].get(index)),
            remote_port=_printable(cols["device_port"].get(index)),
            remote_mgmt_ip=octets_to_ipv4(address) if integer(cols["address_type"].get(index),
                                                              1) == 1 else "",
            remote_platform=_printable(cols["platform"].get(index)),
            remote_software=_printable(cols["version"].get(index)),
            remote_capabilities=_cdp_capabilities(cols["capabilities"].get(index))))
    return neighbors


# CISCO-CDP-MIB cdpCacheCapabilities bits (a 32-bit number, sent as 4 octets) in LLDP's
# names: router, trans-bridge, source-route bridge, switch, host, (IGMP), repeater, phone
_CDP_CAPABILITIES = ((0x01, "router"), (0x02, "bridge"), (0x04, "bridge"), (0x08, "bridge"),
                     (0x10, "station"), (0x40, "repeater"), (0x80, "telephone"))


def _cdp_capabilities(raw: SnmpValue | None) -> list[str]:
    if isinstance(raw, bytes) and len(raw) == 4:
        bits = int.from_bytes(raw, "big")
    elif isinstance(raw, int):
        bits = raw
    else:
        return []
    return list(dict.fromkeys(name for bit, name in _CDP_CAPABILITIES if bits & bit))


async def _fdp(reader: _Reader, interfaces: dict[int, Interface]) -> list[Neighbor]:
    """Foundry/Brocade FDP and ISDP neighbours (snFdpCacheTable, indexed ifIndex.deviceIndex)."""
    cols = await reader.table(FDP, FDP_COLUMNS)
    neighbors = []
    for index in sorted({i for table in cols.values() for i in table if len(i) == 2}):
        get = {name: table.get(index) for name, table in cols.items()}
        address = get["address"]
        neighbors.append(Neighbor(
            protocol="fdp", local_port=_if_name(interfaces, index[0]),
            remote_name=_printable(get["device_id"]), remote_port=_printable(get["device_port"]),
            remote_mgmt_ip=octets_to_ipv4(address) if integer(get["address_type"], 1) == 1 else "",
            remote_platform=_printable(get["platform"]), remote_software=_printable(get["version"]),
            remote_capabilities=_words_to_capabilities(_printable(get["capabilities"]))))
    return neighbors


def _words_to_capabilities(value: str) -> list[str]:
    """'Router Switch' (FDP/ISDP capability words) -> netdoc capability names."""
    words = {"router": "router", "switch": "bridge", "bridge": "bridge", "host": "station",
             "phone": "telephone", "repeater": "repeater"}
    return list(dict.fromkeys(words[w] for w in re.findall(r"[a-z]+", value.lower()) if w in words))


async def _mndp(reader: _Reader, interfaces: dict[int, Interface]) \
        -> tuple[list[Neighbor], dict[int, str]]:
    """MikroTik MNDP neighbours (MIKROTIK-MIB mtxrNeighborTable), and the interface of each
    row by its index (RouterOS numbers its LLDP rows the same way)."""
    cols = await reader.table(MNDP, MNDP_COLUMNS)
    neighbors = []
    ports: dict[int, str] = {}
    for index in sorted({i for table in cols.values() for i in table}):
        get = {name: table.get(index) for name, table in cols.items()}
        address = get["address"]
        if get["if_index"] is not None and len(index) == 1:
            ports[index[0]] = _if_name(interfaces, integer(get["if_index"]))
        if get["identity"] is None and get["mac"] is None and address is None:
            continue  # an interface and nothing else: no neighbour to speak of
        neighbors.append(Neighbor(
            protocol="mndp", local_port=_if_name(interfaces, integer(get["if_index"])),
            remote_name=_printable(get["identity"]),
            remote_chassis_id=_mac(get["mac"]),
            remote_mgmt_ip=str(address) if isinstance(address, IPv4) else octets_to_ipv4(address),
            remote_platform=_printable(get["platform"]),
            remote_software=_printable(get["version"])))
    return neighbors, ports


def _if_name(interfaces: dict[int, Interface], if_index: int) -> str:
    return interfaces[if_index].name if if_index in interfaces else f"ifIndex {if_index}"


async def _base_ports(reader: _Reader) -> dict[int, int]:
    return {_single(i): integer(v) for i, v in (await reader.column(DOT1D_BASE_PORT_IFINDEX)).items()}


async def _fdb_dot1d(reader: _Reader, interfaces: dict[int, Interface], vlan: int,
                     base_ports: dict[int, int] | None = None) -> list[FdbEntry]:
    ports, statuses, own_base_ports = await asyncio.gather(
        reader.column(DOT1D_FDB_PORT), reader.column(DOT1D_FDB_STATUS),
        _base_ports(reader) if base_ports is None else _noop(base_ports))
    entries = []
    for index, port in ports.items():
        if len(index) != 6 or integer(statuses.get(index), 3) in (FDB_SELF, FDB_INVALID):
            continue
        if_index = own_base_ports.get(integer(port))
        if not integer(port) or if_index is None:
            continue
        entries.append(FdbEntry(mac=normalise_mac(_octet_index(index)),
                                port=_if_name(interfaces, if_index), vlan=vlan))
    return entries


async def _noop(value: dict[int, int]) -> dict[int, int]:
    return value


async def _fdb_dot1q(reader: _Reader, interfaces: dict[int, Interface],
                     base_ports: dict[int, int]) -> list[FdbEntry]:
    ports, statuses, fdb_ids = await asyncio.gather(
        reader.column(DOT1Q_FDB_PORT), reader.column(DOT1Q_FDB_STATUS),
        reader.column(DOT1Q_VLAN_FDB_ID))
    vlan_of_fdb = {integer(fdb): index[-1] for index, fdb in fdb_ids.items() if index}
    entries = []
    for index, port in ports.items():
        if len(index) != 7 or integer(statuses.get(index), 3) in (FDB_SELF, FDB_INVALID):
            continue
        if_index = base_ports.get(integer(port))
        if not integer(port) or if_index is None:
            continue
        entries.append(FdbEntry(mac=normalise_mac(_octet_index(index[1:])),
                                port=_if_name(interfaces, if_index),
                                vlan=vlan_of_fdb.get(index[0], index[0])))
    return entries


async def _fdb_per_vlan(reader: _Reader, interfaces: dict[int, Interface]) -> list[FdbEntry]:
    """Cisco: each VLAN's bridge table is only visible through community@vlan / context.

    The first VLAN's view is asked once before the others: an agent that does not
    index communities by VLAN (or a replay of one view) stays silent to it, and then
    no VLAN view is tried; the caller falls back to the plain bridge tables.
    """
    states = await reader.column(VTP_VLAN_STATE)
    vlans = sorted({index[-1] for index, state in states.items()
                    if integer(state) == VTP_OPERATIONAL and index[-1] not in CISCO_RESERVED_VLANS})
    if not vlans or reader.gone:
        return []
    views = {vlan: reader.transport.for_vlan(vlan) for vlan in vlans}
    try:
        await views[vlans[0]].get([SYS_UPTIME])
    except SnmpError as exc:
        reader.warn(f"per-VLAN bridge tables skipped: the VLAN {vlans[0]} view "
                    f"(community@{vlans[0]} / SNMPv3 context vlan-{vlans[0]}) did not answer "
                    f"({exc.reason}); the bridge table is read without VLANs")
        return []
    readers = [_Reader(views[vlan], view=f"VLAN {vlan}") for vlan in vlans]
    tables = await asyncio.gather(*(_fdb_dot1d(r, interfaces, vlan)
                                    for r, vlan in zip(readers, vlans)))
    for vlan_reader in readers:
        for warning in vlan_reader.warnings:
            reader.warn(warning)
    return [entry for table in tables for entry in table]


async def _arp(reader: _Reader, interfaces: dict[int, Interface]) -> list[ArpEntry]:
    addresses, types = await asyncio.gather(reader.column(ARP_PHYS_ADDRESS),
                                            reader.column(ARP_PHYS_TYPE))
    entries = []
    for index, mac in addresses.items():
        ip = _inet_index_ipv4(index[1:]) if index else ""
        if ip and integer(types.get(index), 3) != ARP_INVALID and _mac(mac):
            entries.append(ArpEntry(ip=ip, mac=_mac(mac), interface=_if_name(interfaces, index[0])))
    if entries:
        return entries
    addresses, types = await asyncio.gather(reader.column(ARP_MEDIA_ADDRESS),
                                            reader.column(ARP_MEDIA_TYPE))
    for index, mac in addresses.items():
        if len(index) == 5 and integer(types.get(index), 3) != ARP_INVALID and _mac(mac):
            entries.append(ArpEntry(ip=".".join(map(str, index[1:])), mac=_mac(mac),
                                    interface=_if_name(interfaces, index[0])))
    return entries


# ---------------------------------------------------------------- the whole device

async def read_system(transport: SnmpTransport) -> dict[str, SnmpValue]:
    """The system group; raises SnmpError if the agent has none (then nothing else is worth it)."""
    system = await transport.get([SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_CONTACT, SYS_LOCATION,
                                  LLDP_LOC_CAP_ENABLED])
    if SYS_OBJECT_ID not in system and SYS_DESCR not in system:
        raise SnmpError(transport.host, "the agent answered but has no system group "
                                        "(sysDescr/sysObjectID): check its view/ACL")
    return system


async def collect(transport: SnmpTransport, host: str = "", site: str = "",
                  system: dict[str, SnmpValue] | None = None) -> tuple[Device, list[str]]:
    """Read and identify one device over `transport`. Returns (device, warnings).

    Raises SnmpError only when the agent has no system group at all; every table after
    that is read on its own, and one that fails is a warning (also in device.warnings).
    """
    if system is None:
        system = await read_system(transport)
    reader = _Reader(transport)
    facts = Facts(sys_object_id=_oid_text(system.get(SYS_OBJECT_ID)),
                  sys_descr=text(system.get(SYS_DESCR)), sys_name=text(system.get(SYS_NAME)),
                  lldp_capabilities=decode_capabilities(system.get(LLDP_LOC_CAP_ENABLED)))
    # the profile and the device's enterprise decide which identification scalars to read;
    # behind a generic agent (net-snmp), also the OIDs that profiles' OID conditions name
    profile = match_profile(facts.sys_object_id, facts.sys_descr)
    asked = scalar_oids(profile, facts.sys_object_id, facts.sys_descr)
    interfaces, addresses, chassis, base_ports, scalars = await asyncio.gather(
        _interfaces(reader), _addresses(reader), _chassis(reader), _base_ports(reader),
        reader.get(asked))
    facts.chassis, facts.scalars = chassis, scalars
    profile = match_profile(facts.sys_object_id, facts.sys_descr, scalars)
    rules = snmp_rules(profile.name) if profile else None
    if rules is not None:  # a profile chosen by its OID conditions: its own scalars
        extra = sorted(set(rules.oids(facts.sys_object_id)) - set(asked))
        scalars.update(await reader.get(extra) if extra else {})
        own_macs = {i.mac for i in interfaces.values() if i.mac}
        own_row_columns = rules.own_row_columns(facts.sys_object_id)
        for column in rules.columns(facts.sys_object_id):  # a unit kept in a table row
            rows = await reader.column(column)
            order = sorted(rows)
            if column in own_row_columns:  # a cluster's member table: this member's row first
                order.sort(key=lambda index: _index_mac(index) not in own_macs)
            first = next((rows[index] for index in order if usable(text(rows[index]))), None)
            if first is not None:
                scalars[column] = first
    if rules is not None and rules.ports:
        await _vendor_ports(reader, rules.ports, interfaces)
    for if_index, cidrs in addresses.items():
        if if_index in interfaces:
            interfaces[if_index].ipv4 = sorted(cidrs, key=_cidr_key)
    fdb_task: Awaitable[list[FdbEntry]] = (
        _fdb_per_vlan(reader, interfaces) if rules and rules.fdb_per_vlan
        else _fdb_dot1q(reader, interfaces, base_ports))
    neighbors, fdb, arp = await asyncio.gather(
        _neighbors(reader, interfaces, base_ports), fdb_task, _arp(reader, interfaces))
    if not fdb and rules and rules.fdb_per_vlan:  # no VTP VLANs (or a recording of one view)
        fdb = await _fdb_dot1q(reader, interfaces, base_ports)
    if not fdb:
        fdb = await _fdb_dot1d(reader, interfaces, 0, base_ports)
    ident = identify(facts)
    device = Device(
        hostname=facts.sys_name, mgmt_ip=host, sys_descr=facts.sys_descr,
        sys_object_id=facts.sys_object_id, sys_location=text(system.get(SYS_LOCATION)),
        sys_contact=text(system.get(SYS_CONTACT)), vendor=ident.vendor, os=ident.os,
        version=ident.version, model=ident.model, serial=ident.serial, role=ident.role,
        platform=ident.platform, site=site, base_mac=_base_mac(interfaces),
        interfaces=[interfaces[i] for i in sorted(interfaces)],
        neighbors=sorted(neighbors, key=lambda n: (n.local_port, n.protocol, n.remote_name,
                                                   n.remote_port)),
        arp=sorted(arp, key=lambda a: (ipaddress.IPv4Address(a.ip), a.interface)),
        fdb=sorted(_unique(fdb), key=lambda f: (f.vlan, f.mac, f.port)),
        warnings=list(reader.warnings))
    if base_ports or fdb or (rules is not None and rules.fdb_per_vlan):  # a bridge: per-port
        # VLANs and VLAN names (netdoc/discover/collectors/vlans.py); Cisco has no base ports outside VLAN views
        from netdoc.discover.collectors.vlans import read_vlans

        await read_vlans(reader, device, base_ports)
        device.warnings = list(reader.warnings)
    return device, reader.warnings


async def _neighbors(reader: _Reader, interfaces: dict[int, Interface],
                     base_ports: dict[int, int]) -> list[Neighbor]:
    """Every neighbour table the agent has: LLDP (v1 and v2 MIBs), CDP, FDP/ISDP, MNDP."""
    lldp_rows, lldp_v2, cdp, fdp, (mndp, mndp_ports) = await asyncio.gather(
        _lldp(reader, interfaces, base_ports), _lldp_v2(reader, interfaces),
        _cdp(reader, interfaces), _fdp(reader, interfaces), _mndp(reader, interfaces))
    names = {i.name for i in interfaces.values()}
    for rem_index, neighbor in lldp_rows:
        # RouterOS puts every LLDP row on local port 0; its MNDP row of the same index
        # says which interface the neighbour is on
        if neighbor.local_port not in names and rem_index in mndp_ports:
            neighbor.local_port = mndp_ports[rem_index]
    lldp = [neighbor for _index, neighbor in lldp_rows]
    lldp = lldp + _not_already(lldp_v2, lldp)
    _local_ports_from_others(lldp, cdp + fdp + mndp, interfaces)
    return lldp + cdp + fdp + mndp


def _local_ports_from_others(lldp: list[Neighbor], others: list[Neighbor],
                             interfaces: dict[int, Interface]) -> None:
    """An LLDP row whose local port names no interface (RouterOS numbers every row port 0)
    takes the interface another protocol saw the same neighbour on (same MAC or name)."""
    names = {i.name for i in interfaces.values()}
    seen: dict[str, str] = {}
    for other in others:
        if other.local_port in names:
            for key in (other.remote_chassis_id, other.remote_name):
                if key:
                    seen.setdefault(key.lower(), other.local_port)
    for neighbor in lldp:
        if neighbor.local_port in names:
            continue
        for key in (neighbor.remote_chassis_id, neighbor.remote_name):
            if key and key.lower() in seen:
                neighbor.local_port = seen[key.lower()]
                break


def _not_already(found: list[Neighbor], known: list[Neighbor]) -> list[Neighbor]:
    """Neighbours an agent lists in both LLDP MIBs count once."""
    seen = {(n.local_port, n.remote_chassis_id, n.remote_port) for n in known}
    return [n for n in found if (n.local_port, n.remote_chassis_id, n.remote_port) not in seen]


def _oid_text(value: SnmpValue | None) -> str:
    """sysObjectID as dotted text; some agents send it as an OCTET STRING (".1.3.6...")."""
    raw = text(value) if isinstance(value, bytes) else str(value or "")
    raw = raw.strip().strip(".")
    return raw if re.fullmatch(r"[0-9]+(\.[0-9]+)*", raw) else ""


def _cidr_key(cidr: str) -> ipaddress.IPv4Interface:
    return ipaddress.IPv4Interface(cidr)


def _unique(entries: Iterable[FdbEntry]) -> list[FdbEntry]:
    seen: dict[tuple[str, str, int], FdbEntry] = {}
    for entry in entries:
        seen.setdefault((entry.mac, entry.port, entry.vlan), entry)
    return list(seen.values())


def _base_mac(interfaces: dict[int, Interface]) -> str:
    """The lowest non-zero interface MAC: stable across runs, a fair chassis identity."""
    macs = sorted(i.mac for i in interfaces.values() if i.mac and i.mac != "00:00:00:00:00:00")
    return macs[0] if macs else ""


# ---------------------------------------------------------------- credentials and budget

Opener = Callable[..., Awaitable[SnmpTransport]]


async def poll_device(host: str, port: int, credential_sets: list[CredentialSet],
                      settings: SnmpSettings, site: str = "",
                      opener: Opener = open_client) -> PollResult:
    """Try the credential sets with an snmp part in order; poll with the first that answers.

    Never raises for device problems and never runs past settings.device_budget.
    """
    started = time.monotonic()
    result = PollResult(host=host)
    try:
        await asyncio.wait_for(_poll(host, port, credential_sets, settings, site, opener, result),
                               settings.device_budget + 1.0)
    except asyncio.TimeoutError:
        result.device = None
        result.error = f"gave up after the device time budget of {settings.device_budget:g} s"
    except SnmpError as exc:
        result.device = None
        result.error = exc.reason
        result.no_answer = isinstance(exc, _Silence)
    result.seconds = round(time.monotonic() - started, 3)
    return result


async def _poll(host: str, port: int, credential_sets: list[CredentialSet],
                settings: SnmpSettings, site: str, opener: Opener, result: PollResult) -> None:
    deadline = time.monotonic() + settings.device_budget
    usable = [c for c in credential_sets if c.snmp is not None]
    if not usable:
        raise SnmpError(host, "no SNMP credential set to try (none of the given sets has "
                              "an snmp: part)")
    failures: list[str] = []
    silent = 0
    for credential in usable:
        try:
            transport = await opener(host, port, credential.snmp, settings, deadline=deadline)
        except (SnmpTimeout, SnmpAuthError) as exc:
            failures.append(f"{credential.name}: {exc.reason}")
            silent += isinstance(exc, SnmpTimeout)
            if isinstance(exc, SnmpPortClosed):
                break  # the port is closed: another credential will not open it
            continue
        try:
            try:
                system = await read_system(transport)
            except (SnmpTimeout, SnmpAuthError) as exc:
                failures.append(f"{credential.name}: {exc.reason}")
                silent += isinstance(exc, SnmpTimeout)
                if isinstance(exc, SnmpPortClosed):
                    break
                continue
            result.credential = credential.name
            result.device, result.warnings = await collect(transport, host, site, system)
            return
        finally:
            await transport.close()
    if silent == len(failures):
        raise _Silence(host, "; ".join(failures))
    raise SnmpError(host, "; ".join(failures))


class _Silence(SnmpTimeout):
    """Every credential met silence: an endpoint without SNMP, most likely."""
