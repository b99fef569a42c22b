"""Names for addresses: reverse DNS for IPs, the registered NIC vendor for MACs."""
from __future__ import annotations

import asyncio
import socket
from functools import lru_cache

import netaddr


@lru_cache(maxsize=65536)
def nic_vendor(mac: str) -> str:
    """The IEEE OUI registrant of a MAC ('' for unknown or locally administered MACs)."""
    try:
        return str(netaddr.EUI(mac).oui.registration().org)
    except (netaddr.NotRegisteredError, netaddr.AddrFormatError, ValueError, IndexError):
        return ""


async def reverse_dns(addresses: list[str], timeout: float = 2.0,
                      concurrency: int = 32) -> dict[str, str]:
    """PTR names for the addresses that have one; lookups run concurrently and are bounded."""
    gate = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()

    async def one(address: str) -> tuple[str, str]:
        async with gate:
            try:
                name, _, _ = await asyncio.wait_for(
                    loop.run_in_executor(None, socket.gethostbyaddr, address), timeout)
            except (OSError, asyncio.TimeoutError, UnicodeError):
                return address, ""
            return address, name

    results = await asyncio.gather(*(one(a) for a in addresses))
    return {address: name for address, name in results if name}
