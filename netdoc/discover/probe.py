"""First contact over SNMP: which hosts have an agent worth a full poll.

Most addresses a sweep finds are endpoints, and many of them drop SNMP silently
(a firewall's DROP: Windows' default). Polling each one with every credential set
× timeout × retries costs seconds per host for nothing. So a host the site has not
seen answer before gets one short first contact instead, sent all at once:

- an SNMPv3 engine-ID discovery (RFC 3414 4: an unauthenticated, reportable empty
  GET). Any v3 agent answers it with a Report that names its engine, without any
  credential, so it proves an agent without sending a user or key;
- one GET of sysObjectID and sysDescr with the first v1/v2c community to try.

No retries, and a short timeout (`discovery.snmp.probe_timeout`). An ICMP port
unreachable ends it at once (nothing listens). Only when that round met silence
are the site's other communities asked, one GET each, together: an agent that
answered the first community never sees a wrong one, so the first contact adds
no authentication failures beyond what a sequential poll would cause.

Only hosts that answered anything get the full poll (with the normal timeout and
retries), their answering credential set first. A host that answers the v3
discovery but none of the communities, with no v3 set to try, is an agent the
site's credentials do not open: no poll (it would only run into timeouts).

The decision per host is remembered in the client's folder (REACH_FILE): a host
that was silent last run gets a single round with all communities at once (it
had no agent to annoy), so one that began answering is noticed the same run; a
host that answered is polled directly next time, without a first contact.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netdoc.config import CredentialSet
from netdoc.discover.snmp import ber
from netdoc.workspace import SNMP_REACH

log = logging.getLogger("netdoc.discover.probe")

REACH_FILE = SNMP_REACH  # per host: what the last first contact found (state, not git)
SYSTEM_OIDS = ("1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.1.0")  # sysObjectID, sysDescr
V3_GRACE_FACTOR = 4  # after a v3 Report, wait this many of its round trips for a community
V3_GRACE_MIN = 0.05  # ... and at least this long (seconds)
PROBE_CONCURRENCY = 256  # hosts in first contact at once (one UDP socket each)
FORGET_AFTER_DAYS = 90  # a host not met for this long leaves snmp-reach.json

# verdicts
COMMUNITY = "community"  # a v1/v2c community answered: poll with it first
V3 = "v3"  # only the SNMPv3 engine discovery answered: poll with the v3 sets first
NO_CREDENTIAL = "no-credential"  # an agent (v3 Report) that none of the site's sets open
CLOSED = "closed"  # ICMP port unreachable: nothing listens on the port
SILENT = "silent"  # nothing at all within the probe timeout
POLLED = "polled"  # remembered: the full poll worked; next run polls without first contact
_ANSWERED = (COMMUNITY, V3)


@dataclass
class Reach:
    """What the first contact with one host found."""

    host: str
    verdict: str
    credential: str = ""  # the set whose community answered (verdict COMMUNITY)
    seconds: float = 0.0
    rounds: int = 0  # request rounds sent (1, or 2 when the other communities were asked)

    @property
    def answered(self) -> bool:
        return self.verdict in _ANSWERED

    def order(self, sets: list[CredentialSet]) -> list[CredentialSet]:
        """The credential sets for the full poll: the one that answered first; after a v3
        Report only, the v3 sets first (a community that was silent is tried last)."""
        if self.verdict == COMMUNITY:
            return sorted(sets, key=lambda s: s.name != self.credential)
        if self.verdict == V3:
            return sorted(sets, key=lambda s: not _is_v3(s))
        return list(sets)


def _is_v3(credential: CredentialSet) -> bool:
    return credential.snmp is not None and credential.snmp.version == "3"


def _communities(sets: list[CredentialSet]) -> list[CredentialSet]:
    return [s for s in sets if s.snmp is not None and s.snmp.version in ("1", "2c")
            and s.snmp.community is not None]


class _Probe(asyncio.DatagramProtocol):
    """One connected UDP socket to one host; replies matched by message/request id."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.expected: dict[int, str] = {}  # id -> what it asked ("v3" or a set's name)
        self.heard: dict[str, float] = {}  # what answered -> when (monotonic)
        self.sent: dict[str, float] = {}  # what was asked -> when
        self.closed = False
        self.changed = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            what = self.expected.get(ber.peek_message_id(data))
        except ber.BerError:
            return  # not SNMP we can read: not an answer to go on
        if what is None or what in self.heard:
            return
        if what == V3:
            try:
                reply = ber.decode_v3_message(data)
            except ber.BerError:
                return
            if not reply.usm.engine_id:
                return
        self.heard[what] = time.monotonic()
        self.changed.set()

    def error_received(self, exc: Exception) -> None:
        self.closed = True  # ICMP port/host unreachable on a connected socket
        self.changed.set()

    def send(self, what: str, ident: int, message: bytes) -> None:
        self.expected[ident] = what
        self.sent[what] = time.monotonic()
        assert self.transport is not None
        self.transport.sendto(message)


_ids = itertools.count(random.randint(1, 2**30))


def _next_id() -> int:
    return next(_ids) % (2**31 - 1) + 1


