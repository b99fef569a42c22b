"""A tiny SNMPv2c agent that misbehaves on purpose, for fault tests.

It serves a small tree (system group + a 3-row ifTable) on 127.0.0.1 from a
background thread, and can be told to:

- "ok":        behave (the control case);
- "slow":      answer every request only after `delay` seconds;
- "loop":      answer walks with OIDs that do not increase (a buggy agent's loop);
- "malformed": answer walks with a value that is not valid BER for its type;
- "vanish":    answer the first `answers` requests, then never again (device gone).

Its BER is written here from scratch (independent of netdoc's own code).
"""
from __future__ import annotations

import asyncio
import socket
import threading
from typing import Iterator

SYSTEM = {
    "1.3.6.1.2.1.1.1.0": ("str", "Linux hostile 5.10.0 #1 SMP x86_64"),
    "1.3.6.1.2.1.1.2.0": ("oid", "1.3.6.1.4.1.8072.3.2.10"),
    "1.3.6.1.2.1.1.5.0": ("str", "hostile"),
}
IF_ROWS = {1: "lo", 2: "eth0", 3: "eth1"}


def _tree() -> dict[str, tuple[str, object]]:
    tree: dict[str, tuple[str, object]] = dict(SYSTEM)
    for index, name in IF_ROWS.items():
        tree[f"1.3.6.1.2.1.2.2.1.2.{index}"] = ("str", name)
        tree[f"1.3.6.1.2.1.2.2.1.3.{index}"] = ("int", 6)
        tree[f"1.3.6.1.2.1.2.2.1.7.{index}"] = ("int", 1)
        tree[f"1.3.6.1.2.1.2.2.1.8.{index}"] = ("int", 1)
        tree[f"1.3.6.1.2.1.31.1.1.1.1.{index}"] = ("str", name)
    return tree


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


# ---------------------------------------------------------------- minimal BER
def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _len(len(value)) + value


def _int(n: int) -> bytes:
    return _tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def _oid(oid: str) -> bytes:
    parts = [int(p) for p in oid.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.insert(0, 0x80 | (part & 0x7F))
            part >>= 7
        out += bytes(chunk)
    return _tlv(0x06, bytes(out))


def _value(kind: str, value: object) -> bytes:
    if kind == "int":
        return _int(int(value))  # type: ignore[call-overload]
    if kind == "oid":
        return _oid(str(value))
    if kind == "raw":
        return bytes(value)  # type: ignore[call-overload]
    if kind == "end":
        return b"\x82\x00"  # endOfMibView
    return _tlv(0x04, str(value).encode())


def _read(data: bytes, pos: int) -> tuple[int, int, int]:
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, pos, pos + length


def _decode_oid(raw: bytes) -> str:
    parts, value = [], 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in [parts[0] // 40, parts[0] % 40] + parts[1:])


def parse_request(data: bytes) -> tuple[bytes, int, int, int, list[str]]:
    """-> community, pdu tag, request id, max-repetitions, oids"""
    _, pos, _ = _read(data, 0)
    _, start, pos = _read(data, pos)  # version
    _, start, end = _read(data, pos)
    community, pos = data[start:end], end
    pdu_tag, pos, _ = _read(data, pos)
    ints = []
    for _ in range(3):
        _, start, end = _read(data, pos)
        ints.append(int.from_bytes(data[start:end], "big", signed=True))
        pos = end
    _, pos, list_end = _read(data, pos)
    oids = []
    while pos < list_end:
        _, vb_pos, vb_end = _read(data, pos)
        _, start, end = _read(data, vb_pos)
        oids.append(_decode_oid(data[start:end]))
        pos = vb_end
    return community, pdu_tag, ints[0], ints[2], oids


def build_response(community: bytes, request_id: int, varbinds: list[tuple[str, bytes]]) -> bytes:
    body = b"".join(_tlv(0x30, _oid(oid) + value) for oid, value in varbinds)
    pdu = _int(request_id) + _int(0) + _int(0) + _tlv(0x30, body)
    return _tlv(0x30, _int(1) + _tlv(0x04, community) + _tlv(0xA2, pdu))


# ---------------------------------------------------------------- the agent
class HostileAgent:
    def __init__(self, mode: str = "ok", delay: float = 0.0, answers: int = 1_000_000,
                 community: str = "public") -> None:
        self.mode, self.delay, self.answers = mode, delay, answers
        self.community = community.encode()
        self.tree = _tree()
        self.order = sorted(self.tree, key=_key)
        self.requests = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HostileAgent:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._sock.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.add_reader(self._sock.fileno(), self._on_datagram)
        self._loop.run_forever()
        self._loop.remove_reader(self._sock.fileno())
        self._loop.close()

    def _on_datagram(self) -> None:
        data, peer = self._sock.recvfrom(65535)
        self.requests += 1
        if self.requests > self.answers:
            return  # gone: the device disappeared mid-walk
        try:
            community, tag, request_id, repetitions, oids = parse_request(data)
        except (IndexError, ValueError):
            return
        if community != self.community:
            return  # wrong community: silence, as real agents do
        reply = build_response(community, request_id, self._varbinds(tag, repetitions, oids))
        if self.mode == "slow":
            self._loop.call_later(self.delay, self._sock.sendto, reply, peer)
        else:
            self._sock.sendto(reply, peer)

    def _varbinds(self, tag: int, repetitions: int, oids: list[str]) -> list[tuple[str, bytes]]:
        if tag == 0xA0:  # GET
            return [(oid, _value(*self.tree[oid]) if oid in self.tree else b"\x80\x00")
                    for oid in oids]
        count = repetitions if tag == 0xA5 else 1
        found = []
        for oid, kind_value in self._after(oids[0], count):
            found.append((oid, _value(*kind_value)))
        return found

    def _after(self, oid: str, count: int) -> Iterator[tuple[str, tuple[str, object]]]:
        if self.mode == "loop":
            # a classic agent bug: the walk restarts at the table's first row, forever
            for _ in range(count):
                yield "1.3.6.1.2.1.2.2.1.2.1", ("str", "lo")
            return
        key = _key(oid)
        following = [o for o in self.order if _key(o) > key][:count]
        for name in following:
            if self.mode == "malformed" and name.startswith("1.3.6.1.2.1.2.2.1.3."):
                # an IpAddress three bytes long: not a value any decoder should accept
                yield name, ("raw", b"\x40\x03\x0a\x00\x00")
            else:
                yield name, self.tree[name]
        if len(following) < count:
            yield oid, ("end", None)
