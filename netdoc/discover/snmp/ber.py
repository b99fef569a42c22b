"""netdoc's own BER codec for SNMP v1, v2c and v3 messages (RFC 3416, 3412, 3414).

Pure Python, written for the hot path of GETBULK walks: the decoder works on
one `bytes` object by offset (no slicing of containers, no per-byte objects),
turns each varbind straight into netdoc's plain values (netdoc.discover.snmp.values),
and checks every length against the container it sits in, so garbage from a
buggy or hostile agent ends in a `BerError` naming what was wrong and where,
never in an IndexError, a hang or a huge allocation.

A decoded varbind is `(oid, tag, value)`: the tag keeps the SMI type (so
Counter32 and Gauge32 stay apart for whoever needs it), the value is plain
Python:

    INTEGER, Counter32, Gauge32, TimeTicks, Counter64  -> int
    OCTET STRING, Opaque                               -> bytes
    OBJECT IDENTIFIER                                  -> Oid
    IpAddress                                          -> IPv4
    NULL, noSuchObject, noSuchInstance, endOfMibView   -> None (the tag says which)

The SNMPv3 part encodes and decodes the message, its USM security parameters
and the scoped PDU; the cryptography (keys, digests, ciphers) lives in
netdoc.discover.snmp.usm.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence, Union

from netdoc.errors import SnmpError
from netdoc.discover.snmp.values import IPv4, Oid, SnmpValue

# ---------------------------------------------------------------- tags
INTEGER, OCTET_STRING, NULL, OBJECT_IDENTIFIER, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
IP_ADDRESS, COUNTER32, GAUGE32, TIMETICKS, OPAQUE = 0x40, 0x41, 0x42, 0x43, 0x44
NSAP_ADDRESS, COUNTER64, UINTEGER32 = 0x45, 0x46, 0x47  # the last is obsolete SMIv2-draft
NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = 0x80, 0x81, 0x82

GET, GET_NEXT, RESPONSE, SET, TRAP_V1, GET_BULK, INFORM, TRAP_V2, REPORT = (
    0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8)
PDU_NAMES = {GET: "GetRequest", GET_NEXT: "GetNextRequest", RESPONSE: "Response",
             SET: "SetRequest", TRAP_V1: "Trap-PDU", GET_BULK: "GetBulkRequest",
             INFORM: "InformRequest", TRAP_V2: "SNMPv2-Trap", REPORT: "Report"}

VERSION_1, VERSION_2C, VERSION_3 = 0, 1, 3
USM_SECURITY_MODEL = 3
FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 0x01, 0x02, 0x04
MAX_MESSAGE_SIZE = 65507  # the largest UDP payload over IPv4: what we can receive

VALUE_NAMES = {INTEGER: "INTEGER", OCTET_STRING: "OCTET STRING", NULL: "NULL",
               OBJECT_IDENTIFIER: "OBJECT IDENTIFIER", IP_ADDRESS: "IpAddress",
               COUNTER32: "Counter32", GAUGE32: "Gauge32", TIMETICKS: "TimeTicks",
               OPAQUE: "Opaque", NSAP_ADDRESS: "NsapAddress", COUNTER64: "Counter64",
               UINTEGER32: "UInteger32", NO_SUCH_OBJECT: "noSuchObject",
               NO_SUCH_INSTANCE: "noSuchInstance", END_OF_MIB_VIEW: "endOfMibView"}
_UNSIGNED_BITS = {COUNTER32: 32, GAUGE32: 32, TIMETICKS: 32, UINTEGER32: 32, COUNTER64: 64}
_NO_VALUE = frozenset((NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW))

VarBindValue = Union[SnmpValue, None]
RawVarBind = tuple[str, int, VarBindValue]  # (oid, tag, plain value)


class BerError(SnmpError):
    """The bytes are not the SNMP message we expected (truncated, wrong tag, bad length...).

    Raised by the codec, which does not know which device sent the bytes; the
    client re-raises it as an SnmpError naming the device and the request.
    """

    def __init__(self, reason: str) -> None:
        Exception.__init__(self, reason)
        self.host = ""
        self.reason = reason


# ---------------------------------------------------------------- encoding primitives

def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        return bytes((tag, length)) + value
    return bytes((tag,)) + encode_length(length) + value


def encode_integer(number: int, tag: int = INTEGER) -> bytes:
    """Two's complement, minimal length (RFC 3416 INTEGER, also Integer32)."""
    if 0 <= number < 0x80 and tag == INTEGER:
        return _SMALL_INTEGERS[number]  # versions, error fields, security model: every message
    return tlv(tag, number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True))