def _engine_discovery() -> tuple[int, bytes]:
    msg_id = _next_id()
    scoped = ber.encode_scoped_pdu(b"", b"", ber.encode_request_pdu(ber.GET, _next_id(), []))
    message, _ = ber.encode_v3_message(msg_id, ber.FLAG_REPORTABLE,
                                       ber.UsmParameters(b"", 0, 0, b""), scoped)
    return msg_id, message


def _system_get(credential: CredentialSet) -> tuple[int, bytes]:
    assert credential.snmp is not None and credential.snmp.community is not None
    request_id = _next_id()
    version = ber.VERSION_1 if credential.snmp.version == "1" else ber.VERSION_2C
    pdu = ber.encode_request_pdu(ber.GET, request_id, SYSTEM_OIDS)
    return request_id, ber.encode_community_message(
        version, credential.snmp.community.reveal().encode(), pdu)


async def first_contact(host: str, port: int, sets: list[CredentialSet], timeout: float,
                        was_silent: bool = False) -> Reach:
    """One short round (v3 engine discovery + the first community's GET; all communities
    at once when the host was silent last run), a second round with the other communities
    only after silence. Never raises for network trouble: that is a verdict."""
    started = time.monotonic()
    communities = _communities(sets)
    loop = asyncio.get_running_loop()
    probe = _Probe()
    try:
        await loop.create_datagram_endpoint(lambda: probe, remote_addr=(host, port))
    except OSError as exc:
        log.debug("first contact with %s: %s", host, exc)
        return Reach(host, CLOSED, seconds=time.monotonic() - started)
    try:
        first = communities if was_silent else communities[:1]
        rounds = [first, communities[len(first):]]
        reach = Reach(host, SILENT)
        for number, asked in enumerate(rounds, 1):
            if number > 1 and (not asked or probe.closed or communities_heard(probe, communities)
                               or (V3 in probe.heard and any(_is_v3(s) for s in sets))):
                break
            reach.rounds = number
            sent = time.monotonic()
            if number == 1:
                probe.send(V3, *_engine_discovery())
            for credential in asked:
                probe.send(credential.name, *_system_get(credential))
            names = {c.name for c in asked}
            await _wait(probe, names, sent, timeout)
        answered = [c.name for c in communities if c.name in probe.heard]
        if answered:
            reach.verdict, reach.credential = COMMUNITY, answered[0]
        elif V3 in probe.heard:
            reach.verdict = V3 if any(_is_v3(s) for s in sets) else NO_CREDENTIAL
        elif probe.closed:
            reach.verdict = CLOSED
        reach.seconds = round(time.monotonic() - started, 3)
        return reach
    finally:
        assert probe.transport is not None
        probe.transport.close()


def communities_heard(probe: _Probe, sets: list[CredentialSet]) -> bool:
    return any(c.name in probe.heard for c in sets)


async def _wait(probe: _Probe, communities: set[str], sent: float, timeout: float) -> None:
    """Until a community answered, the port is closed, or the timeout; once the v3 Report
    is in, the communities get a few of its round trips more, not the whole timeout."""
    deadline = sent + timeout
    while not probe.closed and not communities & set(probe.heard):
        if V3 in probe.heard:
            if not communities:
                return
            grace = max(V3_GRACE_MIN, V3_GRACE_FACTOR * (probe.heard[V3] - probe.sent[V3]))
            deadline = min(deadline, max(sent, probe.heard[V3]) + grace)
        left = deadline - time.monotonic()
        if left <= 0:
            return
        probe.changed.clear()
        try:
            await asyncio.wait_for(probe.changed.wait(), left)
        except asyncio.TimeoutError:
            return


# ---------------------------------------------------------------- what is remembered

class ReachBook:
    """The per-host decisions of the last runs (inventory/<client>/snmp-reach.json)."""

    def __init__(self, entries: dict[str, Any] | None = None) -> None:
        self.entries: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in (entries or {}).items() if isinstance(v, dict)}

    @classmethod
    def load(cls, folder: Path) -> ReachBook:
        from netdoc.errors import NetdocError
        from netdoc.fsutil import read_json

        try:
            data = read_json(folder / REACH_FILE, {}) or {}
        except NetdocError as exc:  # only an optimisation: every host gets first contact
            log.warning("%s; every host gets a first contact this run", exc)
            data = {}
        return cls(data if isinstance(data, dict) else {})

    def save(self, folder: Path) -> None:
        """Write the decisions; a host not seen for FORGET_AFTER_DAYS is forgotten."""
        from netdoc.fsutil import atomic_write, stable_json

        cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime(time.time() - FORGET_AFTER_DAYS * 86400))
        kept = {host: entry for host, entry in self.entries.items()
                if str(entry.get("seen", "")) >= cutoff}
        atomic_write(folder / REACH_FILE, stable_json(kept))

    def was_silent(self, host: str) -> bool:
        return self.entries.get(host, {}).get("verdict") in (SILENT, CLOSED, NO_CREDENTIAL)

    def polled(self, host: str) -> bool:
        return bool(self.entries.get(host, {}).get("verdict") == POLLED)

    def note(self, host: str, verdict: str) -> None:
        """Record this run's decision; `quiet_runs` counts the runs in a row without one."""
        before = self.entries.get(host, {})
        quiet = before.get("quiet_runs", 0) + 1 if verdict in (SILENT, CLOSED, NO_CREDENTIAL) \
            else 0
        self.entries[host] = {"verdict": verdict, "quiet_runs": int(quiet),
                              "seen": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
