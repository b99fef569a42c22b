"""What `netdoc listen` receives: syslog lines (RFC 3164, RFC 5424; UDP, TCP with
newline or RFC 6587 octet-counting framing) and SNMP traps, v2c and v3 (USM: HMAC
checked, authPriv decrypted), decoded with netdoc's own codec (netdoc.discover.snmp).

Everything here is hostile input: sizes are capped, text is decoded leniently and
cleaned before it is logged or stored, and a message that does not parse is
returned as None (counted, never raised).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from netdoc.discover.snmp.ber import (INFORM, TRAP_V2, BerError, Pdu, decode_community_message,
                             decode_scoped_pdu, decode_v3_message)
from netdoc.discover.snmp.usm import UsmError, UsmKeys
from netdoc.discover.snmp.values import Oid
from netdoc.textsafe import clean

MAX_SYSLOG_BYTES = 8192   # RFC 5424 receivers must take 480, should take 2048; we take 8 KiB
MAX_TRAP_BYTES = 65507

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"     # snmpTrapOID.0 (SNMPv2-MIB)
LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"   # IF-MIB, RFC 2863
IF_INDEX = "1.3.6.1.2.1.2.2.1.1."


@dataclass(frozen=True)
class SyslogMessage:
    facility: int
    severity: int
    hostname: str   # what the sender claims: shown, never trusted for matching
    app: str
    text: str       # the message part (after the header), cleaned


_PRI = re.compile(r"^<(\d{1,3})>")
_RFC5424 = re.compile(r"^1 (\S+) (\S+) (\S+) (\S+) (\S+) ")
_RFC3164_HEADER = re.compile(
    r"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\S+) (\S+) ")
_STRUCTURED = re.compile(r'^(?:-|(?:\[(?:[^\]"\\]|"(?:[^"\\]|\\.)*")*\])+) ?')


def parse_syslog(data: bytes) -> SyslogMessage | None:
    raw = data[:MAX_SYSLOG_BYTES].decode("utf-8", "replace")
    if raw.startswith("\ufeff"):
        raw = raw[1:]
    raw = raw.rstrip("\r\n\x00")
    match = _PRI.match(raw)
    if not match or int(match.group(1)) > 191:
        return None
    pri = int(match.group(1))
    rest = raw[match.end():]
    hostname = app = ""
    v5424 = _RFC5424.match(rest)
    if v5424:
        hostname, app = v5424.group(2), v5424.group(3)
        body = rest[v5424.end():]
        structured = _STRUCTURED.match(body)
        if structured:
            body = body[structured.end():]
        body = body.removeprefix("\ufeff")
    else:
        header = _RFC3164_HEADER.match(rest)
        if header:
            hostname = header.group(1)
            rest = rest[header.end():]
        tag = re.match(r"^([\w./-]{1,48})(?:\[\d+\])?: ?", rest)
        app = tag.group(1) if tag else ""
        body = rest
    return SyslogMessage(facility=pri >> 3, severity=pri & 7,
                         hostname=clean(None if hostname == "-" else hostname, 255),
                         app=clean(None if app == "-" else app, 48), text=clean(body, 2000))


def split_tcp_stream(buffer: bytearray) -> list[bytes]:
    """Complete frames from a TCP syslog stream, removed from `buffer`: octet-counted
    ("123 <pri>...", RFC 6587) or one message per line. A frame longer than the limit
    is cut; a line never ending is dropped once the limit is reached."""
    frames: list[bytes] = []
    while buffer:
        counted = re.match(rb"^(\d{1,5}) ", buffer)
        if counted and buffer[:1] != b"<":
            size = int(counted.group(1))
            start = counted.end()
            if len(buffer) - start < size:
                if size > MAX_SYSLOG_BYTES * 8:  # a length no sender needs: drop the stream
                    buffer.clear()
                break
            frames.append(bytes(buffer[start:start + size]))
            del buffer[:start + size]
            continue
        end = buffer.find(b"\n")
        if end < 0:
            if len(buffer) > MAX_SYSLOG_BYTES:
                frames.append(bytes(buffer[:MAX_SYSLOG_BYTES]))
                buffer.clear()
            break
        frames.append(bytes(buffer[:end]))
        del buffer[:end + 1]
    return [frame for frame in frames if frame.strip()]


@dataclass(frozen=True)
class Trap:
    community: bytes
    trap_oid: str
    if_indexes: tuple[int, ...] = ()
    varbinds: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def is_link(self) -> bool:
        return self.trap_oid in (LINK_DOWN, LINK_UP)

    def describe(self) -> str:
        name = {LINK_DOWN: "linkDown", LINK_UP: "linkUp"}.get(self.trap_oid, self.trap_oid)
        ports = f" ifIndex {', '.join(map(str, self.if_indexes))}" if self.if_indexes else ""
        return f"SNMP trap {name}{ports}"


def parse_trap(data: bytes) -> Trap | None:
    """An SNMPv2c Trap or InformRequest; None for anything else (v1, v3, garbage)."""
    if len(data) > MAX_TRAP_BYTES:
        return None
    try:
        message = decode_community_message(data)
    except BerError:
        return None
    if message.version != 1:
        return None
    return _trap(message.pdu, message.community)


def is_v3(data: bytes) -> bool:
    """An SNMPv3 message (version field 3), by its first bytes."""
    try:
        decode_v3_message(data[:MAX_TRAP_BYTES])
        return True
    except BerError:
        return False


@dataclass(frozen=True)
class V3User:
    """One SNMPv3 user a client's devices send traps as (from its credential sets)."""

    user: bytes
    auth: str = ""
    auth_key: str = ""
    priv: str = ""
    priv_key: str = ""


