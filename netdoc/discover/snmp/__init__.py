"""netdoc's SNMP seam.

Stages talk to devices through `SnmpTransport` (get / walk / for_vlan / close)
and see only plain Python values (netdoc.discover.snmp.values). Two implementations:

- `SnmpClient` (netdoc.discover.snmp.client): a live agent over UDP, v1/v2c/v3, opened
  with `open_client(host, port, credential, settings)`;
- `RecordedTransport` (netdoc.discover.snmp.recorded): an snmprec walk served in-process,
  for unit tests of parsing and identification.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from netdoc.discover.snmp.values import IPv4, Oid, SnmpValue, VarBind


class SnmpTransport(Protocol):
    host: str

    async def get(self, oids: Sequence[str]) -> dict[str, SnmpValue]:
        """Scalars by OID; OIDs the agent lacks are absent."""

    async def walk(self, root: str) -> list[VarBind]:
        """All (oid, value) under `root` in OID order."""

    def for_vlan(self, vlan: int) -> "SnmpTransport":
        """The same device seen through VLAN `vlan` (community@vlan or v3 context vlan-N)."""

    async def close(self) -> None:
        """Release the socket (no-op for recordings)."""


__all__ = ["IPv4", "Oid", "SnmpTransport", "SnmpValue", "VarBind"]
