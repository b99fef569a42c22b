"""Benchmark (issue 18): the routed liveness sweep at scale, and what a /16 costs.

    sudo .venv/bin/python benchmarks/sweep_scale.py [--rates 2000,8000] [--runs 3]

The issue asks for a /16 with 500 live hosts. The lab may only use the TEST-NET
ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24): 762 addresses, no /16 can
be built from them. So this measures the largest routed range that can be built and
derives the /16 from the measured cost per address:

- a probe namespace (192.0.2.10/24) routes 198.51.100.0/24 and 203.0.113.0/24
  through a host namespace (192.0.2.1); the host namespace holds 500 of those 508
  addresses (198.51.100.1-250 and 203.0.113.1-250): its kernel answers ICMP echo and
  TCP SYNs for each of them as 500 hosts would;
- sweep A: `liveness_sweep` of the 508 addresses with 500 live: recall and time;
(both with the gateway as a `ruler`, as `netdoc discover` passes the hosts the router's
ARP table named, so the round trip is known even when no swept address answers)
- sweep B: the same 508 addresses with none live (the host namespace does not
  forward, so nothing answers): the cost of a silent address, which is what a /16
  is made of (65,036 of its 65,536 addresses are silent);
  and once more with half of them (254): the slope is the cost of one more silent
  address, the rest the fixed final wait;
- the /16 estimate: fixed + 500 x (live cost) + 65,036 x (silent cost), per rate;
  while the sweep is bound by its rate (at the default 2,000/s and at 8,000/s it is),
  slope x rate is the number of probes per silent address. At rates the sender and
  the final wait no longer follow (32,000/s here) the slope is noise: read the /16
  there as probes x 65,036 / rate at best.

Each sweep runs in a fresh interpreter inside the probe namespace (the time is the
sweep alone, measured in that process). Namespaces are named ndsw<pid>-p/-h and
removed at the end, also on failure. Nothing leaves the two namespaces.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ROUTED = ("198.51.100.0/24", "203.0.113.0/24")
LIVE_PER_SUBNET = 250  # .1-.250 of each: 500 live hosts
SLASH16 = 65536

SWEEP = """
import ipaddress, json, sys, time
from netdoc.discover.collectors.liveness import liveness_sweep
addresses = [str(a) for net in {nets!r} for a in ipaddress.IPv4Network(net)
             if a != ipaddress.IPv4Network(net).network_address
             and a != ipaddress.IPv4Network(net).broadcast_address]
started = time.perf_counter()
found = liveness_sweep(addresses, rate={rate}, rulers=("192.0.2.1",))
print(json.dumps({{"seconds": time.perf_counter() - started, "addresses": len(addresses),
                  "found": [s.ip for s in found]}}))
