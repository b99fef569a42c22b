"""Benchmark: netdoc's routed liveness sweep vs nmap -sn, and reverse DNS with a
resolver that answers and one that does not vs nmap -sL.

    .venv/bin/python benchmarks/liveness_names.py [--runs 5] [--dead-runs 1] [--baseline REV]
        [--rates 4000 ...] [--no-liveness] [--no-names]

Brings up the site lab's large topology (netdoc/lab/large.yaml) under a prefix
and state dir of its own and measures, from inside the lab's probe namespace:

1. Liveness of the routed branch /24 (198.51.100.0/24 behind the lab's router:
   the router, a switch and 20 PCs): netdoc (netdoc/discover/collectors/liveness.py, a fresh
   interpreter, all 254 addresses, its defaults: 2,000 packets/s, ICMP echo + 9 TCP
   SYNs, 1 retry) against `nmap -sn -n` of the same /24 (root, so ICMP echo and
   timestamp, TCP SYN 443 and ACK 80); --rates R... adds netdoc at other rates. With
   --baseline REV, netdoc/discover/collectors/liveness.py
   as of that revision (scapy `sr`) is timed too. Hosts are checked against the
   lab's ground truth; medians of --runs rounds, interleaved.
2. Reverse DNS of every address in the lab (the lab's dnsmasq answers), then the
   same with the probe's resolver pointed at a lab address where nothing answers
   (a private mount namespace with its own /etc/resolv.conf; the lab's stays):
   netdoc's `reverse_dns` (deadline 2 s) against `nmap -sL -R` of the same list
   (reverse DNS only, no probe is sent to the targets), and the baseline's
   netdoc/discover/collectors/names.py with --baseline.

Traffic stays inside the lab's namespaces (TEST-NET addresses); the lab is taken
down at the end, also on failure or Ctrl-C.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from discovery_sweep import (BENCH_LABS, MARK, MAX_RUNS, TEST_NETS,  # noqa: E402
                             bytecode_as_installed, git_show,
                             helper_output, live_hosts)

TOOL_TIMEOUT = 120.0
RESOLV_CONF = "nameserver {server}\noptions timeout:5 attempts:2\n"  # glibc's defaults


# ---------------------------------------------------------------- helpers (inside the probe)

def _load(module_file: str, name: str) -> Any:
    if not module_file:
        return __import__(f"netdoc.discover.collectors.{name}", fromlist=[name])
    spec = importlib.util.spec_from_file_location(f"baseline_{name}", module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def helper_liveness(cidr: str, module_file: str, rate: str) -> None:
    started = time.perf_counter()
    liveness = _load(module_file, "liveness")
    network = ipaddress.IPv4Network(cidr)
    begun = time.perf_counter()
    found = liveness.liveness_sweep([str(a) for a in network.hosts()], rate=int(rate))
    print(MARK + json.dumps({"hosts": [s.ip for s in found], "sweep": time.perf_counter() - begun,
                             "import": begun - started}), flush=True)


def helper_names(addresses: str, module_file: str) -> None:
    import asyncio

    names = _load(module_file, "names")
    begun = time.perf_counter()
    found = asyncio.run(names.reverse_dns(json.loads(addresses)))
    print(MARK + json.dumps({"names": found, "lookup": time.perf_counter() - begun}), flush=True)


# ---------------------------------------------------------------- running things in the probe

def in_probe(lab: Any, argv: list[str], nameserver: str = "") -> tuple[float, Any]:
    """Run argv in the probe's namespace (with `nameserver`: in a private mount namespace
    whose /etc/resolv.conf names it); return (wall seconds, CompletedProcess)."""
    with tempfile.TemporaryDirectory(prefix="netdoc-bench-resolv-") as folder:
        if nameserver:
            resolv = Path(folder) / "resolv.conf"
            resolv.write_text(RESOLV_CONF.format(server=nameserver), encoding="utf-8")
            argv = ["unshare", "-m", "sh", "-c",
                    'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', "sh",
                    str(resolv), *argv]
        started = time.perf_counter()
        try:
            done = subprocess.run(["ip", "netns", "exec", lab.netns(lab.probe), *argv],
                                  capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        except subprocess.TimeoutExpired:  # counted as TOOL_TIMEOUT seconds, nothing found
            empty = {"hosts": [], "names": {}, "sweep": TOOL_TIMEOUT}
            return TOOL_TIMEOUT, subprocess.CompletedProcess(argv, -9, MARK + json.dumps(empty),
                                                             "killed at the timeout")
        return time.perf_counter() - started, done


def baseline_module(revision: str, name: str, work: Path) -> str:
    text = git_show(revision, f"netdoc/discover/collectors/{name}.py",
                    f"collectors/{name}.py")  # before the layout move (3722d82)
    path = work / f"{name}_{re.sub(r'[^A-Za-z0-9]', '_', revision)}.py"
    path.write_text(text, encoding="utf-8")
    return str(path)


def summarise(times: dict[str, list[float]], found: dict[str, list[set[str]]],
              truth: set[str]) -> dict[str, Any]:
    return {name: {"median": statistics.median(times[name]), "min": min(times[name]),
                   "max": max(times[name]), "found": sorted({len(h) for h in found[name]}),
                   "exact_runs": sum(1 for h in found[name] if h == truth),
                   "missed": sorted(set[str]().union(*(truth - h for h in found[name])),
                                    key=ipaddress.ip_address),
                   "extra": sorted(set[str]().union(*found[name]) - truth,
                                   key=ipaddress.ip_address)}
            for name in times}


def print_table(title: str, rows: dict[str, Any], truth: int, note: str = "") -> None:
    print(f"\n{title}")
    print(f"   {'tool':<28} {'found (truth ' + str(truth) + ')':<18} {'median':>8} "
          f"{'min-max':>15}  exact runs")
    for name, row in rows.items():
        found = "/".join(str(n) for n in row["found"])
        print(f"   {name:<28} {found:<18} {row['median']:>7.3f}s "
              f"{row['min']:>6.3f}-{row['max']:.3f}s  {row['exact_runs']}"
              + (f"  missed {row['missed']}" if row["missed"] else "")
              + (f"  extra {row['extra']}" if row["extra"] else ""))
    if note:
        print("   " + note)


# ---------------------------------------------------------------- 1. liveness

def bench_liveness(lab: Any, runs: int, baseline: str, work: Path,
                   rates: list[int]) -> None:
    branch = next(ipaddress.IPv4Network(s["cidr"]) for s in lab.ground_truth["subnets"]
                  if s["name"] == "branch")
    if not any(branch.subnet_of(net) for net in TEST_NETS):
        raise SystemExit(f"refusing to sweep {branch}: not a TEST-NET range")
    truth = live_hosts(lab.ground_truth, branch)
    sweeps: list[float] = []
    starts: list[float] = []

    def netdoc(module: str = "", rate: int = 2000) -> Callable[[], tuple[float, set[str]]]:
        def sweep() -> tuple[float, set[str]]:
            seconds, done = in_probe(lab, [sys.executable, __file__, "--helper-liveness",
                                           str(branch), module, str(rate)])
            report = helper_output(done)
            if not module and rate == 2000:
                sweeps.append(report["sweep"])
                starts.append(seconds - report["sweep"])
            return seconds, set(report["hosts"])
        return sweep

    def nmap() -> tuple[float, set[str]]:
        seconds, done = in_probe(lab, ["nmap", "-sn", "-n", "-oG", "-", str(branch)])
        if done.returncode != 0:
            raise SystemExit(f"nmap failed: {done.stderr.strip()}")
        return seconds, set(re.findall(r"^Host: (\S+) .*Status: Up", done.stdout, re.M))

    contenders = {"netdoc (raw sockets)": netdoc()}
    for rate in rates:
        contenders[f"netdoc at {rate:,} packets/s"] = netdoc(rate=rate)
    if baseline:
        contenders[f"netdoc @ {baseline}"] = netdoc(
            baseline_module(baseline, "liveness", work))
    contenders["nmap -sn"] = nmap
    times: dict[str, list[float]] = {n: [] for n in contenders}
    found: dict[str, list[set[str]]] = {n: [] for n in contenders}
    for _ in range(runs):
        for name, sweep in contenders.items():
            seconds, hosts = sweep()
            times[name].append(seconds)
            found[name].append(hosts)
    rows = summarise(times, found, truth)
    ours, theirs = rows["netdoc (raw sockets)"]["median"], rows["nmap -sn"]["median"]
    print_table(f"1. liveness of the routed {branch} ({branch.num_addresses - 2} addresses, "
                f"{len(truth)} live), {runs} rounds", rows, len(truth),
                f"netdoc / nmap -sn = {ours / theirs:.2f}x; netdoc's sweep alone "
                f"{statistics.median(sweeps):.3f} s, interpreter + imports "
                f"{statistics.median(starts):.3f} s")


# ---------------------------------------------------------------- 2. names

def silent_address(truth: dict[str, Any]) -> str:
    """An address of the probe's own subnet that no node holds: nothing answers there."""
    used = {str(ipaddress.IPv4Interface(c).ip) for node in truth["nodes"].values()
            for i in node.get("interfaces", []) for c in i.get("ipv4", [])}
    hq = next(ipaddress.IPv4Network(s["cidr"]) for s in truth["subnets"] if s["name"] == "hq")
    return next(str(a) for a in reversed(list(hq.hosts())) if str(a) not in used)