_SMALL_INTEGERS = [bytes((INTEGER, 1, number)) for number in range(0x80)]


def encode_unsigned(number: int, tag: int) -> bytes:
    """Counter32, Gauge32, TimeTicks, Counter64: non-negative, a leading 0 when the top bit is set."""
    bits = _UNSIGNED_BITS.get(tag, 64)
    if not 0 <= number < 1 << bits:
        raise BerError(f"{VALUE_NAMES.get(tag, hex(tag))} value {number} out of range "
                       f"0..{(1 << bits) - 1}")
    return tlv(tag, number.to_bytes(number.bit_length() // 8 + 1, "big"))


def encode_octets(value: bytes, tag: int = OCTET_STRING) -> bytes:
    return tlv(tag, value)


def oid_parts(oid: str) -> list[int]:
    """'1.3.6.1' or '.1.3.6.1' -> [1, 3, 6, 1]; BerError when it is not an OID."""
    try:
        parts = list(map(int, oid.strip().lstrip(".").split(".")))
    except ValueError:
        raise BerError(f"{oid!r} is not a numeric OID (digits separated by dots)") from None
    if len(parts) < 2 or parts[0] > 2 or (parts[0] < 2 and parts[1] >= 40) or min(parts) < 0:
        raise BerError(f"{oid!r} is not a valid OID (it must start with 0.x, 1.x (x < 40) or 2.x)")
    return parts


def encode_oid_body(oid: str) -> bytes:
    parts = oid_parts(oid)
    parts[1] += parts[0] * 40
    del parts[0]
    if max(parts) < 0x80:  # every sub-identifier one byte: the usual case
        return bytes(parts)
    out = bytearray()
    for number in parts:
        if number < 0x80:
            out.append(number)
            continue
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def encode_oid(oid: str) -> bytes:
    return tlv(OBJECT_IDENTIFIER, encode_oid_body(oid))


def encode_value(tag: int, value: VarBindValue) -> bytes:
    """One varbind value of SMI type `tag` (used for requests, tests and recorded agents)."""
    if tag in _NO_VALUE:
        return bytes((tag, 0))
    if tag == INTEGER and isinstance(value, int):
        return encode_integer(value)
    if tag in _UNSIGNED_BITS and isinstance(value, int):
        return encode_unsigned(value, tag)
    if tag in (OCTET_STRING, OPAQUE, NSAP_ADDRESS) and isinstance(value, (bytes, bytearray)):
        return tlv(tag, bytes(value))
    if tag == OBJECT_IDENTIFIER and isinstance(value, str):
        return encode_oid(value)
    if tag == IP_ADDRESS and isinstance(value, str):
        try:
            quad = bytes(int(part) for part in value.split("."))
        except ValueError:
            quad = b""
        if len(quad) != 4:
            raise BerError(f"IpAddress {value!r} is not a dotted quad")
        return tlv(IP_ADDRESS, quad)
    raise BerError(f"cannot encode {type(value).__name__} {value!r} as "
                   f"{VALUE_NAMES.get(tag, f'tag 0x{tag:02x}')}")


def encode_varbinds(varbinds: Iterable[tuple[str, int, VarBindValue]]) -> bytes:
    return tlv(SEQUENCE, b"".join(tlv(SEQUENCE, encode_oid(oid) + encode_value(tag, value))
                                  for oid, tag, value in varbinds))


def encode_request_varbinds(oids: Sequence[str]) -> bytes:
    """The varbind list of a request: each OID with a NULL value."""
    return tlv(SEQUENCE, b"".join(tlv(SEQUENCE, encode_oid(oid) + b"\x05\x00") for oid in oids))


# ---------------------------------------------------------------- PDUs and messages

@dataclass(slots=True)
class Pdu:
    """Any SNMPv2 PDU. For GetBulkRequest the two middle fields are
    non-repeaters and max-repetitions (`non_repeaters`, `max_repetitions`)."""

    tag: int
    request_id: int
    error_status: int = 0
    error_index: int = 0
    varbinds: list[RawVarBind] = field(default_factory=list)

    @property
    def non_repeaters(self) -> int:
        return self.error_status

    @property
    def max_repetitions(self) -> int:
        return self.error_index

    @property
    def name(self) -> str:
        return PDU_NAMES.get(self.tag, f"PDU 0x{self.tag:02x}")


def encode_pdu(pdu: Pdu) -> bytes:
    return tlv(pdu.tag, encode_integer(pdu.request_id) + encode_integer(pdu.error_status)
               + encode_integer(pdu.error_index) + encode_varbinds(pdu.varbinds))


def encode_request_pdu(tag: int, request_id: int, oids: Sequence[str], non_repeaters: int = 0,
                       max_repetitions: int = 0) -> bytes:
    """GetRequest / GetNextRequest (error fields 0) or GetBulkRequest, NULL values."""
    return tlv(tag, encode_integer(request_id) + encode_integer(non_repeaters)
               + encode_integer(max_repetitions) + encode_request_varbinds(oids))


@dataclass(slots=True)
class CommunityMessage:
    """An SNMPv1 (version 0) or SNMPv2c (version 1) message."""

    version: int
    community: bytes
    pdu: Pdu


def encode_community_message(version: int, community: bytes, pdu: bytes | Pdu) -> bytes:
    body = pdu if isinstance(pdu, bytes) else encode_pdu(pdu)
    return tlv(SEQUENCE, encode_integer(version) + tlv(OCTET_STRING, community) + body)


@dataclass(slots=True)
class UsmParameters:
    """UsmSecurityParameters (RFC 3414 2.4)."""

    engine_id: bytes
    engine_boots: int
    engine_time: int
    user: bytes
    auth_params: bytes = b""
    priv_params: bytes = b""


@dataclass(slots=True)
class ScopedPdu:
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu


@dataclass(slots=True)
class V3Message:
    """An SNMPv3 message with USM security.

    `scoped_pdu` is None when the message is encrypted; `encrypted_pdu` then
    holds the ciphertext. `auth_params_offset` is where the digest sits in the
    original bytes, so it can be zeroed to check the HMAC (RFC 3414 6.3.2).
    """

    msg_id: int
    max_size: int
    flags: int
    usm: UsmParameters
    scoped_pdu: ScopedPdu | None
    encrypted_pdu: bytes = b""
    auth_params_offset: int = -1
    security_model: int = USM_SECURITY_MODEL

    @property
    def authenticated(self) -> bool:
        return bool(self.flags & FLAG_AUTH)

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_PRIV)


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes | Pdu) -> bytes:
    body = pdu if isinstance(pdu, bytes) else encode_pdu(pdu)
    return tlv(SEQUENCE, tlv(OCTET_STRING, context_engine_id) + tlv(OCTET_STRING, context_name)
               + body)


