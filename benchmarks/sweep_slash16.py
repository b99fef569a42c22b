"""Benchmark (issue 18): a whole /16 with 500 live hosts, swept for liveness, vs nmap -sn.

    sudo .venv/bin/python benchmarks/sweep_slash16.py [--rates 50000] [--runs 3] [--no-nmap]

No /16 can be built from the TEST-NET ranges, but one can from loopback addresses
(127.0.0.0/8, which this workplace allows) inside a network namespace of the
benchmark's own, where nothing reaches any real interface:

- namespace A ("the probe and the 500 hosts"): lo keeps 127.0.0.1/32 instead of the
  usual 127.0.0.0/8, so only addresses put on it are local; 500 addresses spread over
  127.1.0.0/16 (a fixed pseudo-random choice) are added to lo, and its kernel answers
  ICMP echo and TCP SYNs for each of them as 500 hosts would (echo reply; SYN-ACK or
  RST);
- the rest of 127.1.0.0/16 is routed (route_localnet) through a veth to a gateway in
  namespace B (198.51.100.2/30), whose kernel drops every one of those packets, as a
  subnet of absent hosts does: 65,034 silent addresses, each costing the sweep every
  probe it sends and its retry;
- netdoc's `liveness_sweep` (ICMP echo + 9 TCP ports, one retry, as `netdoc
  discover` runs it on a routed subnet) of the 65,534 addresses at each --rates
  (packets/s; `discovery.arp_rate`), in a fresh interpreter inside namespace A:
  wall time and recall against the 500;
- `nmap -sn -n -T4 --min-rate R` of the same /16 at the same rate (nmap's default
  timing on a /16 of mostly absent hosts takes many minutes), unless --no-nmap.

Namespaces are named ndsl<pid>-a/-b and removed at the end, also on failure.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SLASH16 = ipaddress.IPv4Network("127.1.0.0/16")
LIVE = 500
SEED = 16  # the same 500 addresses every run

SWEEP = """
import ipaddress, json, sys, time
started = time.perf_counter()
from netdoc.discover.collectors.liveness import liveness_sweep
network = ipaddress.IPv4Network({network!r})
addresses = [str(a) for a in network.hosts()]
found = liveness_sweep(addresses, rate={rate})
print(json.dumps({{"seconds": time.perf_counter() - started, "addresses": len(addresses),
                  "found": [s.ip for s in found]}}))
"""


def live_hosts() -> list[str]:
    hosts = list(SLASH16.hosts())
    return sorted((str(a) for a in random.Random(SEED).sample(hosts, LIVE)),
                  key=ipaddress.IPv4Address)


class Slash16:
    """The two namespaces; removed on exit."""

    def __init__(self) -> None:
        tag = f"ndsl{os.getpid()}"
        self.probe, self.gateway = f"{tag}-a", f"{tag}-b"

    def __enter__(self) -> "Slash16":
        try:
            for ns in (self.probe, self.gateway):
                _ip("netns", "add", ns)
            _ip("-n", self.probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
                "netns", self.gateway)
            _batch(self.gateway, ["link set lo up", "addr add 198.51.100.2/30 dev v1",
                                  "link set v1 up"])
            _batch(self.probe, ["link set lo up", "addr del 127.0.0.1/8 dev lo",
                                "addr add 127.0.0.1/32 dev lo",
                                "addr add 198.51.100.1/30 dev v0", "link set v0 up"]
                   + [f"addr add {a}/32 dev lo" for a in live_hosts()])
            for setting in ("all", "v0"):
                self.run(["sysctl", "-qw", f"net.ipv4.conf.{setting}.route_localnet=1"])
            _batch(self.probe, [f"route add {SLASH16} via 198.51.100.2 dev v0"])
        except BaseException:
            self.__exit__()
            raise
        return self

    def run(self, argv: list[str], timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.probe, *argv], capture_output=True,
                              text=True, cwd=ROOT, check=False, timeout=timeout)

    def __exit__(self, *exc: object) -> None:
        for ns in (self.probe, self.gateway):  # deleting a namespace removes its veth end
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _batch(namespace: str, commands: list[str]) -> None:
    subprocess.run(["ip", "-n", namespace, "-batch", "-"], input="\n".join(commands) + "\n",
                   text=True, check=True, capture_output=True)


def sweep_netdoc(lab: Slash16, rate: int) -> tuple[float, set[str]]:
    started = time.perf_counter()
    done = lab.run([sys.executable, "-c", SWEEP.format(network=str(SLASH16), rate=rate)])
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"netdoc's sweep failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return wall, set(report["found"])


def sweep_nmap(lab: Slash16, rate: int) -> tuple[float, set[str]]:
    started = time.perf_counter()
    done = lab.run(["nmap", "-sn", "-n", "-T4", "--min-rate", str(rate), "--max-rate",
                    str(rate), "-oG", "-", str(SLASH16)])
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"nmap failed: {done.stderr.strip()[-2000:]}")
    return wall, set(re.findall(r"^Host: (\S+) .*Status: Up", done.stdout, re.M))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50000", help="packets/s, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-nmap", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root (it creates network namespaces)")
    truth = set(live_hosts())
    tools: dict[str, Any] = {"netdoc": sweep_netdoc}
    if not args.no_nmap and shutil.which("nmap"):
        tools["nmap -sn"] = sweep_nmap
    results: dict[str, Any] = {"addresses": SLASH16.num_addresses - 2, "live": len(truth),
                               "rates": {}}
    with Slash16() as lab:
        for rate in (int(r) for r in args.rates.split(",")):
            row: dict[str, Any] = {}
            for name, sweep in tools.items():
                walls, recalls, phantoms = [], [], 0
                for _ in range(args.runs):
                    wall, found = sweep(lab, rate)
                    walls.append(wall)
                    recalls.append(len(found & truth) / len(truth))
                    phantoms = max(phantoms, len(found - truth))
                row[name] = {"median_s": round(statistics.median(walls), 2),
                             "min_s": round(min(walls), 2), "max_s": round(max(walls), 2),
                             "recall": min(recalls), "phantoms": phantoms}
                print(f"rate {rate}/s, {name}: median {statistics.median(walls):.2f} s "
                      f"({min(walls):.2f}-{max(walls):.2f}), recall {min(recalls):.1%}, "
                      f"{phantoms} phantom(s)", file=sys.stderr)
            if "nmap -sn" in row:
                row["ratio_netdoc_nmap"] = round(row["netdoc"]["median_s"]
                                                 / row["nmap -sn"]["median_s"], 2)
            results["rates"][rate] = row
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
