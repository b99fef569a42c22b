"""Names for addresses: reverse DNS for IPs, the registered NIC vendor for MACs.

Reverse DNS goes through the system's resolver (nsswitch: /etc/hosts, DNS, mDNS as
configured), which blocks: each lookup runs in its own daemon thread, many at once,
and the whole batch gets one deadline. Whatever has not answered by then is left
unnamed and its thread abandoned (it ends when the resolver gives up; being a
daemon thread it never holds up the end of the run). A resolver that does not
answer at all therefore costs the deadline once, not timeout x attempts per address.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from functools import lru_cache

import netaddr

log = logging.getLogger("netdoc.collectors.names")

DNS_DEADLINE = 2.0  # seconds for a whole batch of lookups (discovery.dns_deadline)
DNS_CONCURRENCY = 64  # lookups in flight at once


@lru_cache(maxsize=65536)
def nic_vendor(mac: str) -> str:
    """The IEEE OUI registrant of a MAC ('' for unknown or locally administered MACs)."""
    try:
        return str(netaddr.EUI(mac).oui.registration()["org"])
    except (netaddr.NotRegisteredError, netaddr.AddrFormatError, ValueError, IndexError):
        return ""


def _ptr(address: str) -> str:
    try:
        name = socket.gethostbyaddr(address)[0]
    except (OSError, UnicodeError, ValueError):
        return ""
    return "" if name == address else name


def resolve_names(addresses: list[str], deadline: float = DNS_DEADLINE,
                  concurrency: int = DNS_CONCURRENCY) -> dict[str, str]:
    """PTR names of the addresses that have one, found within `deadline` seconds in all.

    At most `concurrency` lookups are in flight; a lookup is only started while the
    deadline has not passed, and the call returns at the deadline at the latest.
    """
    return _resolve(addresses, deadline, concurrency)[0]


def _resolve(addresses: list[str], deadline: float,
             concurrency: int) -> tuple[dict[str, str], bool]:
    """(names, whether every lookup finished before the deadline)."""
    todo = list(dict.fromkeys(addresses))
    if not todo:
        return {}, True
    names: dict[str, str] = {}
    lock = threading.Condition()
    state = {"next": 0, "running": 0}
    end = time.monotonic() + max(deadline, 0.0)

    def worker() -> None:
        while True:
            with lock:
                index = state["next"]
                if index >= len(todo) or time.monotonic() >= end:
                    state["running"] -= 1
                    lock.notify_all()
                    return
                state["next"] = index + 1
            name = _ptr(todo[index])
            with lock:
                if name:
                    names[todo[index]] = name

    workers = min(max(concurrency, 1), len(todo))
    state["running"] = workers
    for number in range(workers):
        threading.Thread(target=worker, name=f"netdoc-rdns-{number}", daemon=True).start()
    with lock:
        while state["running"] and (left := end - time.monotonic()) > 0:
            lock.wait(left)
        found = dict(names)
        unfinished = len(todo) - state["next"] + state["running"]
        complete = not state["running"]
    if not complete:
        log.info("reverse DNS: deadline of %.1f s reached, %d of %d address(es) left unnamed "
                 "(the resolver is slow or does not answer)", deadline, unfinished, len(todo))
    return found, complete


async def reverse_dns(addresses: list[str], deadline: float = DNS_DEADLINE,
                      concurrency: int = DNS_CONCURRENCY) -> dict[str, str]:
    """`resolve_names` for async callers: the event loop keeps running meanwhile."""
    return (await reverse_dns_batch(addresses, deadline, concurrency))[0]


async def reverse_dns_batch(addresses: list[str], deadline: float = DNS_DEADLINE,
                            concurrency: int = DNS_CONCURRENCY) -> tuple[dict[str, str], bool]:
    """(names, complete): complete is False when the deadline cut lookups off, i.e. the
    resolver is slow or does not answer, so a later batch should not wait for it again."""
    if not addresses:
        return {}, True
    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[dict[str, str], bool]] = loop.create_future()

    def deliver(result: tuple[dict[str, str], bool]) -> None:
        if not done.done():
            done.set_result(result)

    def run() -> None:
        loop.call_soon_threadsafe(deliver, _resolve(addresses, deadline, concurrency))

    # its own daemon thread, not the loop's executor: asyncio.run() joins the executor's
    # threads at the end, and a lookup stuck in the resolver must not hold the run up
    threading.Thread(target=run, name="netdoc-rdns", daemon=True).start()
    return await done
