"""Liveness of hosts in routed subnets, where ARP cannot reach: ICMP echo plus a
TCP SYN to common management ports. Any echo reply, SYN-ACK or RST from the
address itself means alive.

Two raw IPv4 sockets (one ICMP, one TCP; the kernel writes the IP header) send
hand-built probes at the configured rate and read the replies between sends, as
the ARP sweep does. The echo requests go to every address first, then one TCP
port after another, each only to the addresses still silent: a host that
answered is not asked again, and the router in between has resolved each
address (its ARP) before the SYNs arrive. A retry goes only to the addresses
still silent, right after the pass (their probes are a pass old by then) and
with fewer probes: the echo request plus the ports that some host of this sweep
answered on, the ones this network's filters let through. Only after the last
pass does the sweep wait for late replies: until each silent address had PATIENCE
(0.32 s) since its first probe and a few times the slowest round trip seen since the
last probe (at least FINAL_WAIT, at most `reply_wait`), not at all once everyone
answered. Probes are paced at the configured rate from the first one (no burst):
a router in between resolves each address (ARP glean), which many routers throttle. `rulers`, addresses known to be alive (the router, hosts its ARP table
named), are pinged alongside so that round trip is known even when none of the
swept addresses answers. The kernel answers the SYN-ACKs with a RST (no socket
owns the port), which closes the half-open connection on the host at once.
"""
from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import os
import random
import select
import socket
import struct
import time

from netdoc.discover.collectors.arp import (FINAL_RTT_FACTOR, PATIENCE, SEND_STALL,
                                            SO_TIMESTAMPNS, _arrival)
from netdoc.errors import NetdocError
from netdoc.inventory.merge import Sighting

log = logging.getLogger("netdoc.collectors.liveness")

MANAGEMENT_PORTS = (22, 23, 80, 443, 445, 3389, 8080, 8443, 9100)
ECHO_REQUEST, ECHO_REPLY = 8, 0
SYN, RST, ACK = 0x02, 0x04, 0x10
ICMP = "icmp"  # the probe kind of an echo request; TCP probes are their port number
_ICMP_ECHO = struct.Struct("!BBHHH")  # type code checksum identifier sequence
_TCP_SYN = struct.Struct("!HHIIBBHHH")  # sport dport seq ack offset flags window csum urg
_MSS_OPTION = b"\x02\x04\x05\xb4"  # MSS 1460: some stacks ignore a SYN without options
_PAYLOAD = b"netdoc-liveness"
FINAL_WAIT = 0.05  # the least wait after the last probe (seconds): a WAN's jitter


