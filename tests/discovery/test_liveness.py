"""The routed liveness sweep (netdoc/discover/collectors/liveness.py) against the routed lab: the
branch subnet behind the router holds quiet hosts (in no ARP or MAC table until
asked), one that drops ICMP (found by its TCP answer), one that answers nothing
but ARP (not alive to a routed sweep), a managed switch and the router itself.
Every probe stays inside the lab's namespaces (TEST-NET addresses)."""
from __future__ import annotations

import ipaddress
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from support.lab_fixtures import lab_location, lab_unavailable_reason

ROOT = Path(__file__).resolve().parents[2]

SWEEP = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from netdoc.discover.collectors.liveness import liveness_sweep
addresses, options = json.loads(sys.argv[2]), json.loads(sys.argv[3])
started = time.monotonic()
found = liveness_sweep(addresses, **options)
print(json.dumps({"found": {s.ip: s.source for s in found},
                  "seconds": time.monotonic() - started}))
"""


@pytest.fixture(scope="module")
def routed_lab() -> Iterator[Any]:
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    from netdoc.lab import Lab

    state_dir, prefix = lab_location("live")
    lab = Lab.up("routed", state_dir, prefix)
    try:
        yield lab
    finally:
        lab.down()


def _alive_in(truth: dict[str, Any], network: ipaddress.IPv4Network) -> dict[str, str]:
    """address -> node of everything in `network` that answers a routed probe."""
    dropping = {e["node"] for e in truth["endpoints"] if e.get("drop") == "all"}
    alive = {}
    for name, node in truth["nodes"].items():
        for interface in node["interfaces"]:
            for cidr in interface.get("ipv4", []):
                ip = cidr.split("/")[0]
                if ipaddress.IPv4Address(ip) in network and name not in dropping:
                    alive[ip] = name
    return alive


def _sweep(lab: Any, addresses: list[str], **options: Any) -> dict[str, Any]:
    done = lab.exec(lab.probe, [sys.executable, "-c", SWEEP, str(ROOT), json.dumps(addresses),
                                json.dumps(options)], timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.lab
def test_every_live_host_of_the_routed_subnet_is_found_and_nothing_else(routed_lab: Any) -> None:
    truth = routed_lab.ground_truth
    branch = ipaddress.IPv4Network(next(s["cidr"] for s in truth["subnets"]
                                        if s["name"] == "branch"))
    expected = _alive_in(truth, branch)
    only_arp = {e["ip"] for e in truth["endpoints"] if e.get("drop") == "all"}
    no_icmp = {e["ip"] for e in truth["endpoints"] if e.get("drop") == "icmp"}
    assert only_arp and no_icmp and len(expected) >= 5  # the lab is what this test is about

    started = time.monotonic()
    result = _sweep(routed_lab, [str(a) for a in branch.hosts()])
    wall = time.monotonic() - started

    assert set(result["found"]) == set(expected)  # 100 % recall, no phantom host
    assert not only_arp & set(result["found"])
    for address in no_icmp:
        assert result["found"][address].startswith("tcp ")  # its RST or SYN-ACK told
    assert result["seconds"] < 2.5  # ~1.3 s: 254 x 10 probes, then a retry, at 2,000/s
    assert wall < 4.0


@pytest.mark.lab
def test_an_empty_range_ends_after_one_reply_wait_and_rulers_shorten_it(routed_lab: Any) -> None:
    # nothing lives in .200-.220: the retries follow each pass at once, and only the
    # last pass waits for late replies, the whole reply wait as nothing ever answered
    empty = [f"198.51.100.{n}" for n in range(200, 221)]
    result = _sweep(routed_lab, empty, reply_wait=1.0, retries=2)
    assert result["found"] == {}
    assert 1.0 <= result["seconds"] < 1.5

    # with the router (alive, known) pinged alongside as a ruler, the sweep knows the
    # round trip and waits a few of them (at least 0.25 s) instead of the reply wait
    router = next(s["gateway"] for s in routed_lab.ground_truth["subnets"]
                  if s["name"] == "branch")
    ruled = _sweep(routed_lab, empty, reply_wait=1.0, retries=2, rulers=[router])
    assert ruled["found"] == {}  # a ruler is no finding: it was known before
    assert ruled["seconds"] < 0.6