def bench_names(lab: Any, runs: int, dead_runs: int, baseline: str, work: Path) -> None:
    truth = lab.ground_truth
    addresses = sorted({str(ipaddress.IPv4Interface(c).ip) for node in truth["nodes"].values()
                        for i in node.get("interfaces", []) for c in i.get("ipv4", [])
                        if any(ipaddress.IPv4Interface(c).ip in net for net in TEST_NETS)},
                       key=ipaddress.ip_address)
    dead = silent_address(truth)
    named = {line.split()[0] for line in (Path(lab.state_dir) / "hosts").read_text(
        encoding="utf-8").splitlines() if line.strip()} & set(addresses)  # the lab's PTRs
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(addresses) + "\n")
    for label, server, rounds in (("the lab's resolver answers", "", runs),
                                  (f"the probe's resolver ({dead}) does not answer", dead,
                                   dead_runs)):
        def netdoc(module: str = "", server: str = server) -> Callable[[], tuple[float, set[str]]]:
            def lookup() -> tuple[float, set[str]]:
                seconds, done = in_probe(lab, [sys.executable, __file__, "--helper-names",
                                               json.dumps(addresses), module], server)
                return seconds, set(helper_output(done)["names"])
            return lookup

        def nmap(server: str = server) -> tuple[float, set[str]]:
            seconds, done = in_probe(lab, ["nmap", "-sL", "-R", "-oG", "-", "-iL", listing.name],
                                     server)
            return seconds, set(re.findall(r"^Host: (\S+) \(\S+\)", done.stdout, re.M))

        contenders = {"netdoc reverse_dns": netdoc()}
        if baseline:
            contenders[f"netdoc @ {baseline}"] = netdoc(baseline_module(baseline, "names", work))
        contenders["nmap -sL -R"] = nmap
        times: dict[str, list[float]] = {n: [] for n in contenders}
        found: dict[str, list[set[str]]] = {n: [] for n in contenders}
        for _ in range(rounds):
            for name, lookup in contenders.items():
                seconds, named = lookup()
                times[name].append(seconds)
                found[name].append(named)
        expected = named if not server else set()
        print_table(f"2. reverse DNS of {len(addresses)} addresses, {label}, {rounds} rounds",
                    summarise(times, found, expected), len(expected),
                    f"a time of {TOOL_TIMEOUT:g} s means killed at the benchmark's timeout")
    os.unlink(listing.name)


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (median)")
    parser.add_argument("--baseline", default="", help="also time the collectors as of this "
                                                       "git revision")
    parser.add_argument("--dead-runs", type=int, default=1,
                        help="rounds with the silent resolver (nmap -sL needs ~90 s each)")
    parser.add_argument("--no-liveness", action="store_true")
    parser.add_argument("--no-names", action="store_true")
    parser.add_argument("--from-source", action="store_true",
                        help="no byte-code cache: every Python start compiles its imports")
    parser.add_argument("--prefix", default=f"ndbl{os.getpid() % 100000}-")
    parser.add_argument("--state-dir", default=str(BENCH_LABS / f"liveness-{os.getpid()}"))
    parser.add_argument("--rates", type=int, nargs="*", default=[],
                        help="also time the liveness sweep at these rates (packets/s)")
    parser.add_argument("--helper-liveness", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--helper-names", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.helper_liveness:
        helper_liveness(*args.helper_liveness)
        return 0
    if args.helper_names:
        helper_names(*args.helper_names)
        return 0
    if not (1 <= args.runs <= MAX_RUNS and 1 <= args.dead_runs <= MAX_RUNS):
        parser.error(f"--runs and --dead-runs must be between 1 and {MAX_RUNS}")
    if os.geteuid() != 0:
        raise SystemExit("the site lab needs root (it creates network namespaces)")
    for tool in ("nmap", "unshare"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    from netdoc.lab import Lab

    print(f"bringing up the large lab (prefix {args.prefix}, state {args.state_dir}) ...")
    lab = Lab.up("large", args.state_dir, args.prefix)
    try:
        print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}")
        with tempfile.TemporaryDirectory(prefix="netdoc-bench-live-") as folder:
            print(bytecode_as_installed(Path(folder), args.from_source))
            if not args.no_liveness:
                bench_liveness(lab, args.runs, args.baseline, Path(folder), args.rates)
            if not args.no_names:
                bench_names(lab, args.runs, args.dead_runs, args.baseline, Path(folder))
    finally:
        problems = lab.down()
        print("\nlab down" + (f"; problems: {'; '.join(problems)}" if problems else ""))
        if Path(args.state_dir).parent == BENCH_LABS:
            with contextlib.suppress(OSError):
                BENCH_LABS.rmdir()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
