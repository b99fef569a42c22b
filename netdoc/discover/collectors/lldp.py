"""Passive LLDP/CDP listening on the probe's own interfaces.

The probe learns its upstream switch (and neighbours that have no SNMP) from
the advertisements they send anyway; nothing is transmitted.

One raw AF_PACKET socket per interface, with a classic BPF filter that lets only
LLDP (ethertype 0x88cc) and CDP (to 01:00:0c:cc:cc:cc) through, and netdoc's own
parsers of the two formats (IEEE 802.1AB TLVs; CDP's SNAP-encapsulated TLVs). Every
byte comes from whoever is on the LAN: each length is checked before it is used, a
truncated or malformed frame yields what was complete before the damage (or nothing),
never an exception, and all text goes through netdoc.textsafe.clean.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import select
import socket
import struct
import time
from typing import Iterator

from netdoc.errors import NetdocError
from netdoc.models import Neighbor, normalise_mac
from netdoc.textsafe import FIELD_LIMIT, NAME_LIMIT, TEXT_LIMIT, clean

log = logging.getLogger("netdoc.collectors.lldp")

ETH_P_ALL = 0x0003
ETHERTYPE_LLDP = 0x88CC
CDP_DESTINATION = bytes.fromhex("01000ccccccc")
# the LLDP destinations (nearest bridge, non-TPMR bridge, nearest customer bridge) and CDP's
MULTICAST_GROUPS = tuple(bytes.fromhex(mac) for mac in
                         ("0180c200000e", "0180c2000003", "0180c2000000", "01000ccccccc"))
MAX_FRAME = 9000          # anything longer is not an advertisement (jumbo frames at most)
MAX_NEIGHBOURS = 1024     # a flood of forged advertisements costs bounded memory
SNAP_CDP = bytes.fromhex("aaaa0300000c2000")  # LLC DSAP/SSAP/control, Cisco OUI, PID 0x2000
PACKET_OUTGOING = 4

# Linux constants (linux/if_packet.h, asm-generic/socket.h)
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_MULTICAST = 0
SO_ATTACH_FILTER = 26

# Classic BPF: accept ethertype 0x88cc, or destination 01:00:0c:cc:cc:cc; drop the rest.
# (code, jump-if-true, jump-if-false, k); jumps count instructions after the next one.
_BPF_PROGRAM = (
    (0x28, 0, 0, 12),           # ldh [12]            ethertype / 802.3 length
    (0x15, 4, 0, 0x88CC),       # jeq #0x88cc  -> accept
    (0x20, 0, 0, 0),            # ld  [0]             first four octets of the destination
    (0x15, 0, 3, 0x01000CCC),   # jne          -> drop
    (0x28, 0, 0, 4),            # ldh [4]             last two
    (0x15, 0, 1, 0xCCCC),       # jne          -> drop
    (0x06, 0, 0, 0x40000),      # accept (the whole frame)
    (0x06, 0, 0, 0),            # drop
)

# LLDP system capabilities (802.1AB 8.5.8: bit 1 = 0x0001 ...), in netdoc's names (the
# same as netdoc.discover.identify.LLDP_CAPABILITY_BITS uses for the LLDP-MIB)
LLDP_CAPABILITIES = ((0x0001, "other"), (0x0002, "repeater"), (0x0004, "bridge"),
                     (0x0008, "wlan-ap"), (0x0010, "router"), (0x0020, "telephone"),
                     (0x0040, "docsis"), (0x0080, "station"))
# CDP capabilities: router, trans-bridge, source-route bridge, switch, host, (IGMP), repeater,
# phone - as netdoc.discover.collectors.snmp names cdpCacheCapabilities
CDP_CAPABILITIES = ((0x01, "router"), (0x02, "bridge"), (0x04, "bridge"), (0x08, "bridge"),
                    (0x10, "station"), (0x40, "repeater"), (0x80, "telephone"))
MED_OUI = bytes.fromhex("0012bb")
MED_CLASSES = {1: "endpoint-class-1", 2: "endpoint-class-2", 3: "endpoint-class-3",
               4: "network-connectivity"}
# LLDP-MED inventory TLV subtypes -> Neighbor fields
MED_INVENTORY = {5: "remote_hardware", 7: "remote_software", 8: "remote_serial",
                 9: "remote_manufacturer", 10: "remote_model"}
MED_FIRMWARE = 6


def probe_interfaces() -> list[str]:
    """The probe's own Ethernet interfaces that are up (loopback excluded)."""
    try:
        names = sorted(os.listdir("/sys/class/net"))
    except OSError:
        names = sorted(name for _index, name in socket.if_nameindex())
    found = []
    for name in names:
        if name == "lo":
            continue
        try:
            with open(f"/sys/class/net/{name}/operstate") as handle:
                if handle.read().strip() not in ("up", "unknown"):
                    continue
            with open(f"/sys/class/net/{name}/type") as handle:
                if handle.read().strip() != "1":  # ARPHRD_ETHER: no tunnels, no loopback
                    continue
        except OSError:
            continue
        found.append(name)
    return found


