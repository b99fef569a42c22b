"""The live side of the SNMP seam: one agent, over UDP, asyncio.

All of it is netdoc's own code (see docs/snmp-backend.md for why): the BER
codec (netdoc.discover.snmp.ber), SNMPv3 USM on the `cryptography` primitives
(netdoc.discover.snmp.usm), the UDP endpoint, retries, the per-device time budget,
GETBULK walks that stop on loops, SNMPv3 engine discovery and reading Report
PDUs, so that each failure comes back as a netdoc error a technician can act on.
"""
from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass
from typing import Any, Sequence

from netdoc.config import SnmpCredential, SnmpSettings
from netdoc.errors import (SnmpAuthError, SnmpBudgetSpent, SnmpError, SnmpPortClosed,
                           SnmpPrivacyError, SnmpTimeout, SnmpWrongDigest)
from netdoc.discover.snmp import ber, usm
from netdoc.discover.snmp.values import SnmpValue, VarBind, is_under, oid_key

# error-status values we act on (RFC 3416)
TOO_BIG, NO_SUCH_NAME = 1, 2
MAX_WALK_VALUES = 500_000  # a sane table never gets near this; a runaway agent does
DEFAULT_CONCURRENCY = 4  # requests in flight per device
SMALL_BULK = 5  # max-repetitions after a GETBULK went unanswered

_REQUEST_TAGS = {"get": ber.GET, "next": ber.GET_NEXT, "bulk": ber.GET_BULK}
NOT_IN_TIME_WINDOW = "1.3.6.1.6.3.15.1.1.2.0"

# usmStats / snmp*Contexts counters an agent names in a Report PDU, and what they mean
_REPORTS: dict[str, tuple[type[SnmpError], str]] = {
    "1.3.6.1.6.3.15.1.1.1.0": (SnmpAuthError, "security level not supported for this user "
                                              "(agent says unsupportedSecLevels): check auth/priv "
                                              "settings against the device"),
    "1.3.6.1.6.3.15.1.1.2.0": (SnmpAuthError, "not in time window (clock of the engine moved); "
                                              "retry"),
    "1.3.6.1.6.3.15.1.1.3.0": (SnmpAuthError, "unknown user name: the agent has no SNMPv3 user "
                                              "{user!r}"),
    "1.3.6.1.6.3.15.1.1.4.0": (SnmpAuthError, "unknown engine ID"),
    "1.3.6.1.6.3.15.1.1.5.0": (SnmpWrongDigest, "wrong digest: the auth key or auth protocol "
                                              "({auth}) of user {user!r} is wrong"),
    "1.3.6.1.6.3.15.1.1.6.0": (SnmpAuthError, "decryption error: the privacy key or privacy "
                                              "protocol ({priv}) of user {user!r} is wrong"),
    "1.3.6.1.6.3.12.1.4.0": (SnmpError, "unavailable context {context!r}"),
    "1.3.6.1.6.3.12.1.5.0": (SnmpError, "unknown context {context!r}"),
}

_STATUS = {1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr",
           6: "noAccess", 16: "authorizationError: this user or community may not read it "
                              "(check the agent's access/view settings)"}


MAX_OUT_OF_ORDER = 10_000  # non-increasing OIDs stepped over in one walk before it is cut