def encode_v3_message(msg_id: int, flags: int, usm: UsmParameters, msg_data: bytes, *,
                      auth_length: int = 0, max_size: int = MAX_MESSAGE_SIZE) -> tuple[bytes, int]:
    """Build an SNMPv3 message; `msg_data` is the encoded scoped PDU, or the
    ciphertext (encoded here as an OCTET STRING) when `flags` has FLAG_PRIV.

    With `auth_length` > 0 the auth parameters are that many zero bytes and the
    second item returned is their offset, for the caller to put the digest
    there; otherwise it is -1.
    """
    header = tlv(SEQUENCE, encode_integer(msg_id) + encode_integer(max_size)
                 + tlv(OCTET_STRING, bytes((flags,))) + encode_integer(USM_SECURITY_MODEL))
    auth_params = bytes(auth_length) if auth_length else usm.auth_params
    before_auth = (tlv(OCTET_STRING, usm.engine_id) + encode_integer(usm.engine_boots)
                   + encode_integer(usm.engine_time) + tlv(OCTET_STRING, usm.user))
    auth_tlv = tlv(OCTET_STRING, auth_params)
    priv_tlv = tlv(OCTET_STRING, usm.priv_params)
    security = tlv(OCTET_STRING, tlv(SEQUENCE, before_auth + auth_tlv + priv_tlv))
    data = tlv(OCTET_STRING, msg_data) if flags & FLAG_PRIV else msg_data
    message = tlv(SEQUENCE, encode_integer(VERSION_3) + header + security + data)
    if not auth_length:
        return message, -1
    # the digest is the last thing before msgPrivacyParameters and msgData
    offset = len(message) - len(data) - len(priv_tlv) - auth_length
    return message, offset