def liveness_sweep(addresses: list[str], rate: int = 2000, reply_wait: float = 1.5,
                   ports: tuple[int, ...] = MANAGEMENT_PORTS, retries: int = 1,
                   rulers: tuple[str, ...] = ()) -> list[Sighting]:
    """Probe every address (ICMP echo, then TCP SYNs); return who answered, and how."""
    if not addresses:
        return []
    with _ProbeSockets() as sockets:
        sweep = _Sweep(sockets, addresses, rate, reply_wait, ports, rulers)
        for attempt in range(retries + 1):
            if not sweep.silent():
                break
            sweep.run_pass()
            if attempt == retries or not sweep.silent():
                sweep.wait_for_stragglers()
            log.debug("liveness pass %d: %d/%d answered, slowest reply %.1f ms", attempt + 1,
                      len(sweep.found), len(sweep.addresses), sweep.slowest * 1000)
    log.debug("liveness: %d of %d addresses answered", len(sweep.found), len(addresses))
    return [Sighting(ip=ip, source=how)
            for ip, how in sorted(sweep.found.items(),
                                  key=lambda kv: ipaddress.IPv4Address(kv[0]))]


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class _ProbeSockets:
    """A raw ICMP and a raw TCP socket (IPv4, the kernel builds the IP header)."""

    def __init__(self) -> None:
        try:
            self.icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        except PermissionError:
            raise NetdocError("liveness sweep: opening a raw socket was refused; it needs "
                              "root or CAP_NET_RAW") from None
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        for sock in (self.icmp, self.tcp):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.setblocking(False)
            with contextlib.suppress(OSError):  # without stamps, arrival is when we read it
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.ident = (os.getpid() ^ random.getrandbits(16)) & 0xFFFF
        self.sport = random.randint(33000, 60999)  # the TCP source port of every SYN
        self.isn = random.getrandbits(32)  # the SYNs' sequence number; replies ack isn + 1
        self.sources: dict[str, bytes] = {}

    def _source(self, address: str) -> bytes:
        """The address the kernel sends from toward `address` (a UDP connect only looks
        the route up), needed for the TCP checksum's pseudo-header."""
        source = self.sources.get(address)
        if source is None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.connect((address, 9))
                    source = socket.inet_aton(udp.getsockname()[0])
                except OSError:
                    source = b"\0\0\0\0"
            self.sources[address] = source
        return source

    def echo(self, address: str, sequence: int) -> bool:
        header = _ICMP_ECHO.pack(ECHO_REQUEST, 0, 0, self.ident, sequence & 0xFFFF)
        checksum = _checksum(header + _PAYLOAD)
        packet = _ICMP_ECHO.pack(ECHO_REQUEST, 0, checksum, self.ident,
                                 sequence & 0xFFFF) + _PAYLOAD
        return self._send(self.icmp, packet, address)

    def syn(self, address: str, port: int) -> bool:
        source = self._source(address)
        offset = (5 + len(_MSS_OPTION) // 4) << 4
        header = _TCP_SYN.pack(self.sport, port, self.isn, 0, offset, SYN, 1024, 0, 0)
        segment = header + _MSS_OPTION
        pseudo = source + socket.inet_aton(address) + struct.pack("!BBH", 0, socket.IPPROTO_TCP,
                                                                  len(segment))
        checksum = _checksum(pseudo + segment)
        segment = segment[:16] + struct.pack("!H", checksum) + segment[18:]
        return self._send(self.tcp, segment, address)

    @staticmethod
    def _send(sock: socket.socket, packet: bytes, address: str) -> bool:
        for _ in range(50):  # a full transmit queue empties within milliseconds
            try:
                sock.sendto(packet, (address, 0))
                return True
            except (BlockingIOError, InterruptedError):
                time.sleep(0.001)
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    time.sleep(0.001)
                    continue
                if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES,
                                 errno.EPERM, errno.EINVAL):
                    return False  # no route, or refused by the probe's own firewall
                raise NetdocError(f"liveness sweep: sending to {address} failed: {exc}") from None
        return False  # still full: asked again on the next pass

    def replies(self, timeout: float) -> list[tuple[str, str, float]]:
        """(address, how, arrival) of the answers to our probes that arrive within
        `timeout`, and of all those already queued."""
        ready, _, _ = select.select([self.icmp, self.tcp], [], [], max(timeout, 0.0))
        found: list[tuple[str, str, float]] = []
        for sock in ready:
            while True:
                try:
                    packet, ancillary, _, _ = sock.recvmsg(256, socket.CMSG_SPACE(16))
                except (BlockingIOError, InterruptedError):
                    break
                answer = self._icmp_answer(packet) if sock is self.icmp \
                    else self._tcp_answer(packet)
                if answer:
                    found.append((answer[0], answer[1], _arrival(ancillary)))
        return found

    def _icmp_answer(self, packet: bytes) -> tuple[str, str] | None:
        start = (packet[0] & 0x0F) * 4 if packet else 0
        if len(packet) < start + _ICMP_ECHO.size:
            return None
        kind, _, _, ident, _ = _ICMP_ECHO.unpack_from(packet, start)
        if kind != ECHO_REPLY or ident != self.ident:
            return None
        return socket.inet_ntoa(packet[12:16]), ICMP

    def _tcp_answer(self, packet: bytes) -> tuple[str, str] | None:
        start = (packet[0] & 0x0F) * 4 if packet else 0
        if len(packet) < start + 14:
            return None
        sport, dport, _, ack, _, flags = struct.unpack_from("!HHIIBB", packet, start)
        if dport != self.sport or ack != (self.isn + 1) & 0xFFFFFFFF:
            return None
        if flags & RST or (flags & SYN and flags & ACK):
            return socket.inet_ntoa(packet[12:16]), f"tcp {sport}"
        return None

    def __enter__(self) -> "_ProbeSockets":
        return self

    def __exit__(self, *_: object) -> None:
        self.icmp.close()
        self.tcp.close()