class WalkGuard:
    """How a walk steps over OIDs that do not increase, the way net-snmp's `snmpwalk -Cc` does.

    Some agents return a table out of order (ipAddrTable in hash order is the classic):
    a strict walk would stop at the first OID lower than the one before and lose the
    rest. The walk goes on from whatever OID the agent returned instead, with a loop
    guard: an OID seen before in this walk (the agent went round in a circle) or more
    than MAX_OUT_OF_ORDER non-increasing steps ends the walk, and `stopped` says why.
    Both the live client and the recorded transport walk through this one class.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.rows: list[VarBind] = []
        self.seen: set[str] = set()
        self.out_of_order = 0
        self.stopped = ""  # why the walk was cut short ("" when it ended normally)
        self._last: tuple[int, ...] = ()

    def take(self, oid: str, value: SnmpValue | None) -> bool:
        """Record one varbind; False when the walk must not ask for more."""
        if oid in self.seen:
            self.stopped = (f"walk of {self.root}: agent returned {oid} again, a loop "
                            f"(OIDs not increasing; walk stopped after {len(self.rows)} values)")
            return False
        key = oid_key(oid)
        if self._last and key <= self._last:
            self.out_of_order += 1
            if self.out_of_order > MAX_OUT_OF_ORDER:
                self.stopped = (f"walk of {self.root}: more than {MAX_OUT_OF_ORDER} OIDs out "
                                f"of order (OIDs not increasing; walk stopped after "
                                f"{len(self.rows)} values)")
                return False
        self.seen.add(oid)
        self._last = key
        if value is not None:
            self.rows.append((oid, value))
        if len(self.rows) > MAX_WALK_VALUES:
            self.stopped = (f"walk of {self.root} passed {MAX_WALK_VALUES} values without "
                            f"ending; stopped")
            return False
        return True

    def result(self) -> list[VarBind]:
        """The rows in OID order (an out-of-order agent's rows sorted, as a table is)."""
        if self.out_of_order:
            self.rows.sort(key=lambda row: oid_key(row[0]))
        return self.rows


def _status_name(status: int) -> str:
    return f"error-status {status} ({_STATUS.get(status, 'unknown')})"


@dataclass
class _Pdu:
    error_status: int
    error_index: int
    varbinds: list[ber.RawVarBind]  # (oid, tag, plain value or None)


class SnmpWalkError(SnmpError):
    """A walk stopped early (loop, bad data, budget); `partial` holds what was read."""

    def __init__(self, host: str, message: str, partial: list[VarBind]) -> None:
        super().__init__(host, message)
        self.partial = partial


class SnmpWalkTimeout(SnmpTimeout):
    """The agent fell silent (or the budget ran out) during a walk; `partial` holds what
    was read before."""

    def __init__(self, host: str, message: str, partial: list[VarBind]) -> None:
        super().__init__(host, message)
        self.partial = partial


# ---------------------------------------------------------------- UDP endpoint

class _Endpoint(asyncio.DatagramProtocol):
    """A connected UDP socket that hands each datagram to the request it answers."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiters: dict[int, asyncio.Future[bytes]] = {}
        self.unreachable: OSError | None = None
        self.garbage = 0  # datagrams that were not SNMP we could read (malformed replies)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            correlation = ber.peek_message_id(data)
        except ber.BerError:
            # Names no request, so no waiter can take it; counted, so that a request
            # that then times out can say the agent answered garbage, not nothing.
            self.garbage += 1
            return
        waiter = self.waiters.pop(correlation, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port/host unreachable on a connected socket: no answer will come.
        self.unreachable = exc if isinstance(exc, OSError) else OSError(str(exc))
        for waiter in self.waiters.values():
            if not waiter.done():
                waiter.set_exception(self.unreachable)
        self.waiters.clear()


def _expire(waiter: asyncio.Future[bytes]) -> None:
    if not waiter.done():
        waiter.set_exception(asyncio.TimeoutError())


class _Session:
    """What all views of one device share: socket, budget, in-flight limit."""

    def __init__(self, host: str, port: int, settings: SnmpSettings, deadline: float,
                 concurrency: int) -> None:
        self.host, self.port, self.settings, self.deadline = host, port, settings, deadline
        self.endpoint = _Endpoint()
        self.limit = asyncio.Semaphore(concurrency)
        self.ids = itertools.count(random.randint(1, 2**30))

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}" if self.port != 161 else self.host

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: self.endpoint,
                                                remote_addr=(self.host, self.port))
        except OSError as exc:
            raise SnmpTimeout(self.where, f"cannot reach {self.where} over UDP: {exc}") from None

    def close(self) -> None:
        if self.endpoint.transport is not None:
            self.endpoint.transport.close()

    def next_id(self) -> int:
        return next(self.ids) % (2**31 - 1) + 1

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    async def exchange(self, correlation: int, message: bytes, what: str) -> bytes:
        """Send, wait, resend up to `retries` times; raise SnmpTimeout on silence."""
        settings = self.settings
        garbage_before = self.endpoint.garbage
        async with self.limit:
            for _attempt in range(settings.retries + 1):
                wait = min(settings.timeout, self.remaining())
                if wait <= 0:
                    raise SnmpBudgetSpent(self.host, f"device time budget of "
                                                     f"{settings.device_budget:g} s used up ({what})",
                                          budget=settings.device_budget)
                loop = asyncio.get_running_loop()
                waiter = loop.create_future()
                self.endpoint.waiters[correlation] = waiter
                # a timer on the future itself: cheaper than asyncio.wait_for, once per request
                timer = loop.call_later(wait, _expire, waiter)
                try:
                    assert self.endpoint.transport is not None
                    self.endpoint.transport.sendto(message)
                    answer: bytes = await waiter
                    return answer
                except asyncio.TimeoutError:
                    continue
                except OSError as exc:
                    raise SnmpPortClosed(self.host, f"no SNMP agent at {self.where}: "
                                                    f"{exc.strerror or exc} (nothing listens on "
                                                    f"UDP {self.port})", port=self.port) from None
                finally:
                    timer.cancel()
                    self.endpoint.waiters.pop(correlation, None)
        if self.remaining() <= 0.001:  # the last wait was cut short by the budget
            raise SnmpBudgetSpent(self.host, f"device time budget of {settings.device_budget:g} "
                                             f"s used up ({what})", budget=settings.device_budget)
        if self.endpoint.garbage > garbage_before:
            raise SnmpError(self.host, f"{self.where} answered {what} with a malformed message "
                                       f"(not decodable SNMP; a buggy agent or firmware)")
        tries = settings.retries + 1
        raise SnmpTimeout(self.host, f"no answer from {self.where} to {what} "
                                     f"({tries} tr{'y' if tries == 1 else 'ies'} of "
                                     f"{settings.timeout:g} s)")


# ---------------------------------------------------------------- security models

class _Community:
    """SNMP v1/v2c: a community string, no handshake."""

    def __init__(self, version: str, community: str) -> None:
        self.version, self.community = version, community
        self.version_field = ber.VERSION_1 if version == "1" else ber.VERSION_2C
        self.community_bytes = community.encode()

    async def prepare(self, session: _Session) -> None:
        return None

    async def explain_silence(self, session: _Session) -> str | SnmpAuthError:
        return "host down, SNMP off or wrong community"

    def request(self, session: _Session, kind: str, oids: list[str],
                max_repetitions: int) -> tuple[int, bytes]:
        request_id = session.next_id()
        pdu = ber.encode_request_pdu(_REQUEST_TAGS[kind], request_id, oids,
                                     max_repetitions=max_repetitions if kind == "bulk" else 0)
        return request_id, ber.encode_community_message(self.version_field,
                                                        self.community_bytes, pdu)

    def decode(self, session: _Session, data: bytes) -> _Pdu:
        return _response(ber.decode_community_message(data).pdu)

    def for_vlan(self, vlan: int) -> _Community:
        # Cisco's community string indexing: the bridge tables of VLAN n live under "community@n"
        return _Community(self.version, f"{self.community}@{vlan}")


class _Usm:
    """SNMPv3 user-based security: engine discovery, keys, reports."""

    def __init__(self, credential: SnmpCredential, host: str, context: str = "",
                 shared: dict[str, Any] | None = None) -> None:
        self.credential = credential
        self.host = host
        self.user = credential.user
        self.auth = credential.auth or ""
        if self.auth and self.auth not in usm.AUTH_PROTOCOLS:
            raise SnmpError(host, f"SNMPv3 auth protocol {self.auth!r} is not supported by "
                                  f"netdoc's SNMP engine; use one of "
                                  f"{', '.join(usm.AUTH_PROTOCOLS)}")
        self.priv = credential.priv or ""
        if self.priv and self.priv not in usm.PRIV_PROTOCOLS:
            raise SnmpError(host, f"SNMPv3 privacy protocol {self.priv!r} is not supported "
                                  f"by netdoc's SNMP engine; use one of "
                                  f"{', '.join(usm.PRIV_PROTOCOLS)}")
        self.context = context
        # engine state and keys are per agent, shared by every context view
        self.state: dict[str, Any] = shared if shared is not None else {}

    async def explain_silence(self, session: _Session) -> str | SnmpAuthError:
        """Silence after a good engine discovery: is it our privacy key?

        Returns why the agent may be silent: a text, or the error that names the culprit
        (SnmpPrivacyError when the privacy key is wrong, SnmpWrongDigest for the auth key).

        net-snmp drops a request it cannot decrypt without a report, so ask the
        same question authenticated but unencrypted: an answer (even a refusal)
        proves user and auth key right and the agent alive, leaving the privacy
        key or protocol as the culprit.
        """
        if not self.priv or "engine_id" not in self.state:
            return "host down or SNMP off"
        plain = SnmpCredential(version="3", user=self.user, auth=self.credential.auth,
                               auth_key=self.credential.auth_key)
        probe = _Usm(plain, self.host, self.context, dict(self.state))
        correlation, message = probe.request(session, "get", ["1.3.6.1.2.1.1.5.0"], 0)
        try:
            data = await session.exchange(correlation, message, "authNoPriv probe")
            probe.decode(session, data)
        except SnmpTimeout:
            return "host down or SNMP off"
        except SnmpWrongDigest as exc:
            return exc
        except SnmpError:
            pass
        return SnmpPrivacyError(session.host, f"SNMPv3 refused by {session.where}: the agent"
                                f" answers user {self.user!r} when not encrypted but ignores "
                                f"encrypted requests: the privacy key or privacy protocol "
                                f"({self.credential.priv}) is wrong")

    async def prepare(self, session: _Session) -> None:
        if "engine_id" in self.state:
            return
        msg_id = session.next_id()
        # RFC 3414 4: a reportable, unauthenticated empty GET makes the agent name its engine
        scoped = ber.encode_scoped_pdu(b"", b"", ber.encode_request_pdu(ber.GET, session.next_id(),
                                                                       []))
        probe, _ = ber.encode_v3_message(msg_id, ber.FLAG_REPORTABLE,
                                         ber.UsmParameters(b"", 0, 0, b""), scoped)
        data = await session.exchange(msg_id, probe, "SNMPv3 engine discovery")
        try:
            reply = ber.decode_v3_message(data)
        except ber.BerError as exc:
            raise SnmpError(session.host, f"malformed SNMPv3 discovery reply: {exc.reason}") \
                from None
        if not reply.usm.engine_id:
            raise SnmpError(session.host, f"{session.where} answered SNMPv3 engine discovery "
                                          f"without an engine ID")
        self._learn_time(reply.usm)
        self.state["engine_id"] = reply.usm.engine_id
        auth_key = self.credential.auth_key.reveal() if self.credential.auth_key else ""
        priv_key = self.credential.priv_key.reveal() if self.credential.priv_key else ""
        try:
            self.state["keys"] = usm.UsmKeys.for_engine(reply.usm.engine_id, self.auth, auth_key,
                                                        self.priv, priv_key)
        except usm.UsmError as exc:
            raise SnmpAuthError(session.host, f"SNMPv3 user {self.user!r}: {exc.reason}") \
                from None

    def _learn_time(self, params: ber.UsmParameters) -> None:
        self.state["boots"] = params.engine_boots
        self.state["time"] = params.engine_time
        self.state["learned_at"] = time.monotonic()

    def _engine_time(self) -> int:
        return int(self.state["time"] + time.monotonic() - self.state["learned_at"])

    def request(self, session: _Session, kind: str, oids: list[str],
                max_repetitions: int) -> tuple[int, bytes]:
        msg_id, request_id = session.next_id(), session.next_id()
        keys: usm.UsmKeys = self.state["keys"]
        engine_id, boots, engine_time = self.state["engine_id"], self.state["boots"], \
            self._engine_time()
        pdu = ber.encode_request_pdu(_REQUEST_TAGS[kind], request_id, oids,
                                     max_repetitions=max_repetitions if kind == "bulk" else 0)
        scoped = ber.encode_scoped_pdu(engine_id, self.context.encode(), pdu)
        flags, salt = ber.FLAG_REPORTABLE, b""
        if self.auth:
            flags |= ber.FLAG_AUTH
        if self.priv:
            flags |= ber.FLAG_PRIV
            scoped, salt = keys.encrypt(scoped, boots, engine_time)
        params = ber.UsmParameters(engine_id, boots, engine_time, self.user.encode(), b"", salt)
        message, offset = ber.encode_v3_message(msg_id, flags, params, scoped,
                                                auth_length=keys.mac_length if self.auth else 0)
        return msg_id, keys.sign(message, offset) if self.auth else message

    def decode(self, session: _Session, data: bytes) -> _Pdu:
        try:
            reply = ber.decode_v3_message(data)
        except ber.BerError as exc:
            raise SnmpError(session.host, f"malformed SNMPv3 message from the agent: "
                                          f"{exc.reason}") from None
        scoped = reply.scoped_pdu
        if scoped is not None and scoped.pdu.tag == ber.REPORT:
            report = scoped.pdu.varbinds[0][0] if scoped.pdu.varbinds else ""
            if report == NOT_IN_TIME_WINDOW:
                self._learn_time(reply.usm)
                raise _RetryNow()
            raise self._report_error(session, report)
        keys: usm.UsmKeys = self.state["keys"]
        if self.auth:
            if not reply.authenticated or not keys.verify(data, reply.auth_params_offset,
                                                          reply.usm.auth_params):
                raise SnmpAuthError(session.host, f"cannot verify the agent's reply for user "
                                                  f"{self.user!r} (digest missing or wrong): "
                                                  f"check the auth key and protocol "
                                                  f"({self.auth})")
            self._learn_time_if_newer(reply.usm)
        if self.priv:
            scoped = self._decrypt(session, reply)
        if scoped is None:
            raise SnmpError(session.host, "the agent sent an encrypted reply to an unencrypted "
                                          "request")
        return _response(scoped.pdu)

    def _decrypt(self, session: _Session, reply: ber.V3Message) -> ber.ScopedPdu:
        if not reply.encrypted:
            raise SnmpAuthError(session.host, f"the agent answered user {self.user!r} without "
                                              f"encryption although privacy was requested")
        keys: usm.UsmKeys = self.state["keys"]
        try:
            # The IV of an encrypted reply uses the boots/time in *its* header (RFC 3826 3.1.2.1)
            plaintext = keys.decrypt(reply.encrypted_pdu, reply.usm.priv_params,
                                     reply.usm.engine_boots, reply.usm.engine_time)
            return ber.decode_scoped_pdu(plaintext, padded=True)
        except (usm.UsmError, ber.BerError) as exc:
            raise SnmpAuthError(session.host, f"cannot decrypt the agent's reply for user "
                                              f"{self.user!r} ({exc.reason}): check the privacy "
                                              f"key and protocol ({self.priv})") from None

    def _learn_time_if_newer(self, params: ber.UsmParameters) -> None:
        """RFC 3414 3.2.7 b: an authentic reply from a later moment resets our clock estimate."""
        if (params.engine_boots, params.engine_time) > (self.state["boots"], self.state["time"]):
            self._learn_time(params)

    def _report_error(self, session: _Session, oid: str) -> SnmpError:
        cls, template = _REPORTS.get(oid, (SnmpError, f"agent sent report {oid}"))
        message = template.format(user=self.user, auth=self.credential.auth or "none",
                                  priv=self.credential.priv or "none", context=self.context)
        return cls(session.host, f"SNMPv3 refused by {session.where}: {message}")

    def for_vlan(self, vlan: int) -> _Usm:
        # SNMPv3 reaches a VLAN's bridge tables through the context "vlan-<n>"
        return _Usm(self.credential, self.host, context=f"vlan-{vlan}", shared=self.state)


def _response(pdu: ber.Pdu) -> _Pdu:
    if pdu.tag != ber.RESPONSE:
        raise ber.BerError(f"expected a Response PDU, got {pdu.name}")
    return _Pdu(pdu.error_status, pdu.error_index, pdu.varbinds)


class _RetryNow(Exception):
    """The agent resynchronised our clock (notInTimeWindow): send again at once."""


# ---------------------------------------------------------------- the client

class SnmpClient:
    """The live SNMP transport for one device. Use `open_client()` to get one."""

    def __init__(self, session: _Session, security: _Community | _Usm) -> None:
        self._session = session
        self._security = security
        self.host = session.host
        self.max_repetitions = session.settings.max_repetitions

    @property
    def version(self) -> str:
        return self._security.version if isinstance(self._security, _Community) else "3"

    async def _call(self, kind: str, oids: list[str], max_repetitions: int = 0) -> _Pdu:
        session, security = self._session, self._security
        what = f"{'GET' if kind == 'get' else 'GETNEXT' if kind == 'next' else 'GETBULK'} " \
               f"{oids[0]}{' ...' if len(oids) > 1 else ''}"
        for _ in range(3):  # at most two clock resynchronisations
            try:
                correlation, message = security.request(session, kind, oids, max_repetitions)
            except ber.BerError as exc:  # e.g. a caller's OID that is not numeric
                raise SnmpError(self.host, f"cannot send {what}: {exc.reason}") from None
            try:
                data = await session.exchange(correlation, message, what)
            except (SnmpBudgetSpent, SnmpPortClosed):
                raise
            except SnmpTimeout as exc:
                why = await security.explain_silence(session)
                if isinstance(why, SnmpPrivacyError):
                    raise why from None
                raise SnmpTimeout(self.host, f"{exc.reason}: "
                                             f"{why if isinstance(why, str) else why.reason}") \
                    from None
            try:
                return security.decode(session, data)
            except _RetryNow:
                continue
            except ber.BerError as exc:
                raise SnmpError(self.host, f"{session.where} answered {what} with a malformed "
                                           f"message: {exc.reason}") from None
        raise SnmpAuthError(self.host, "SNMPv3 clock never synchronised (notInTimeWindow)")

    async def get(self, oids: Sequence[str]) -> dict[str, SnmpValue]:
        """GET scalars; the ones the agent does not have are absent from the result."""
        wanted = list(oids)
        found: dict[str, SnmpValue] = {}
        while wanted:
            pdu = await self._call("get", wanted)
            if pdu.error_status == NO_SUCH_NAME and 0 < pdu.error_index <= len(wanted):
                del wanted[pdu.error_index - 1]  # SNMPv1 fails the whole PDU for one name
                continue
            if pdu.error_status:
                raise SnmpError(self.host, f"agent answered GET with "
                                           f"{_status_name(pdu.error_status)}")
            for oid, _tag, value in pdu.varbinds:
                if value is not None:  # NULL, noSuchObject, noSuchInstance: absent
                    found[oid] = value
            break
        return found

    async def walk(self, root: str) -> list[VarBind]:
        """Every value under `root`, in OID order.

        OIDs that do not increase are stepped over (WalkGuard, like `snmpwalk -Cc`); a
        loop, garbage or an error status ends the walk with SnmpWalkError holding what was
        read (`partial`). A GETBULK that goes unanswered is asked again once for
        SMALL_BULK rows (a big reply lost in fragments, an agent too busy for it); silence
        after that raises SnmpWalkTimeout, with `partial` too.
        """
        root = root.strip(".")
        guard = WalkGuard(root)
        current = root
        repetitions = self.max_repetitions
        while True:
            try:
                if self.version == "1":
                    pdu = await self._call("next", [current])
                else:
                    pdu = await self._call("bulk", [current], repetitions)
            except SnmpTimeout as exc:
                if repetitions > SMALL_BULK and \
                        not isinstance(exc, (SnmpBudgetSpent, SnmpPortClosed)):
                    # a large GETBULK reply can be lost (fragments dropped on the way) or be
                    # too much for a busy agent: ask again for a few rows at a time, and
                    # keep to that for the rest of this device's walks
                    repetitions = self.max_repetitions = SMALL_BULK
                    continue
                raise SnmpWalkTimeout(self.host, exc.reason, guard.result()) from None
            except SnmpError as exc:
                if guard.rows:
                    raise SnmpWalkError(self.host, f"walk of {root} stopped after "
                                                   f"{len(guard.rows)} values: {exc.reason}",
                                        guard.result()) from None
                raise
            if pdu.error_status == TOO_BIG and repetitions > 1:
                repetitions = max(1, repetitions // 2)
                continue
            if pdu.error_status == NO_SUCH_NAME or not pdu.varbinds:
                return guard.result()  # SNMPv1 end of MIB
            if pdu.error_status:
                raise SnmpWalkError(self.host, f"walk of {root}: agent answered with "
                                               f"{_status_name(pdu.error_status)}", guard.result())
            for oid, tag, value in pdu.varbinds:
                if tag == ber.END_OF_MIB_VIEW or not is_under(oid, root):
                    return guard.result()
                if not guard.take(oid, value):
                    raise SnmpWalkError(self.host, guard.stopped, guard.result())
                current = oid

    def for_vlan(self, vlan: int) -> SnmpClient:
        """A view of the same device that reads VLAN `vlan`'s bridge tables."""
        return SnmpClient(self._session, self._security.for_vlan(vlan))

    async def close(self) -> None:
        self._session.close()

    async def __aenter__(self) -> SnmpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def security_for(credential: SnmpCredential, host: str) -> _Community | _Usm:
    if credential.version in ("1", "2c"):
        if credential.community is None:
            raise SnmpError(host, f"SNMP v{credential.version} credential without a community")
        return _Community(credential.version, credential.community.reveal())
    return _Usm(credential, host)


async def open_client(host: str, port: int, credential: SnmpCredential, settings: SnmpSettings,
                      *, deadline: float | None = None,
                      concurrency: int = DEFAULT_CONCURRENCY) -> SnmpClient:
    """Open a UDP session to one agent; for v3 this also discovers its engine.

    `deadline` (time.monotonic() value) bounds everything done with this client;
    by default it is now + settings.device_budget.
    """
    if deadline is None:
        deadline = time.monotonic() + settings.device_budget
    security = security_for(credential, host)
    session = _Session(host, port, settings, deadline, concurrency)
    await session.open()
    try:
        await security.prepare(session)
    except BaseException:
        session.close()
        raise
    return SnmpClient(session, security)