"""


class Namespaces:
    def __init__(self) -> None:
        import os

        tag = f"ndsw{os.getpid()}"
        self.probe, self.hosts = f"{tag}-p", f"{tag}-h"
        self.veth_p, self.veth_h = f"{tag}p"[-15:], f"{tag}h"[-15:]

    def __enter__(self) -> "Namespaces":
        try:
            for ns in (self.probe, self.hosts):
                _ip("netns", "add", ns)
            _ip("link", "add", self.veth_p, "type", "veth", "peer", "name", self.veth_h)
            _ip("link", "set", self.veth_p, "netns", self.probe)
            _ip("link", "set", self.veth_h, "netns", self.hosts)
            batch_p = [f"addr add 192.0.2.10/24 dev {self.veth_p}", f"link set {self.veth_p} up",
                       "link set lo up"] + [f"route add {net} via 192.0.2.1" for net in ROUTED]
            batch_h = [f"addr add 192.0.2.1/24 dev {self.veth_h}", f"link set {self.veth_h} up",
                       "link set lo up"]
            _batch(self.probe, batch_p)
            _batch(self.hosts, batch_h)
        except BaseException:
            self.__exit__()
            raise
        return self

    def live(self, on: bool) -> None:
        """Give the host namespace the 500 live addresses, or take them away."""
        verb = "add" if on else "del"
        _batch(self.hosts, [f"addr {verb} {net.rsplit('.', 1)[0]}.{n}/32 dev lo"
                            for net in ROUTED for n in range(1, LIVE_PER_SUBNET + 1)],
               force=not on)  # deleting what is not there is no error

    def sweep(self, rate: int, nets: tuple[str, ...] = ROUTED) -> dict[str, Any]:
        code = SWEEP.format(nets=list(nets), rate=rate)
        done = subprocess.run(["ip", "netns", "exec", self.probe, sys.executable, "-c", code],
                              capture_output=True, text=True, cwd=ROOT, check=False,
                              timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"sweep failed: {done.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def __exit__(self, *exc: object) -> None:
        for ns in (self.probe, self.hosts):  # deleting a namespace removes its veth end
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _batch(namespace: str, commands: list[str], force: bool = False) -> None:
    subprocess.run(["ip", "-n", namespace, *(["-force"] if force else []), "-batch", "-"],
                   input="\n".join(commands) + "\n", text=True, check=not force,
                   capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="2000,8000", help="packets/s to sweep at")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    truth = {f"{net.rsplit('.', 1)[0]}.{n}" for net in ROUTED
             for n in range(1, LIVE_PER_SUBNET + 1)}
    results: dict[str, Any] = {"live_hosts": len(truth), "rates": {}}
    with Namespaces() as lab:
        for rate in rates:
            silent, half, live, recall = [], [], [], []
            for _ in range(args.runs):
                lab.live(False)
                half.append(lab.sweep(rate, ROUTED[:1])["seconds"])
                empty = lab.sweep(rate)
                silent.append(empty["seconds"])
                lab.live(True)
                full = lab.sweep(rate)
                live.append(full["seconds"])
                found = set(full["found"])
                recall.append(len(found & truth) / len(truth))
                if found - truth:
                    raise SystemExit(f"phantom hosts: {sorted(found - truth)[:5]}")
            addresses = empty["addresses"]
            # the slope between 254 and 508 silent addresses: the cost of one more silent
            # address, without the fixed final wait both sweeps pay once
            t_half, t_silent = statistics.median(half), statistics.median(silent)
            per_silent = (t_silent - t_half) / (addresses / 2)
            fixed = max(0.0, t_silent - addresses * per_silent)
            t_live = statistics.median(live)
            per_live = max(0.0, (t_live - fixed - (addresses - len(truth)) * per_silent)
                           / len(truth))
            estimate = fixed + len(truth) * per_live + (SLASH16 - len(truth)) * per_silent
            results["rates"][rate] = {
                "addresses": addresses, "live_sweep_s": round(t_live, 3),
                "live_sweep_min_max_s": [round(min(live), 3), round(max(live), 3)],
                "recall": min(recall), "silent_sweep_s": round(t_silent, 3),
                "silent_half_sweep_s": round(t_half, 3), "fixed_s": round(fixed, 3),
                "silent_ms_per_address": round(per_silent * 1000, 3),
                "slash16_500_live_estimate_s": round(estimate, 1),
                # while the sweep is bound by its rate, slope x rate = probes per silent
                # address, and the rate a /16 needs to end within 20 s follows from it
                "probes_per_silent_address": round(per_silent * rate, 1),
                "rate_for_slash16_in_20s": round(per_silent * rate * (SLASH16 - len(truth))
                                                 / max(0.1, 20 - fixed))}
            print(f"rate {rate}/s: {addresses} addresses, 500 live: {t_live:.2f} s "
                  f"(recall {min(recall):.0%}); none live: {t_silent:.2f} s, 254 of them "
                  f"{t_half:.2f} s: {per_silent * 1000:.2f} ms per silent address + {fixed:.2f} s "
                  f"once -> a /16 with 500 live: "
                  f"about {estimate:.0f} s", file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
