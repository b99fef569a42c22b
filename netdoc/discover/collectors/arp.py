"""ARP sweep of the subnets the probe is directly attached to.

One raw layer-2 socket (AF_PACKET) sends the requests and gathers the replies
between sends, so nothing waits for anything else. The first BURST requests go
out back to back (a /24 in well under a millisecond), then the configured rate
paces them (a token bucket: the average never exceeds it). Only the addresses
still silent are asked again, after a pause of a few of this network's round
trips; a late answer to an earlier pass still counts. After the last pass an
address is given up once it had PATIENCE since its first request and a few round
trips since its last (at most `reply_wait`; all of it while nothing answered),
and not at all once every address has answered. A /24 with two retries takes
about PATIENCE, 0.32 s; a /16 is 33 s per pass at the default 2,000 requests/s.
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
    started = time.monotonic()
    with _ArpSocket(interface, _source_address(interface, addresses[0])) as sock:
        sweep = _Sweep(sock, addresses, rate, reply_wait)
        opened = time.monotonic()
        for attempt in range(retries + 1):
            if attempt:
                sweep.pause_before_retry()
            pending = sweep.silent()
            if not pending:
                break
            sweep.send_pass(pending)
            log.debug("ARP pass %d on %s sent: %d/%d answered so far, slowest reply %.1f ms",
                      attempt + 1, interface, len(sweep.found), len(addresses),
                      sweep.slowest * 1000)
        sweep.wait_for_stragglers()
    log.debug("ARP sweep on %s: %d of %d answered in %.3f s: socket %.3f s, %d requests in %d "
              "pass(es) %.3f s, pauses %.3f s, final wait %.3f s; slowest reply %.2f ms",
              interface, len(sweep.found), len(sweep.addresses), time.monotonic() - started,
              opened - started, sweep.requests, sweep.passes, sweep.spent["send"],
              sweep.spent["pause"], sweep.spent["final"], sweep.slowest * 1000)
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
# An address is given up no sooner than this after its first request: a Wi-Fi client in
# power save hears broadcasts only at the DTIM beacon (102.4 ms x a DTIM period of 1-3, so
# 307.2 ms at worst) and answers within a few milliseconds of it. The retries' requests
# wait for the same beacon, so only the first one's patience matters.
PATIENCE = 0.32
SEND_STALL = 0.002  # a send that took longer than this (seconds) gives no round-trip sample
# The pause before the silent addresses are asked again (seconds): a few round trips, but
# never long: asking again early costs only a duplicate request to a host whose answer is
# on its way, and late answers to an earlier pass count anyway.
RETRY_GAP, RETRY_GAP_MAX = 0.02, 0.1
FINAL_RTT_FACTOR = 2  # after the last request: this many of the slowest round trips seen
# Requests sent back to back before the rate paces them (a token bucket): a /24's first
# pass goes out at once; larger ranges and the retries keep to the configured rate.
BURST = 256
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
        self.send(self.frame(address))

    def frame(self, address: str) -> bytes:
        arp = _ARP_HEADER.pack(1, 0x0800, 6, 4, ARP_REQUEST, self.mac, self.source, b"\0" * 6,
                               socket.inet_aton(address))
        return bytes(self.template + arp).ljust(MIN_FRAME, b"\0")

    def send(self, frame: bytes) -> None:
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
        self.first_asked: dict[str, float] = {}  # monotonic time of each first request
        self.requests = self.passes = 0
        self.spent = {"send": 0.0, "pause": 0.0, "final": 0.0}  # where the time went
        self.theoretical = 0.0  # GCRA: when the next request is due at the average rate
        self.last_sent = time.monotonic()

    def silent(self) -> list[str]:
        return [a for a in self.addresses if a not in self.found]

    def send_pass(self, pending: list[str]) -> None:
        """Ask every pending address once: back to back up to BURST requests, then at the
        configured rate (GCRA: the average never exceeds it), reading replies meanwhile."""
        begun = time.monotonic()
        self.passes += 1
        for address in pending:
            if address in self.found:
                continue  # a late answer to an earlier pass came in meanwhile
            now = time.monotonic()
            due = max(self.theoretical, now) - (BURST - 1) * self.interval
            while (now := time.monotonic()) < due:
                self._collect(due - now)
            self.theoretical = max(self.theoretical, now) + self.interval
            if address in self.sent_at:
                self.asked_again.add(address)
            else:
                self.first_asked[address] = now
            frame = self.sock.frame(address)
            before = time.time()
            self.sock.send(frame)
            if time.time() - before > SEND_STALL:
                # held up (another thread had the interpreter lock): when it left is unknown,
                # so its answer is no round-trip sample
                self.asked_again.add(address)
            self.sent_at[address] = before
            self.requests += 1
        self.last_sent = time.monotonic()
        self._collect(0.0)
        self.spent["send"] += time.monotonic() - begun

    def pause_before_retry(self) -> None:
        """Before asking the silent addresses again: a few of this network's round trips
        (RETRY_GAP to RETRY_GAP_MAX), or MIN_REPLY_WAIT while nothing has answered yet."""
        begun = time.monotonic()
        gap = (min(RETRY_GAP_MAX, max(RETRY_GAP, RTT_FACTOR * self.slowest)) if self.found
               else min(self.reply_wait, MIN_REPLY_WAIT))
        self._wait_until(self.last_sent + gap)
        self.spent["pause"] += time.monotonic() - begun

    def wait_for_stragglers(self) -> None:
        """After the last pass: until each silent address had PATIENCE since its first
        request and FINAL_RTT_FACTOR round trips since its last, at most `reply_wait` after the
        last request; the whole reply wait while nothing has answered at all."""
        begun = time.monotonic()
        silent = self.silent()
        if not self.found:
            self._wait_until(self.last_sent + self.reply_wait)
        elif silent:
            patience = max(self.first_asked.get(a, self.last_sent) for a in silent) + PATIENCE
            rtt = self.last_sent + max(RETRY_GAP, FINAL_RTT_FACTOR * self.slowest)
            self._wait_until(min(max(patience, rtt), self.last_sent + self.reply_wait))
        self.spent["final"] += time.monotonic() - begun

    def _wait_until(self, deadline: float) -> None:
        waiting = set(self.silent())
        while waiting and (now := time.monotonic()) < deadline:
            self._collect(deadline - now)
            waiting -= set(self.found)
        self._collect(0.0)  # what queued up while this thread was not running

    def _collect(self, timeout: float) -> None:
        for ip, mac, arrived in self.sock.replies(timeout):
            if ip not in self.wanted or ip in self.found or not mac:
                continue
            self.found[ip] = mac
            sent = self.sent_at.get(ip)
            if sent is not None and ip not in self.asked_again:  # Karn: a repeated request's
                self.slowest = max(self.slowest, arrived - sent)  # round trip is ambiguous