# ---------------------------------------------------------------- decoding primitives

def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, value_start, value_end) of the TLV at `pos`, which must end by `end`."""
    if pos + 2 > end:
        raise BerError(f"truncated: a TLV header at offset {pos} runs past the end of its "
                       f"container (offset {end})")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise BerError(f"indefinite length at offset {pos - 2} (not allowed in SNMP)")
        if count > 4:
            raise BerError(f"length field of {count} bytes at offset {pos - 2} (too large for "
                           f"any SNMP message)")
        if pos + count > end:
            raise BerError(f"truncated: the length field at offset {pos - 2} runs past the end")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise BerError(f"length {length} at offset {pos} runs past the end of its container "
                       f"({end - pos} bytes left)")
    return tag, pos, pos + length


def _expect(data: bytes, pos: int, end: int, want: int, what: str) -> tuple[int, int]:
    if pos + 2 <= end and data[pos] == want and data[pos + 1] < 0x80:  # short form, inline
        stop = pos + 2 + data[pos + 1]
        if stop <= end:
            return pos + 2, stop
    tag, start, stop = _header(data, pos, end)
    if tag != want:
        raise BerError(f"expected {what} (tag 0x{want:02x}) at offset {pos}, got tag 0x{tag:02x}")
    return start, stop


def _integer(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    start, stop = _expect(data, pos, end, INTEGER, what)
    if start == stop:
        raise BerError(f"{what} at offset {pos} is an empty INTEGER")
    if stop - start > 9:
        raise BerError(f"{what} at offset {pos} is a {stop - start}-byte INTEGER (too large)")
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def _octets(data: bytes, pos: int, end: int, what: str) -> tuple[bytes, int]:
    start, stop = _expect(data, pos, end, OCTET_STRING, what)
    return data[start:stop], stop


_HEAD = [f"{min(b // 40, 2)}.{b - 40 * min(b // 40, 2)}" for b in range(128)]
_DOT_NUMBER = [f".{b}" for b in range(128)]
_dot_number = _DOT_NUMBER.__getitem__


# Rows of a table share everything but their last sub-identifiers, so the decoded
# prefix (all but the last sub-identifier) is remembered: a walk then decodes each
# column prefix once. Bounded, so hostile input cannot grow it.
_PREFIXES: dict[bytes, str] = {}
_PREFIXES_LIMIT = 4096


def decode_oid(data: bytes, start: int = 0, end: int | None = None) -> str:
    """The dotted form of the OID body in data[start:end]."""
    return _decode_oid(data[start:end])


def _decode_oid(raw: bytes) -> str:
    if not raw:
        raise BerError("empty OBJECT IDENTIFIER")
    last = raw[-1]
    if last & 0x80:
        raise BerError("OBJECT IDENTIFIER ends inside a sub-identifier")
    cut = len(raw) - 1  # where the last sub-identifier starts
    while cut and raw[cut - 1] & 0x80:
        cut -= 1
    if cut == 0:  # a single sub-identifier, e.g. "2.0"
        return _decode_oid_parts(raw)
    head = raw[:cut]
    prefix = _PREFIXES.get(head)
    if prefix is None:
        if head.isascii():
            prefix = _HEAD[head[0]] + "".join(map(_dot_number, head[1:]))
        else:
            prefix = _decode_oid_parts(head)
        if len(_PREFIXES) >= _PREFIXES_LIMIT:
            _PREFIXES.clear()
        _PREFIXES[head] = prefix
    if cut == len(raw) - 1:
        return prefix + _DOT_NUMBER[last]
    if raw[cut] == 0x80:
        raise BerError("OBJECT IDENTIFIER sub-identifier with a leading 0x80 byte (not minimal)")
    number = 0
    for byte in raw[cut:]:
        number = (number << 7) | (byte & 0x7F)
    return f"{prefix}.{number}"


def _decode_oid_parts(raw: bytes) -> str:
    parts: list[int] = []
    number = 0
    for byte in raw:
        if number == 0 and byte == 0x80:
            raise BerError("OBJECT IDENTIFIER sub-identifier with a leading 0x80 byte "
                           "(not minimal)")
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(number)
            number = 0
    top = min(parts[0] // 40, 2)
    return f"{top}.{parts[0] - 40 * top}" + "".join(f".{part}" for part in parts[1:])


def _unsigned(raw: bytes, tag: int) -> int:
    bits = _UNSIGNED_BITS[tag]
    if not raw or len(raw) > bits // 8 + 1:
        raise BerError(f"{VALUE_NAMES[tag]} of {len(raw)} bytes")
    value = int.from_bytes(raw, "big")
    if value >> bits:
        raise BerError(f"{VALUE_NAMES[tag]} value {value} out of range")
    # Some agents encode 2**31..2**32-1 without the leading zero; read it as unsigned.
    return value


def _value(data: bytes, tag: int, start: int, stop: int) -> VarBindValue:
    """The plain value of a varbind whose value TLV is data[start:stop] with tag `tag`."""
    if tag == OCTET_STRING or tag == OPAQUE or tag == NSAP_ADDRESS:
        return data[start:stop]
    if tag == INTEGER:
        if start == stop or stop - start > 5:
            raise BerError(f"INTEGER value of {stop - start} bytes at offset {start}")
        return int.from_bytes(data[start:stop], "big", signed=True)
    if tag in _UNSIGNED_BITS:
        return _unsigned(data[start:stop], tag)
    if tag == OBJECT_IDENTIFIER:
        return Oid(decode_oid(data, start, stop))
    if tag == IP_ADDRESS:
        if stop - start != 4:
            raise BerError(f"IpAddress of {stop - start} bytes at offset {start} (must be 4)")
        return IPv4(f"{data[start]}.{data[start + 1]}.{data[start + 2]}.{data[start + 3]}")
    if tag in _NO_VALUE:
        if start != stop:
            raise BerError(f"{VALUE_NAMES[tag]} with {stop - start} bytes of content")
        return None
    raise BerError(f"unknown value type tag 0x{tag:02x} at offset {start}")


def decode_varbinds(data: bytes, pos: int, end: int) -> list[RawVarBind]:
    """Every varbind of the list whose contents are data[pos:end]. The hot path."""
    out: list[RawVarBind] = []
    append = out.append
    while pos < end:
        # each varbind: SEQUENCE { OID, value }; headers read inline, the short forms first
        if data[pos] != SEQUENCE:
            raise BerError(f"expected a varbind SEQUENCE at offset {pos}, got tag "
                           f"0x{data[pos]:02x}")
        if pos + 1 < end and data[pos + 1] < 0x80:
            vb_start, vb_end = pos + 2, pos + 2 + data[pos + 1]
            if vb_end > end:
                raise BerError(f"varbind at offset {pos} runs past the end of the list")
        else:
            _, vb_start, vb_end = _header(data, pos, end)
        if vb_start + 2 <= vb_end and data[vb_start] == OBJECT_IDENTIFIER \
                and data[vb_start + 1] < 0x80:
            oid_start = vb_start + 2
            oid_end = oid_start + data[vb_start + 1]
            if oid_end > vb_end:
                raise BerError(f"OID at offset {vb_start} runs past the end of its varbind")
        else:
            oid_start, oid_end = _expect(data, vb_start, vb_end, OBJECT_IDENTIFIER, "varbind name")
        if oid_end + 2 <= vb_end and data[oid_end + 1] < 0x80:
            tag = data[oid_end]
            value_start = oid_end + 2
            value_end = value_start + data[oid_end + 1]
        else:
            tag, value_start, value_end = _header(data, oid_end, vb_end)
        if value_end != vb_end:
            raise BerError(f"varbind at offset {pos}: its value "
                           + ("runs past the end of the varbind" if value_end > vb_end
                              else f"is followed by {vb_end - value_end} stray bytes"))
        if tag == OCTET_STRING:
            value: VarBindValue = data[value_start:value_end]
        elif tag == INTEGER and 0 < value_end - value_start <= 5:
            value = int.from_bytes(data[value_start:value_end], "big", signed=True)
        else:
            value = _value(data, tag, value_start, value_end)
        append((_decode_oid(data[oid_start:oid_end]), tag, value))
        pos = vb_end
    return out


def decode_pdu(data: bytes, pos: int, end: int) -> tuple[Pdu, int]:
    """The PDU at `pos` (any of GET...REPORT except the v1 Trap-PDU) and where it ends."""
    tag, start, stop = _header(data, pos, end)
    if tag not in PDU_NAMES or tag == TRAP_V1:
        raise BerError(f"expected an SNMP PDU at offset {pos}, got tag 0x{tag:02x}")
    request_id, at = _integer(data, start, stop, "request-id")
    error_status, at = _integer(data, at, stop, "error-status")
    error_index, at = _integer(data, at, stop, "error-index")
    list_start, list_end = _expect(data, at, stop, SEQUENCE, "varbind list")
    if list_end != stop:
        raise BerError(f"{stop - list_end} stray bytes after the varbind list")
    return Pdu(tag, request_id, error_status, error_index,
               decode_varbinds(data, list_start, list_end)), stop


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if type(data) is bytes:
        return data
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BerError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


def _message(data: bytes) -> tuple[int, int, int]:
    """(version, position after the version field, end of the message)."""
    start, end = _expect(data, 0, len(data), SEQUENCE, "an SNMP message SEQUENCE")
    if end != len(data):
        raise BerError(f"{len(data) - end} stray bytes after the SNMP message")
    version, pos = _integer(data, start, end, "version")
    return version, pos, end


def decode_community_message(data: bytes) -> CommunityMessage:
    """Decode an SNMPv1/v2c message (any PDU but the v1 Trap)."""
    data = _as_bytes(data)
    try:
        version, pos, end = _message(data)
        if version not in (VERSION_1, VERSION_2C):
            raise BerError(f"expected SNMP version 1 or 2c, got version field {version}")
        community, pos = _octets(data, pos, end, "community")
        pdu, pos = decode_pdu(data, pos, end)
    except IndexError:
        raise BerError("truncated message") from None
    if pos != end:
        raise BerError(f"{end - pos} stray bytes after the PDU")
    return CommunityMessage(version, community, pdu)


def decode_usm_parameters(data: bytes, pos: int, end: int) -> tuple[UsmParameters, int]:
    """The UsmSecurityParameters SEQUENCE in data[pos:end]; also the offset of the digest."""
    start, stop = _expect(data, pos, end, SEQUENCE, "UsmSecurityParameters")
    engine_id, at = _octets(data, start, stop, "msgAuthoritativeEngineID")
    boots, at = _integer(data, at, stop, "msgAuthoritativeEngineBoots")
    engine_time, at = _integer(data, at, stop, "msgAuthoritativeEngineTime")
    user, at = _octets(data, at, stop, "msgUserName")
    auth_start, auth_end = _expect(data, at, stop, OCTET_STRING, "msgAuthenticationParameters")
    priv, at = _octets(data, auth_end, stop, "msgPrivacyParameters")
    if len(engine_id) > 32 or len(user) > 32:
        raise BerError("engine ID or user name longer than 32 bytes (RFC 3414)")
    if boots < 0 or engine_time < 0:
        raise BerError("negative engine boots or time")
    return UsmParameters(engine_id, boots, engine_time, user, data[auth_start:auth_end],
                         priv), auth_start


def decode_scoped_pdu(data: bytes, pos: int = 0, end: int | None = None,
                      *, padded: bool = False) -> ScopedPdu:
    """The ScopedPDU at data[pos:end]. `padded`: bytes after it are cipher padding."""
    data = _as_bytes(data)
    end = len(data) if end is None else end
    try:
        start, stop = _expect(data, pos, end, SEQUENCE, "ScopedPDU (wrong key, or not decrypted?)")
        if stop != end and not padded:
            raise BerError(f"{end - stop} stray bytes after the ScopedPDU")
        context_engine_id, at = _octets(data, start, stop, "contextEngineID")
        context_name, at = _octets(data, at, stop, "contextName")
        pdu, at = decode_pdu(data, at, stop)
    except IndexError:
        raise BerError("truncated ScopedPDU") from None
    if at != stop:
        raise BerError(f"{stop - at} stray bytes after the PDU")
    return ScopedPdu(context_engine_id, context_name, pdu)


def decode_v3_message(data: bytes) -> V3Message:
    """Decode an SNMPv3 message; the scoped PDU only when it is not encrypted."""
    data = _as_bytes(data)
    try:
        version, pos, end = _message(data)
        if version != VERSION_3:
            raise BerError(f"expected SNMPv3, got version field {version}")
        header_start, header_end = _expect(data, pos, end, SEQUENCE, "msgGlobalData")
        msg_id, at = _integer(data, header_start, header_end, "msgID")
        max_size, at = _integer(data, at, header_end, "msgMaxSize")
        flags, at = _octets(data, at, header_end, "msgFlags")
        model, at = _integer(data, at, header_end, "msgSecurityModel")
        if len(flags) != 1:
            raise BerError(f"msgFlags of {len(flags)} bytes (must be 1)")
        if model != USM_SECURITY_MODEL:
            raise BerError(f"security model {model} (netdoc speaks USM, model 3)")
        security_start, security_end = _expect(data, header_end, end, OCTET_STRING,
                                               "msgSecurityParameters")
        usm, auth_offset = decode_usm_parameters(data, security_start, security_end)
        flag = flags[0]
        if flag & FLAG_PRIV and not flag & FLAG_AUTH:
            raise BerError("msgFlags say privacy without authentication (invalid)")
        if flag & FLAG_PRIV:
            encrypted, at = _octets(data, security_end, end, "encryptedPDU")
            if at != end:
                raise BerError(f"{end - at} stray bytes after the encrypted PDU")
            return V3Message(msg_id, max_size, flag, usm, None, encrypted, auth_offset)
        scoped = decode_scoped_pdu(data, security_end, end)
    except IndexError:
        raise BerError("truncated message") from None
    return V3Message(msg_id, max_size, flag, usm, scoped, b"", auth_offset)


def peek_message_id(data: bytes) -> int:
    """What a reply answers: msgID (v3) or request-id (v1/v2c), read without decoding it all."""
    data = _as_bytes(data)
    try:
        version, pos, end = _message(data)
        if version == VERSION_3:
            header_start, header_end = _expect(data, pos, end, SEQUENCE, "msgGlobalData")
            return _integer(data, header_start, header_end, "msgID")[0]
        if version not in (VERSION_1, VERSION_2C):
            raise BerError(f"unknown SNMP version field {version}")
        _, pos = _octets(data, pos, end, "community")
        tag, start, stop = _header(data, pos, end)
        if tag not in PDU_NAMES:
            raise BerError(f"expected an SNMP PDU at offset {pos}, got tag 0x{tag:02x}")
        return _integer(data, start, stop, "request-id")[0]
    except IndexError:
        raise BerError("truncated message") from None