def listen(interfaces: list[str], seconds: float) -> list[Neighbor]:
    """What LLDP/CDP neighbours advertise on these interfaces within `seconds`; nothing is
    sent. Needs root or CAP_NET_RAW."""
    if seconds <= 0 or not interfaces:
        return []
    sockets: dict[int, tuple[socket.socket, str]] = {}
    failures = []
    try:
        for name in interfaces:
            try:
                sock = _open(name)
            except OSError as exc:
                failures.append(f"{name}: {exc.strerror or exc}")
                continue
            sockets[sock.fileno()] = (sock, name)
        if not sockets:
            raise NetdocError(f"cannot listen for LLDP/CDP on {', '.join(interfaces)} "
                              f"({'; '.join(failures)}); it needs root or CAP_NET_RAW")
        for failure in failures:
            log.warning("not listening for LLDP/CDP on %s", failure)
        return _collect(sockets, time.monotonic() + seconds)
    finally:
        for sock, _name in sockets.values():
            sock.close()


def _open(interface: str) -> socket.socket:
    """A raw socket that receives only LLDP and CDP frames arriving on one interface."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # receives nothing yet
    try:
        _attach_filter(sock)
        sock.bind((interface, ETH_P_ALL))  # filter first: no unfiltered frame gets queued
        index = socket.if_nametoindex(interface)
        for group in MULTICAST_GROUPS:  # the NIC passes these up without promiscuous mode
            try:
                sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP,
                                struct.pack("iHH8s", index, PACKET_MR_MULTICAST, 6, group))
            except OSError as exc:
                log.debug("multicast membership %s on %s: %s", group.hex(":"), interface, exc)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _attach_filter(sock: socket.socket) -> None:
    """The BPF program onto the socket; without it (an unusual kernel) Python filters."""
    import ctypes

    program = b"".join(struct.pack("HBBI", *insn) for insn in _BPF_PROGRAM)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HL", len(_BPF_PROGRAM), ctypes.addressof(buffer))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError as exc:
        log.debug("no BPF filter on the LLDP/CDP socket (%s): filtering in Python", exc)


def _collect(sockets: dict[int, tuple[socket.socket, str]], deadline: float) -> list[Neighbor]:
    neighbours: dict[tuple[str, str, str], Neighbor] = {}
    while (left := deadline - time.monotonic()) > 0:
        try:
            ready, _, _ = select.select(list(sockets), [], [], left)
        except InterruptedError:
            continue
        for fileno in ready:
            sock, name = sockets[fileno]
            for frame in _drain(sock):
                heard = parse_frame(frame, name)
                if heard is None:
                    continue
                key = (heard.protocol, heard.local_port,
                       heard.remote_chassis_id or heard.remote_name)
                if key in neighbours or len(neighbours) < MAX_NEIGHBOURS:
                    neighbours[key] = heard
    return sorted(neighbours.values(), key=lambda n: (n.local_port, n.protocol, n.remote_name))


def _drain(sock: socket.socket) -> Iterator[bytes]:
    """The frames queued on the socket now (at most a few hundred per wake-up)."""
    for _ in range(256):
        try:
            frame, address = sock.recvfrom(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # the interface went away meanwhile
            log.debug("LLDP/CDP socket: %s", exc)
            return
        if len(address) > 2 and address[2] == PACKET_OUTGOING:
            continue
        yield frame


def parse_frame(frame: bytes, local_port: str = "") -> Neighbor | None:
    """An LLDP or CDP neighbour from one Ethernet frame, or None for anything else."""
    if len(frame) < 14 or len(frame) > MAX_FRAME:
        return None
    try:
        return parse_lldp(frame, local_port) or parse_cdp(frame, local_port)
    except Exception as exc:  # a parser bug must not end the listen; the frame is dropped
        log.debug("unparsable LLDP/CDP frame on %s: %s", local_port, exc)
        return None


# ---------------------------------------------------------------------------- LLDP


def parse_lldp(frame: bytes, local_port: str = "") -> Neighbor | None:
    """An LLDPDU (IEEE 802.1AB) in an Ethernet II frame -> Neighbor; None unless it starts
    with the mandatory chassis ID and port ID TLVs."""
    if len(frame) < 14 or len(frame) > MAX_FRAME or \
            int.from_bytes(frame[12:14], "big") != ETHERTYPE_LLDP:
        return None
    tlvs = list(_lldp_tlvs(frame, 14))
    if len(tlvs) < 2 or tlvs[0][0] != 1 or tlvs[1][0] != 2 or \
            len(tlvs[0][1]) < 2 or len(tlvs[1][1]) < 2:
        return None
    chassis, port = tlvs[0][1], tlvs[1][1]
    neighbour = Neighbor(protocol="lldp", local_port=clean(local_port, FIELD_LIMIT),
                         remote_chassis_id=_chassis_id(chassis[0], chassis[1:]),
                         remote_port=_port_id(port[0], port[1:]))
    description = first_line = ""
    for kind, value in tlvs[2:]:
        if kind == 4:
            neighbour.remote_port_descr = _text(value, FIELD_LIMIT)
        elif kind == 5:
            neighbour.remote_name = _text(value, NAME_LIMIT)
        elif kind == 6:
            description = _text(value, TEXT_LIMIT)
            first_line = _text(value.replace(b"\r", b"\n").split(b"\n", 1)[0], NAME_LIMIT)
        elif kind == 7 and len(value) >= 4:
            enabled = int.from_bytes(value[2:4], "big")
            neighbour.remote_capabilities = sorted(
                name for bit, name in LLDP_CAPABILITIES if enabled & bit)
        elif kind == 8 and not neighbour.remote_mgmt_ip:
            neighbour.remote_mgmt_ip = _management_ipv4(value)
        elif kind == 127 and len(value) >= 4 and value[:3] == MED_OUI:
            _add_med(neighbour, value[3], value[4:])
    neighbour.remote_platform = description
    if not neighbour.remote_name:  # as the LLDP-MIB collector: the description names it
        neighbour.remote_name = first_line
    return neighbour


def _lldp_tlvs(frame: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    """(type, value) of each TLV up to End of LLDPDU; a TLV that runs past the frame ends
    the walk (every step moves forward, so it always ends)."""
    while offset + 2 <= len(frame):
        header = int.from_bytes(frame[offset:offset + 2], "big")
        kind, length = header >> 9, header & 0x1FF
        offset += 2
        if kind == 0 or offset + length > len(frame):
            return
        yield kind, frame[offset:offset + length]
        offset += length


def _chassis_id(subtype: int, value: bytes) -> str:
    """802.1AB chassis ID subtypes: 4 MAC address, 5 network address, else text."""
    if subtype == 4 and len(value) == 6:
        return normalise_mac(value)
    if subtype == 5:
        return _network_address(value) or value.hex(":")
    text = _text(value, FIELD_LIMIT)
    return normalise_mac(text) if subtype == 4 and normalise_mac(text) else text


def _port_id(subtype: int, value: bytes) -> str:
    """802.1AB port ID subtypes: 3 MAC address, 4 network address, else text."""
    if subtype == 3 and len(value) == 6:
        return normalise_mac(value)
    if subtype == 4:
        return _network_address(value) or value.hex(":")
    return _text(value, FIELD_LIMIT)


def _network_address(value: bytes) -> str:
    """IANA address family (1 IPv4, 2 IPv6) then the address."""
    if len(value) == 5 and value[0] == 1:
        return str(ipaddress.IPv4Address(value[1:]))
    if len(value) == 17 and value[0] == 2:
        return str(ipaddress.IPv6Address(value[1:]))
    return ""


def _management_ipv4(value: bytes) -> str:
    """Management address TLV: string length (subtype + address), subtype, address, ..."""
    if len(value) < 2:
        return ""
    length = value[0]
    if length < 2 or 1 + length > len(value):
        return ""
    address = value[1:1 + length]
    if address[0] == 1 and len(address) == 5:
        return str(ipaddress.IPv4Address(address[1:]))
    return ""


def _add_med(neighbour: Neighbor, subtype: int, value: bytes) -> None:
    """LLDP-MED (TIA-1057): capabilities with the device class, and the inventory TLVs."""
    if subtype == 1 and len(value) >= 3:
        neighbour.remote_med_class = MED_CLASSES.get(value[2], "")
    elif subtype in MED_INVENTORY:
        setattr(neighbour, MED_INVENTORY[subtype], _text(value, FIELD_LIMIT))
    elif subtype == MED_FIRMWARE and not neighbour.remote_software:
        neighbour.remote_software = _text(value, FIELD_LIMIT)


# ----------------------------------------------------------------------------- CDP


def parse_cdp(frame: bytes, local_port: str = "") -> Neighbor | None:
    """A CDP advertisement (802.3 length, LLC/SNAP with Cisco's OUI and PID 0x2000, the CDP
    header, then type-length-value fields) -> Neighbor; None without a device ID."""
    if len(frame) < 26 or len(frame) > MAX_FRAME or frame[:6] != CDP_DESTINATION:
        return None
    length = int.from_bytes(frame[12:14], "big")
    if length > 1500 or frame[14:22] != SNAP_CDP:
        return None
    end = min(len(frame), 14 + length) if length >= 12 else len(frame)
    neighbour = Neighbor(protocol="cdp", local_port=clean(local_port, FIELD_LIMIT))
    for kind, value in _cdp_tlvs(frame[:end], 26):  # 22 + version, TTL, checksum
        if kind == 0x0001:
            neighbour.remote_name = _text(value, NAME_LIMIT)
        elif kind == 0x0002 and not neighbour.remote_mgmt_ip:
            neighbour.remote_mgmt_ip = _cdp_ipv4(value)
        elif kind == 0x0003:
            neighbour.remote_port = _text(value, FIELD_LIMIT)
        elif kind == 0x0004 and len(value) == 4:
            bits = int.from_bytes(value, "big")
            neighbour.remote_capabilities = list(dict.fromkeys(
                name for bit, name in CDP_CAPABILITIES if bits & bit))
        elif kind == 0x0005:
            neighbour.remote_software = _text(value, TEXT_LIMIT)
        elif kind == 0x0006:
            neighbour.remote_platform = _text(value, FIELD_LIMIT)
        elif kind == 0x0016 and not neighbour.remote_mgmt_ip:
            neighbour.remote_mgmt_ip = _cdp_ipv4(value)
    return neighbour if neighbour.remote_name else None


def _cdp_tlvs(frame: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    """(type, value) of each CDP TLV; the length counts the 4-octet header, so one below 4
    (or past the end) is damage and ends the walk."""
    while offset + 4 <= len(frame):
        kind = int.from_bytes(frame[offset:offset + 2], "big")
        length = int.from_bytes(frame[offset + 2:offset + 4], "big")
        if length < 4 or offset + length > len(frame):
            return
        yield kind, frame[offset + 4:offset + length]
        offset += length


def _cdp_ipv4(value: bytes) -> str:
    """The first IPv4 address of a CDP address list: a 4-octet count, then per address
    protocol type (1 = NLPID), protocol length, protocol (0xcc = IP), address length,
    address."""
    if len(value) < 4:
        return ""
    count = int.from_bytes(value[:4], "big")
    offset = 4
    for _ in range(min(count, 64)):
        if offset + 2 > len(value):
            return ""
        kind, proto_length = value[offset], value[offset + 1]
        protocol = value[offset + 2:offset + 2 + proto_length]
        offset += 2 + proto_length
        if offset + 2 > len(value):
            return ""
        address_length = int.from_bytes(value[offset:offset + 2], "big")
        address = value[offset + 2:offset + 2 + address_length]
        offset += 2 + address_length
        if len(address) != address_length:
            return ""
        if kind == 1 and protocol == b"\xcc" and address_length == 4:
            return str(ipaddress.IPv4Address(address))
    return ""


def _text(value: bytes, limit: int) -> str:
    """Device text: up to the first NUL (fixed-size buffers), UTF-8 or Latin-1, cleaned."""
    head = value.split(b"\x00", 1)[0]
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        decoded = head.decode("latin-1")
    return clean(decoded, limit).strip()
