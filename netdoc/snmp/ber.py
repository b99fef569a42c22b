"""Just enough BER to read an SNMPv3 message's header and a plaintext report.

The codec library decodes ordinary responses; this reader exists because v3
needs two things it does not expose: the authoritative engine boots/time that
each response carries (the AES IV is built from them, RFC 3826 3.1.2.1), and
the OID of a Report PDU, which says *why* an agent refused us (unknown user,
wrong digest, decryption error, ...).
"""
from __future__ import annotations

from dataclasses import dataclass

REPORT_PDU = 0xA8
FLAG_AUTH, FLAG_PRIV = 0x01, 0x02


class BerError(ValueError):
    """The bytes are not the BER we expected."""


def read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """Return (tag, value_start, value_end) of the TLV starting at `pos`."""
    if pos + 2 > len(data):
        raise BerError("truncated TLV")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise BerError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise BerError("value runs past the end of the message")
    return tag, pos, pos + length


def read_int(data: bytes, pos: int) -> tuple[int, int]:
    tag, start, end = read_tlv(data, pos)
    if tag != 0x02:
        raise BerError(f"expected INTEGER, got tag 0x{tag:02x}")
    return int.from_bytes(data[start:end], "big", signed=True), end


def read_octets(data: bytes, pos: int) -> tuple[bytes, int]:
    tag, start, end = read_tlv(data, pos)
    if tag != 0x04:
        raise BerError(f"expected OCTET STRING, got tag 0x{tag:02x}")
    return data[start:end], end


def decode_oid(raw: bytes) -> str:
    if not raw:
        raise BerError("empty OID")
    parts: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    first = parts[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return ".".join(str(p) for p in head + parts[1:])


@dataclass(frozen=True)
class V3Header:
    msg_id: int
    flags: int
    engine_id: bytes
    engine_boots: int
    engine_time: int
    user: bytes
    scoped_pdu_start: int  # offset of the (plaintext or encrypted) scoped PDU

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & FLAG_PRIV)


def parse_v3_header(data: bytes) -> V3Header:
    tag, pos, _ = read_tlv(data, 0)
    if tag != 0x30:
        raise BerError("not an SNMP message")
    version, pos = read_int(data, pos)
    if version != 3:
        raise BerError(f"expected SNMPv3, got version field {version}")
    tag, header_pos, header_end = read_tlv(data, pos)
    msg_id, header_pos = read_int(data, header_pos)
    _max_size, header_pos = read_int(data, header_pos)
    flags, header_pos = read_octets(data, header_pos)
    security, pos = read_octets(data, header_end)
    _, usm_pos, _ = read_tlv(security, 0)
    engine_id, usm_pos = read_octets(security, usm_pos)
    boots, usm_pos = read_int(security, usm_pos)
    engine_time, usm_pos = read_int(security, usm_pos)
    user, usm_pos = read_octets(security, usm_pos)
    return V3Header(msg_id=msg_id, flags=flags[0] if flags else 0, engine_id=engine_id,
                    engine_boots=boots, engine_time=engine_time, user=user,
                    scoped_pdu_start=pos)


def plaintext_report_oid(data: bytes, header: V3Header) -> str | None:
    """The first varbind OID of a plaintext Report PDU, or None if it is not one."""
    if header.encrypted:
        return None
    tag, pos, _ = read_tlv(data, header.scoped_pdu_start)
    if tag != 0x30:
        return None
    _, pos = read_octets(data, pos)  # contextEngineID
    _, pos = read_octets(data, pos)  # contextName
    tag, pos, _ = read_tlv(data, pos)
    if tag != REPORT_PDU:
        return None
    for _ in range(3):  # request-id, error-status, error-index
        _, pos = read_int(data, pos)
    _, pos, list_end = read_tlv(data, pos)
    if pos >= list_end:
        return ""
    _, pos, _ = read_tlv(data, pos)
    tag, start, end = read_tlv(data, pos)
    if tag != 0x06:
        raise BerError("report varbind without an OID")
    return decode_oid(data[start:end])
