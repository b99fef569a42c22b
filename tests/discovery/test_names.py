"""Reverse DNS (netdoc/discover/collectors/names.py): every lookup of a batch runs at once and the
batch has one deadline, so a resolver that is slow or does not answer at all costs
that deadline once, never timeout x attempts per address."""
from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import netdoc.discover.collectors.names as names
from netdoc.config import DiscoverySettings

ROOT = Path(__file__).resolve().parents[2]


def test_a_slow_resolver_costs_the_deadline_once_and_fast_answers_are_kept(monkeypatch: Any) -> None:
    stuck = threading.Event()

    def ptr(address: str) -> str:  # plays the resolver: .1x answer at once, the rest hang
        if address.startswith("192.0.2.1"):
            return f"host-{address.rsplit('.', 1)[1]}.example.net"
        stuck.wait(30)
        return ""

    monkeypatch.setattr(names, "_ptr", ptr)
    addresses = [f"192.0.2.{n}" for n in range(1, 255)]
    started = time.monotonic()
    found = names.resolve_names(addresses, deadline=0.5, concurrency=64)
    elapsed = time.monotonic() - started
    stuck.set()
    assert elapsed < 0.9
    assert found["192.0.2.10"] == "host-10.example.net"
    assert "192.0.2.50" not in found


def test_all_answers_come_back_well_before_the_deadline(monkeypatch: Any) -> None:
    def ptr(address: str) -> str:
        time.sleep(0.05)
        return f"n{address}"

    monkeypatch.setattr(names, "_ptr", ptr)
    started = time.monotonic()
    found = names.resolve_names([f"198.51.100.{n}" for n in range(1, 101)], deadline=5.0,
                                concurrency=50)
    assert len(found) == 100
    assert time.monotonic() - started < 1.0  # 100 x 50 ms, 50 at a time: about 0.1 s


def test_async_callers_get_the_same_answer_and_the_loop_is_not_held(monkeypatch: Any) -> None:
    import asyncio

    def ptr(address: str) -> str:
        if address.endswith(".9"):
            time.sleep(10)
            return "late.example.net"
        return "fast.example.net"

    monkeypatch.setattr(names, "_ptr", ptr)

    async def main() -> tuple[dict[str, str], float]:
        started = time.monotonic()
        result = await names.reverse_dns(["203.0.113.8", "203.0.113.9"], deadline=0.3)
        return result, time.monotonic() - started

    started = time.monotonic()
    result, inside = asyncio.run(main())
    assert result == {"203.0.113.8": "fast.example.net"}
    assert inside < 0.8
    assert time.monotonic() - started < 1.0  # asyncio.run() does not wait for the stuck lookup


def test_the_deadline_is_a_discovery_setting() -> None:
    assert DiscoverySettings().dns_deadline == 2.0


LOOKUP = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
from netdoc.discover.collectors.names import reverse_dns
addresses, deadline = json.loads(sys.argv[2]), float(sys.argv[3])
started = time.monotonic()
found = asyncio.run(reverse_dns(addresses, deadline))
print(json.dumps({"found": found, "seconds": time.monotonic() - started}))
"""


def _lookup_in_probe(lab: Any, addresses: list[str], deadline: float,
                     nameserver: str = "") -> tuple[dict[str, Any], float]:
    """Run the lookups in the probe's namespace; with `nameserver`, in a private mount
    namespace whose /etc/resolv.conf names it (the lab's own file stays untouched)."""
    argv = [sys.executable, "-c", LOOKUP, str(ROOT), json.dumps(addresses), str(deadline)]
    with tempfile.TemporaryDirectory() as folder:
        if nameserver:
            resolv = Path(folder) / "resolv.conf"
            resolv.write_text(f"nameserver {nameserver}\noptions timeout:5 attempts:2\n")
            script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
            argv = ["unshare", "-m", "sh", "-c", script, "sh", str(resolv), *argv]
        started = time.monotonic()
        done = subprocess.run(["ip", "netns", "exec", lab.netns(lab.probe), *argv],
                              capture_output=True, text=True, timeout=60)
        wall = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def _unused_address(truth: dict[str, Any]) -> str:
    """An address in the probe's own subnet that no node holds: nothing answers there."""
    used = {i["ipv4"][0].split("/")[0] for node in truth["nodes"].values()
            for i in node["interfaces"] if i.get("ipv4")}
    hq = ipaddress.IPv4Network(truth["subnets"][0]["cidr"])
    return next(str(a) for a in reversed(list(hq.hosts())) if str(a) not in used)


@pytest.mark.lab
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root and unshare (a private mount namespace per lookup run)")
def test_in_the_lab_an_unreachable_resolver_costs_only_the_deadline(lab: Any) -> None:
    truth = lab.ground_truth
    managed = {n: node["mgmt_ip"] for n, node in truth["nodes"].items() if node.get("mgmt_ip")}
    addresses = sorted(managed.values(), key=ipaddress.IPv4Address)

    # the lab's own name server answers: names come back
    answered, _ = _lookup_in_probe(lab, addresses, deadline=2.0)
    assert answered["found"], "the lab's name server gave no PTR names"
    some = next(iter(answered["found"].items()))
    assert some[1].split(".")[0] in managed

    # a name server that never answers: the whole batch, process start included,
    # costs the deadline (1 s here) plus start-up, where each lookup alone would take 10 s
    silent, wall = _lookup_in_probe(lab, addresses, deadline=1.0,
                                    nameserver=_unused_address(truth))
    assert silent["found"] == {}
    assert silent["seconds"] < 1.3
    assert wall < 2.5
