"""A recorded walk (snmprec file) served in-process: the offline side of the seam.

snmprec is snmpsim's format, one value per line: `OID|TYPE|VALUE`, TYPE being
the BER tag number (2 Integer, 4 OctetString, 5 Null, 6 OID, 64 IpAddress,
65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64) with an `x`
suffix when VALUE is hex-encoded. Per-VLAN views follow snmpsim's convention
for Cisco community indexing: VLAN n of `NAME.snmprec` is `NAME@n.snmprec`.

A walk is answered the way an agent answers GETNEXT/GETBULK: with the
lexicographically next OID the recording holds (`order="lexicographic"`, the
default: a correct agent, whatever order the file lists its lines in; an OID
recorded twice keeps its first value). `order="recorded"` replays a buggy agent
instead: GETNEXT of a recorded OID answers with the line that follows it in the
file (of any other OID, such as a table's root, with the lexicographically next
one), so a walk meets the file's out-of-order OIDs and steps over them like the
live client does (netdoc.discover.snmp.client.WalkGuard, net-snmp's `-Cc`).
"""
from __future__ import annotations

import bisect
from pathlib import Path
from typing import Sequence

from netdoc.errors import SnmpError
from netdoc.discover.snmp.client import SnmpWalkError, WalkGuard
from netdoc.discover.snmp.values import IPv4, Oid, SnmpValue, VarBind, is_under, oid_key

_INTEGER_TAGS = {2, 65, 66, 67, 70}


def parse_value(tag: str, raw: str, where: str) -> SnmpValue | None:
    hexed = tag.endswith("x")
    number = int(tag.rstrip("x") or "0")
    try:
        if number in _INTEGER_TAGS:
            return int(bytes.fromhex(raw).decode() if hexed else raw or "0")
        if number in (4, 68):
            return bytes.fromhex(raw) if hexed else raw.encode("utf-8")
        if number == 6:
            return Oid((bytes.fromhex(raw).decode() if hexed else raw).strip("."))
        if number == 64:
            if hexed:
                return IPv4(".".join(str(b) for b in bytes.fromhex(raw)))
            return IPv4(raw)
        if number == 5 or number >= 128:
            return None  # NULL and v2 exceptions: no value
    except ValueError as exc:
        raise SnmpError("recording", f"{where}: bad value {raw!r} for type {tag}: {exc}") \
            from None
    raise SnmpError("recording", f"{where}: unknown snmprec type {tag!r}")


def load_snmprec(path: Path, problems: list[str] | None = None, *, sort: bool = True) \
        -> list[tuple[tuple[int, ...], str, SnmpValue]]:
    """Parse an snmprec file (sorted by OID unless `sort` is False: then in file order).
    Lines that do not parse are skipped, like an agent that lacks them, and described
    in `problems` (real recordings have a few)."""
    rows = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            parts = line.split("|", 2)
            if len(parts) != 3:
                raise SnmpError("recording", f"{path}:{number}: expected OID|TYPE|VALUE")
            oid, tag, raw = parts
            oid = oid.strip().strip(".")
            key = oid_key(oid)
            value = parse_value(tag.strip(), raw, f"{path}:{number}")
        except (SnmpError, ValueError) as exc:
            if problems is not None:
                problems.append(str(exc))
            continue
        if value is not None:
            rows.append((key, oid, value))
    if sort:
        rows.sort(key=lambda row: row[0])
    return rows


class RecordedTransport:
    """Serves one snmprec file as if it were the agent at `host`."""

    def __init__(self, path: str | Path, host: str = "recorded", order: str = "lexicographic") \
            -> None:
        if order not in ("lexicographic", "recorded"):
            raise ValueError(f"order must be 'lexicographic' or 'recorded', not {order!r}")
        self.path = Path(path)
        self.host = host
        self.order = order
        self.problems: list[str] = []  # lines of the recording that were skipped
        in_file = load_snmprec(self.path, self.problems, sort=False) if self.path.is_file() else []
        self._by_oid: dict[str, SnmpValue] = {}
        self._file: list[tuple[str, SnmpValue]] = []  # file order, first occurrence of each OID
        self._position: dict[str, int] = {}
        keyed: list[tuple[tuple[int, ...], str, SnmpValue]] = []
        for key, oid, value in in_file:
            if oid not in self._by_oid:
                self._by_oid[oid] = value
                self._position[oid] = len(self._file)
                self._file.append((oid, value))
                keyed.append((key, oid, value))
        keyed.sort(key=lambda row: row[0])
        self._rows = [(oid, value) for _key, oid, value in keyed]
        self._keys = [key for key, _oid, _value in keyed]

    async def get(self, oids: Sequence[str]) -> dict[str, SnmpValue]:
        return {oid: self._by_oid[oid.strip(".")] for oid in oids if oid.strip(".") in self._by_oid}

    def next_after(self, oid: str) -> tuple[str, SnmpValue] | None:
        """What the agent answers to GETNEXT `oid` (None: end of MIB view)."""
        oid = oid.strip(".")
        if self.order == "recorded" and oid in self._position:
            following = self._position[oid] + 1  # the agent's own successor: the next line
            return self._file[following] if following < len(self._file) else None
        start = bisect.bisect_right(self._keys, oid_key(oid))
        return self._rows[start] if start < len(self._rows) else None

    async def walk(self, root: str) -> list[VarBind]:
        root = root.strip(".")
        if self.order == "lexicographic":  # a correct agent: the sorted slice, GETNEXT by GETNEXT
            start = bisect.bisect_right(self._keys, oid_key(root))
            found: list[VarBind] = []
            for oid, value in self._rows[start:]:
                if not is_under(oid, root):
                    break
                found.append((oid, value))
            return found
        guard = WalkGuard(root)
        current = root
        while True:
            answer = self.next_after(current)
            if answer is None or not is_under(answer[0], root):
                return guard.result()
            if not guard.take(*answer):
                raise SnmpWalkError(self.host, guard.stopped, guard.result())
            current = answer[0]

    def for_vlan(self, vlan: int) -> RecordedTransport:
        return RecordedTransport(self.path.with_name(f"{self.path.stem}@{vlan}.snmprec"), self.host,
                                 self.order)

    async def close(self) -> None:
        return None