class _Sweep:
    """The state of one sweep: what was asked when, who answered, how fast."""

    def __init__(self, sockets: _ProbeSockets, addresses: list[str], rate: int,
                 reply_wait: float, ports: tuple[int, ...], rulers: tuple[str, ...] = ()) -> None:
        self.sockets = sockets
        self.addresses = list(dict.fromkeys(addresses))
        self.wanted = set(self.addresses)
        self.rulers = [r for r in dict.fromkeys(rulers) if r not in self.wanted]
        self.ruler_answered: set[str] = set()
        self.answered_ports: set[str] = set()  # the TCP ports some host answered on
        self.probes: list[str | int] = [ICMP, *dict.fromkeys(ports)]
        self.interval = 1.0 / max(rate, 1)
        self.reply_wait = reply_wait
        self.found: dict[str, str] = {}
        self.sent_at: dict[tuple[str, str], float] = {}  # (address, probe) -> wall clock
        self.asked_again: set[str] = set()
        self.passes = 0
        self.slowest = 0.0
        self.last_sent = 0.0
        self.first_asked: dict[str, float] = {}  # monotonic time of each address's first probe

    def silent(self) -> list[str]:
        return [a for a in self.addresses if a not in self.found]

    def run_pass(self) -> None:
        self.passes += 1
        started = time.monotonic()
        sent = 0
        asked: list[str] = []
        probes = self.probes if self.passes == 1 else \
            [p for p in self.probes if p == ICMP or str(p) in self.answered_ports]
        for ruler in self.rulers if self.passes == 1 else ():
            self.sent_at[(ruler, ICMP)] = time.time()
            self.sockets.echo(ruler, 0xFFFF)
            sent += 1
        for probe in probes:
            for address in self.addresses:
                if address in self.found:
                    continue
                due = started + sent * self.interval
                while (now := time.monotonic()) < due:  # pace the sends; collect meanwhile
                    self._collect(due - now)
                if address in self.found:  # answered while we waited for its turn
                    continue
                if self.passes > 1:
                    self.asked_again.add(address)
                before = time.time()
                self.sent_at[(address, str(probe))] = before
                self.first_asked.setdefault(address, time.monotonic())
                if probe == ICMP:
                    self.sockets.echo(address, len(asked))
                    asked.append(address)
                else:
                    self.sockets.syn(address, int(probe))
                if time.time() - before > SEND_STALL:  # held up: no round-trip sample
                    self.asked_again.add(address)
                sent += 1
        self.last_sent = time.monotonic()
        self._collect(0.0)

    def wait_for_stragglers(self) -> None:
        """Until each silent address had PATIENCE since its first probe and a few round
        trips (FINAL_WAIT at least) since the last probe; at most `reply_wait` after it, and
        all of that while no round trip is known (nothing and no ruler answered)."""
        while len(self.found) < len(self.addresses) and \
                (now := time.monotonic()) < self._deadline():
            self._collect(self._deadline() - now)
        self._collect(0.0)

    def _deadline(self) -> float:
        if not self.slowest:
            return self.last_sent + self.reply_wait
        silent = self.silent()
        patience = max((self.first_asked.get(a, self.last_sent) for a in silent),
                       default=self.last_sent) + PATIENCE
        rtt = self.last_sent + max(FINAL_WAIT, FINAL_RTT_FACTOR * self.slowest)
        return min(max(patience, rtt), self.last_sent + self.reply_wait)

    def _collect(self, timeout: float) -> None:
        for address, how, arrived in self.sockets.replies(timeout):
            probe = ICMP if how == ICMP else how.split()[1]
            if address in self.rulers and address not in self.ruler_answered:
                self.ruler_answered.add(address)
                self.slowest = max(self.slowest, arrived - self.sent_at[(address, ICMP)])
            if address not in self.wanted or address in self.found:
                continue
            self.found[address] = how
            if probe != ICMP:
                self.answered_ports.add(probe)
            sent = self.sent_at.get((address, probe))
            if sent is not None and address not in self.asked_again:  # Karn's rule
                self.slowest = max(self.slowest, arrived - sent)
