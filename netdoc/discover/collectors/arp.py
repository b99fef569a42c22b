"""ARP sweep of the subnets the probe is directly attached to.

One raw layer-2 socket (AF_PACKET) sends the requests at the configured rate and
gathers the replies between sends, so nothing waits for anything else. After a
pass it waits for late replies only as long as this network's own answers
suggest (a few times the slowest round trip seen, at least MIN_REPLY_WAIT, at
most `reply_wait`), and not at all once every address has answered; only the
addresses still silent are asked again. A /24 takes about a second with two
retries; a /16 is 33 s per pass at the default 2,000 requests/s.
"""
from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import logging
import select
import socket
import struct
import subprocess
import time
from dataclasses import dataclass

from netdoc.errors import NetdocError
from netdoc.inventory.merge import Sighting
from netdoc.models import normalise_mac

log = logging.getLogger("netdoc.collectors.arp")


@dataclass(frozen=True)
class Attachment:
    """How the probe reaches a subnet: on which interface, from which address, via whom."""

    interface: str
    source: str
    gateway: str = ""  # empty when the subnet is directly attached

    @property
    def direct(self) -> bool:
        return not self.gateway


def attachment(network: ipaddress.IPv4Network) -> Attachment | None:
    """Ask the kernel's routing table how the probe reaches this subnet (None: no route)."""
    probe = network.network_address + (1 if network.num_addresses > 2 else 0)
    try:
        out = subprocess.run(["ip", "-j", "route", "get", str(probe)], capture_output=True,
                             text=True, timeout=5, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    routes = json.loads(out or "[]")
    if not routes:
        return None
    route = routes[0]
    if route.get("dev") == "lo" or route.get("type") in ("unreachable", "prohibit", "blackhole"):
        return None
    return Attachment(interface=str(route.get("dev", "")), source=str(route.get("prefsrc", "")),
                      gateway=str(route.get("gateway", "")))


def targets(network: ipaddress.IPv4Network,
            exclude: tuple[ipaddress.IPv4Network, ...] = ()) -> list[str]:
    return [str(ip) for ip in network.hosts() if not any(ip in ex for ex in exclude)]


def _source_address(interface: str, toward: str) -> str:
    """The address the kernel would send from on `interface` toward `toward`.

    Connecting a UDP socket only looks the route up; nothing is sent. With no
    usable address the requests go out as ARP probes (sender 0.0.0.0, RFC 5227),
    which hosts answer as well.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
            udp.connect((toward, 9))
            return str(udp.getsockname()[0])
        except OSError:
            return "0.0.0.0"


def arp_sweep(addresses: list[str], interface: str, rate: int = 2000, retries: int = 2,
              reply_wait: float = 1.0) -> list[Sighting]:
    """ARP-request every address on `interface`; return who answered, with their MAC."""
    if not addresses:
        return []
    with _ArpSocket(interface, _source_address(interface, addresses[0])) as sock:
        sweep = _Sweep(sock, addresses, rate, reply_wait)
        for attempt in range(retries + 1):
            pending = sweep.silent()
            if not pending:
                break
            sweep.run_pass(pending)
            log.debug("ARP pass %d on %s: %d/%d answered, slowest reply %.1f ms", attempt + 1,
                      interface, len(sweep.found), len(addresses), sweep.slowest * 1000)
    return [Sighting(ip=ip, mac=mac, source="arp-sweep")
            for ip, mac in sorted(sweep.found.items(),
                                  key=lambda kv: ipaddress.IPv4Address(kv[0]))]


ETH_P_ARP = 0x0806
ARP_REQUEST, ARP_REPLY = 1, 2
BROADCAST = b"\xff" * 6
PACKET_OUTGOING = 4  # sll_pkttype of frames we sent ourselves
MIN_FRAME = 60  # Ethernet minimum without FCS; pad so no driver has to
MIN_REPLY_WAIT = 0.25  # never wait less after a pass than this (seconds)
RTT_FACTOR = 4  # wait this many times the slowest round trip seen before giving up
# Linux's SO_TIMESTAMPNS (not exported by Python's socket module): each reply carries the
# kernel's arrival time, so a busy interpreter (another thread importing scapy, say) does
# not pass for a slow network and stretch every wait.
SO_TIMESTAMPNS = 35
_ARP_HEADER = struct.Struct("!HHBBH6s4s6s4s")  # htype ptype hlen plen op sha spa tha tpa


class _ArpSocket:
    """A raw AF_PACKET socket bound to one interface that speaks only ARP."""

    def __init__(self, interface: str, source_ip: str) -> None:
        self.interface = interface
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        except PermissionError:
            raise NetdocError(f"ARP sweep on {interface}: opening a raw socket was refused; "
                              f"ARP needs root or CAP_NET_RAW") from None
        try:
            self.sock.bind((interface, ETH_P_ARP))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        except OSError as exc:
            self.sock.close()
            raise NetdocError(f"ARP sweep on {interface} failed: {exc}; check that the "
                              f"interface exists and is up (ip link show {interface})") from None
        with contextlib.suppress(OSError):  # without stamps, arrival is when we read it
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.mac: bytes = self.sock.getsockname()[4][:6]
        self.source = socket.inet_aton(source_ip)
        self.template = BROADCAST + self.mac + struct.pack("!H", ETH_P_ARP)

    def request(self, address: str) -> None:
        arp = _ARP_HEADER.pack(1, 0x0800, 6, 4, ARP_REQUEST, self.mac, self.source, b"\0" * 6,
                               socket.inet_aton(address))
        frame = (self.template + arp).ljust(MIN_FRAME, b"\0")
        for _ in range(50):  # a full transmit queue empties within milliseconds
            try:
                self.sock.send(frame)
                return
            except (BlockingIOError, InterruptedError):
                time.sleep(0.001)
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    raise NetdocError(f"ARP sweep on {self.interface} failed: {exc}") from None
                time.sleep(0.001)
        # still full: this address is simply asked again on the next pass

    def replies(self, timeout: float) -> list[tuple[str, str, float]]:
        """(ip, mac, arrival time) of the ARP replies that arrive within `timeout`, and of
        all those already queued. Arrival is wall-clock time, as the kernel stamps it."""
        ready, _, _ = select.select([self.sock], [], [], max(timeout, 0.0))
        found: list[tuple[str, str, float]] = []
        while ready:
            try:
                frame, ancillary, _, where = self.sock.recvmsg(128, socket.CMSG_SPACE(16),
                                                               socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            if where[2] == PACKET_OUTGOING or len(frame) < 14 + _ARP_HEADER.size:
                continue
            htype, ptype, hlen, plen, op, sha, spa, _, _ = _ARP_HEADER.unpack_from(frame, 14)
            if (htype, ptype, hlen, plen, op) == (1, 0x0800, 6, 4, ARP_REPLY):
                found.append((socket.inet_ntoa(spa), normalise_mac(sha), _arrival(ancillary)))
        return found

    def __enter__(self) -> "_ArpSocket":
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()


def _arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack_from("qq", data)
            return float(seconds + nanoseconds / 1e9)
    return time.time()  # no kernel stamp: now is the best we know


class _Sweep:
    """The state of one sweep: what was asked when, who answered, how fast."""

    def __init__(self, sock: _ArpSocket, addresses: list[str], rate: int,
                 reply_wait: float) -> None:
        self.sock = sock
        self.addresses = list(dict.fromkeys(addresses))
        self.wanted = set(self.addresses)
        self.interval = 1.0 / max(rate, 1)
        self.reply_wait = reply_wait
        self.found: dict[str, str] = {}
        self.sent_at: dict[str, float] = {}  # wall-clock, like the kernel's arrival stamps
        self.asked_again: set[str] = set()
        self.slowest = 0.0  # the slowest round trip measured so far (seconds)

    def silent(self) -> list[str]:
        return [a for a in self.addresses if a not in self.found]

    def run_pass(self, pending: list[str]) -> None:
        started = time.monotonic()
        for index, address in enumerate(pending):
            due = started + index * self.interval
            while (now := time.monotonic()) < due:  # pace the sends; collect meanwhile
                self._collect(due - now)
            if address in self.sent_at:
                self.asked_again.add(address)
            self.sent_at[address] = time.time()
            self.sock.request(address)
        last_sent = time.monotonic()
        waiting = set(pending) - set(self.found)
        while waiting and (now := time.monotonic()) < last_sent + self._wait():
            self._collect(last_sent + self._wait() - now)
            waiting -= set(self.found)
        self._collect(0.0)  # what queued up while this thread was not running

    def _wait(self) -> float:
        """How long to wait after a pass: nothing answered yet means no idea, so all of it."""
        if not self.found:
            return self.reply_wait
        return min(self.reply_wait, max(MIN_REPLY_WAIT, RTT_FACTOR * self.slowest))

    def _collect(self, timeout: float) -> None:
        for ip, mac, arrived in self.sock.replies(timeout):
            if ip not in self.wanted or ip in self.found or not mac:
                continue
            self.found[ip] = mac
            sent = self.sent_at.get(ip)
            if sent is not None and ip not in self.asked_again:  # Karn: a repeated request's
                self.slowest = max(self.slowest, arrived - sent)  # round trip is ambiguous
