"""Benchmark: SNMP against hosts that drop it silently, the full poll vs first contact.

    .venv/bin/python benchmarks/snmp_silent.py [--hosts 60] [--runs 3]

On loopback only: --hosts UDP sockets that swallow every datagram (what a Windows
PC's firewall does to SNMP) and one real net-snmp snmpd (v2c + SNMPv3 users, the
test suite's agent). Credential sets as in the site lab: an SNMPv3 set first, then
a v2c community. Timed, each with every host at once (as `netdoc discover` does):

1. the full poll of every host (netdoc.discover.collectors.snmp.poll_device with the
   default settings: 2 s timeout, 1 retry, every credential set in turn), which is
   what discovery did before issue 18;
2. the first contact of netdoc/discover/probe.py (one SNMPv3 engine discovery + one
   GET with the community, no retry, probe_timeout 1 s), then the full poll only of
   the hosts that answered;
3. the same, next run: the hosts silent last time get all communities at once.

It also counts the datagrams the silent hosts received, and checks that the real
agent is polled in each case (its first contact costs one round trip).
"""
from __future__ import annotations

import argparse
import asyncio
import select
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings  # noqa: E402
from netdoc.discover.collectors.snmp import poll_device  # noqa: E402
from netdoc.discover.probe import first_contact  # noqa: E402
from netdoc.secrets import Secret  # noqa: E402
from support.snmp_agents import (  # type: ignore[import-not-found]  # noqa: E402
    COMMUNITY, V3_AUTH_KEY, V3_PRIV_KEY, V3_USER, start_snmpd)

SETTINGS = SnmpSettings()  # the defaults discovery uses


class Swallower:
    """UDP sockets on loopback that read and drop every datagram, counting them."""

    def __init__(self, count: int) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            self.sockets.append(sock)
        self.ports = [int(s.getsockname()[1]) for s in self.sockets]
        self.received = 0
        self.running = True
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while self.running:
            for sock in select.select(self.sockets, [], [], 0.2)[0]:
                sock.recv(65535)
                self.received += 1

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        for sock in self.sockets:
            sock.close()


def credential_sets() -> list[CredentialSet]:
    return [CredentialSet("lab-snmp3", snmp=SnmpCredential(
                version="3", user=V3_USER, auth="sha", auth_key=Secret(V3_AUTH_KEY),
                priv="aes", priv_key=Secret(V3_PRIV_KEY))),
            CredentialSet("lab-snmp", snmp=SnmpCredential(version="2c",
                                                          community=Secret(COMMUNITY)))]


async def full_polls(targets: list[int]) -> tuple[int, list[float]]:
    sets = credential_sets()
    results = await asyncio.gather(*(poll_device("127.0.0.1", port, sets, SETTINGS)
                                     for port in targets))
    return sum(1 for r in results if r.ok), [r.seconds for r in results if r.ok]


async def with_first_contact(targets: list[int], silent_before: set[int]) \
        -> tuple[int, list[float], set[int]]:
    sets = credential_sets()

    async def one(port: int) -> tuple[bool, float, bool]:
        started = time.monotonic()
        reach = await first_contact("127.0.0.1", port, sets, SETTINGS.probe_timeout,
                                    was_silent=port in silent_before)
        if not reach.answered:
            return False, 0.0, True
        result = await poll_device("127.0.0.1", port, reach.order(sets), SETTINGS)
        return result.ok, time.monotonic() - started, False

    results = await asyncio.gather(*(one(p) for p in targets))
    silent = {p for p, (_, _, quiet) in zip(targets, results) if quiet}
    return sum(1 for ok, _, _ in results if ok), [s for ok, s, _ in results if ok], silent


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=60, help="silent hosts (1-500)")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median)")
    args = parser.parse_args()
    if not 1 <= args.hosts <= 500 or not 1 <= args.runs <= 20:
        parser.error("--hosts 1-500, --runs 1-20")
    with tempfile.TemporaryDirectory(prefix="netdoc-bench-silent-") as folder:
        agent = start_snmpd(Path(folder))
        silent = Swallower(args.hosts)
        try:
            targets = [agent.port, *silent.ports]
            rows: dict[str, list[tuple[float, int, int, float]]] = {}
            remembered: set[int] = set()
            for _ in range(args.runs):
                for name in ("full poll of every host (before)", "first contact, first run",
                             "first contact, next run"):
                    before = silent.received
                    started = time.perf_counter()
                    if name.startswith("full"):
                        polled, agent_seconds = asyncio.run(full_polls(targets))
                    else:
                        known = remembered if name.endswith("next run") else set()
                        polled, agent_seconds, remembered = asyncio.run(
                            with_first_contact(targets, known))
                    wall = time.perf_counter() - started
                    rows.setdefault(name, []).append(
                        (wall, polled, silent.received - before, max(agent_seconds, default=0)))
        finally:
            silent.close()
            agent.stop()
    print(f"{args.hosts} hosts dropping SNMP + 1 snmpd, all at once, credential sets "
          f"[v3, v2c], timeout {SETTINGS.timeout:g} s, retries {SETTINGS.retries}, "
          f"probe_timeout {SETTINGS.probe_timeout:g} s; medians of {args.runs}")
    print(f"  {'strategy':36} {'wall s':>7} {'agent polled':>13} {'datagrams to silent':>20} "
          f"{'agent s':>8}")
    for name, runs in rows.items():
        wall = statistics.median(r[0] for r in runs)
        print(f"  {name:36} {wall:7.2f} {min(r[1] for r in runs):>10}/1  "
              f"{statistics.median(r[2] for r in runs):>18.0f}   "
              f"{statistics.median(r[3] for r in runs):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