def parse_v3_trap(data: bytes, users: tuple[V3User, ...]) -> Trap | None:
    """An SNMPv3 Trap/Inform whose user is one of `users`, its HMAC right and (authPriv)
    its PDU decrypted with that user's keys localised to the sender's engine ID (a
    trap's authoritative engine is its sender, RFC 3414). A user configured with
    authentication never accepts an unauthenticated message. None otherwise."""
    if len(data) > MAX_TRAP_BYTES:
        return None
    try:
        message = decode_v3_message(data)
    except BerError:
        return None
    usm = message.usm
    for user in users:
        if user.user != usm.user:
            continue
        if user.auth and not message.authenticated or user.priv and not message.encrypted:
            return None
        try:
            keys = UsmKeys.for_engine(usm.engine_id, user.auth, user.auth_key, user.priv,
                                      user.priv_key)
            if keys.auth is not None and not keys.verify(data, message.auth_params_offset,
                                                         usm.auth_params):
                return None
            scoped = message.scoped_pdu
            if message.encrypted:
                plain = keys.decrypt(message.encrypted_pdu, usm.priv_params, usm.engine_boots,
                                     usm.engine_time)
                scoped = decode_scoped_pdu(plain, padded=True)
        except (UsmError, BerError, ValueError):
            return None
        return _trap(scoped.pdu, b"") if scoped is not None else None
    return None


def _trap(pdu: Pdu, community: bytes) -> Trap | None:
    if pdu.tag not in (TRAP_V2, INFORM):
        return None
    trap_oid = ""
    indexes: list[int] = []
    shown: list[tuple[str, str]] = []
    for oid, _tag, value in pdu.varbinds[:64]:
        oid_text = str(oid)
        if oid_text == SNMP_TRAP_OID and isinstance(value, (Oid, str)):
            trap_oid = str(value)
        elif oid_text.startswith(IF_INDEX) and isinstance(value, int):
            indexes.append(value)
        shown.append((oid_text, clean(value if not isinstance(value, bytes)
                                      else value.decode("utf-8", "replace"), 200)))
    if not trap_oid:
        return None
    return Trap(community=community, trap_oid=trap_oid.lstrip("."),
                if_indexes=tuple(indexes), varbinds=tuple(shown))
