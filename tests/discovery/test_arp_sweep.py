"""The ARP sweep (netdoc/discover/collectors/arp.py) on a segment of the test's own making: two
network namespaces joined by a veth pair, TEST-NET-3 addresses only. Hosts are
the kernel's own ARP replies plus one slow host played by a raw-socket responder
that answers only after a delay, as a sleepy NIC or a Wi-Fi client in power save does."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SWEEPER, FAST_HOSTS, SLOW_HOST, SILENT = "203.0.113.1", ["203.0.113.2", "203.0.113.3"], \
    "203.0.113.9", "203.0.113.20"
SLOW_REPLY = 0.3  # seconds the slow host takes to answer

SLOW_RESPONDER = r"""
import socket, struct, sys, time
interface, address, delay = sys.argv[1], socket.inet_aton(sys.argv[2]), float(sys.argv[3])
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
sock.bind((interface, 0x0806))
mac = sock.getsockname()[4][:6]
print("ready", flush=True)
while True:
    frame = sock.recv(128)
    if len(frame) < 42 or frame[20:22] != b"\x00\x01" or frame[38:42] != address:
        continue
    asker_mac, asker_ip = frame[22:28], frame[28:32]
    time.sleep(delay)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac, address, asker_mac, asker_ip)
    sock.send(asker_mac + mac + b"\x08\x06" + arp)
"""

SWEEP = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from netdoc.discover.collectors.arp import arp_sweep
from netdoc.errors import NetdocError
args = json.loads(sys.argv[2])
started = time.monotonic()
try:
    found = arp_sweep(args["addresses"], args["interface"], **args["options"])
except NetdocError as exc:
    print(json.dumps({"error": str(exc)}))
else:
    print(json.dumps({"found": [[s.ip, s.mac, s.source] for s in found],
                      "seconds": time.monotonic() - started}))
"""


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True, text=True)


@dataclass
class Segment:
    sweeper_ns: str
    hosts_ns: str
    hosts_mac: str

    def sweep(self, addresses: list[str], interface: str = "sweep0",
              **options: Any) -> dict[str, Any]:
        argv = ["ip", "netns", "exec", self.sweeper_ns, sys.executable, "-c", SWEEP, str(ROOT),
                json.dumps({"addresses": addresses, "interface": interface,
                            "options": options})]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def segment() -> Iterator[Segment]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("the ARP sweep test needs root and iproute2 (it creates network namespaces)")
    sweeper, hosts = f"ndarp{os.getpid()}-s", f"ndarp{os.getpid()}-h"
    responder: subprocess.Popen[str] | None = None
    try:
        _ip("netns", "add", sweeper)
        _ip("netns", "add", hosts)
        _ip("-n", sweeper, "link", "add", "name", "sweep0", "type", "veth", "peer", "name",
            "hosts0", "netns", hosts)
        _ip("-n", sweeper, "addr", "add", f"{SWEEPER}/24", "dev", "sweep0")
        for address in FAST_HOSTS:
            _ip("-n", hosts, "addr", "add", f"{address}/24", "dev", "hosts0")
        for namespace, interface in ((sweeper, "sweep0"), (hosts, "hosts0")):
            _ip("-n", namespace, "link", "set", "dev", interface, "up")
        hosts_mac = subprocess.run(["ip", "netns", "exec", hosts, "cat",
                                    "/sys/class/net/hosts0/address"],
                                   capture_output=True, text=True, check=True).stdout.strip()
        responder = subprocess.Popen(["ip", "netns", "exec", hosts, sys.executable, "-c",
                                      SLOW_RESPONDER, "hosts0", SLOW_HOST, str(SLOW_REPLY)],
                                     stdout=subprocess.PIPE, text=True)
        assert responder.stdout is not None and responder.stdout.readline().strip() == "ready"
        _wait_until_carrier(sweeper, "sweep0")
        yield Segment(sweeper, hosts, hosts_mac)
    finally:
        if responder is not None:
            responder.kill()  # our own child, by its handle
            responder.wait(10)
        for namespace in (sweeper, hosts):
            subprocess.run(["ip", "netns", "delete", namespace], capture_output=True)


def _wait_until_carrier(namespace: str, interface: str) -> None:
    for _ in range(50):
        state = subprocess.run(["ip", "netns", "exec", namespace, "cat",
                                f"/sys/class/net/{interface}/operstate"],
                               capture_output=True, text=True).stdout.strip()
        if state == "up":
            return
        time.sleep(0.1)


def _targets(last: int) -> list[str]:
    return [f"203.0.113.{n}" for n in range(2, last + 1)]


def test_every_host_that_answers_is_found_with_its_mac_and_no_one_else(segment: Segment) -> None:
    result = segment.sweep(_targets(30), retries=2)
    assert result["found"] == [[ip, segment.hosts_mac, "arp-sweep"]
                               for ip in [*FAST_HOSTS, SLOW_HOST]]


def test_a_host_slower_than_the_networks_pace_is_caught_by_the_retry(segment: Segment) -> None:
    # The fast hosts size the wait after a pass (0.25 s); the slow host's answer to the
    # first request arrives during the retry and counts.
    result = segment.sweep([*FAST_HOSTS, SLOW_HOST, SILENT], retries=1)
    assert [ip for ip, _, _ in result["found"]] == [*FAST_HOSTS, SLOW_HOST]


def test_with_no_answer_yet_the_full_reply_wait_is_given(segment: Segment) -> None:
    result = segment.sweep([SLOW_HOST, SILENT], retries=0, reply_wait=1.0)
    assert [ip for ip, _, _ in result["found"]] == [SLOW_HOST]


def test_the_sweep_stops_waiting_once_every_address_answered(segment: Segment) -> None:
    result = segment.sweep(FAST_HOSTS, retries=2, reply_wait=30.0)
    assert [ip for ip, _, _ in result["found"]] == FAST_HOSTS
    assert result["seconds"] < 15, "waited for replies although every address had answered"


def test_each_address_is_reported_once_in_address_order(segment: Segment) -> None:
    result = segment.sweep(["203.0.113.3", "203.0.113.2", "203.0.113.3"], retries=0)
    assert [ip for ip, _, _ in result["found"]] == FAST_HOSTS


def test_a_missing_interface_is_an_error_that_names_it(segment: Segment) -> None:
    result = segment.sweep(FAST_HOSTS, interface="nosuch0")
    assert "nosuch0" in result["error"] and "ip link show nosuch0" in result["error"]


def test_a_whole_24_ends_soon_after_the_slowest_hosts_patience(segment: Segment) -> None:
    # 253 addresses, two retries: the first pass goes out in one burst, the retries are
    # paced, and the sweep ends once the silent addresses had PATIENCE (0.32 s) since
    # their first request, not a reply wait per pass. The slow host (0.3 s) still counts.
    result = segment.sweep(_targets(254), retries=2)
    assert [ip for ip, _, _ in result["found"]] == [*FAST_HOSTS, SLOW_HOST]
    assert result["seconds"] < 0.7, f"a /24 took {result['seconds']:.2f} s"


def test_beyond_the_burst_the_configured_rate_paces_the_requests(segment: Segment) -> None:
    # 507 addresses at 1,000/s: 256 go at once, the other 251 take a quarter second (the
    # first 254 are TEST-NET-2 addresses no one on this segment holds)
    addresses = [f"198.51.100.{n}" for n in range(1, 255)] + _targets(254)
    result = segment.sweep(addresses, retries=0, rate=1000)
    assert [ip for ip, _, _ in result["found"]] == [*FAST_HOSTS, SLOW_HOST]
    assert result["seconds"] >= 0.25
