"""SNMP values as plain Python, and small OID helpers.

Everything above the transport seam sees only these types, never a library's
value classes, so recorded walks and live agents look the same to the poller:

    INTEGER, Counter32/64, Gauge32, TimeTicks  -> int
    OCTET STRING, Opaque                       -> bytes
    OBJECT IDENTIFIER                          -> Oid (a str, dotted, no leading dot)
    IpAddress                                  -> IPv4 (a str, dotted quad)

NULL and the v2 exceptions (noSuchObject, noSuchInstance, endOfMibView) are
never handed out: a missing value is simply absent from a result.
"""
from __future__ import annotations

from typing import Union


class Oid(str):
    """An OBJECT IDENTIFIER value (dotted), told apart from text by its type."""

    __slots__ = ()


class IPv4(str):
    """An IpAddress value (dotted quad), told apart from text by its type."""

    __slots__ = ()


SnmpValue = Union[int, bytes, Oid, IPv4]
VarBind = tuple[str, SnmpValue]


def oid_key(oid: str) -> tuple[int, ...]:
    """Sort/compare key of a dotted OID (lexicographic by sub-identifier)."""
    try:
        return tuple(map(int, oid.split(".")))  # the usual, clean form; a walk's hot path
    except ValueError:  # leading or trailing dots, empty parts
        return tuple(int(part) for part in oid.strip(".").split(".") if part)


def is_under(oid: str, root: str) -> bool:
    """True when `oid` lies strictly inside the subtree `root`."""
    return oid.startswith(root + ".")


def suffix(oid: str, root: str) -> tuple[int, ...]:
    """The index part of `oid` below the column/table OID `root`."""
    return oid_key(oid[len(root) + 1:]) if is_under(oid, root) else ()


def text(value: SnmpValue | None) -> str:
    """A DisplayString as str: bytes decoded leniently, trailing NULs dropped."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\x00").decode("utf-8", errors="replace").strip()
    return str(value).strip()


def integer(value: SnmpValue | None, default: int = 0) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, bytes):  # some agents send numbers as strings
        try:
            return int(value.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            return default
    return default


def octets_to_ipv4(value: SnmpValue | None) -> str:
    """IpAddress or 4-byte InetAddress -> dotted quad ('' when not IPv4)."""
    if isinstance(value, IPv4):
        return str(value)
    if isinstance(value, bytes) and len(value) == 4:
        return ".".join(str(b) for b in value)
    return ""
