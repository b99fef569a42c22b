"""Benchmark: netdoc's ARP sweep vs arp-scan and nmap -sn, discovery of a whole site, SNMP poll.

    .venv/bin/python benchmarks/discovery_sweep.py [--runs 5] [--discover-runs 3]
        [--snmp-runs 5] [--node sw1] [--baseline REV] [--no-discover] [--no-silent]
        [--no-snmp]

Brings up the site lab's large topology (netdoc/lab/large.yaml: four switches in a
chain, a router, a branch switch, 60 PCs) under a prefix and state dir of its own,
and measures, all from inside the lab's probe namespace, in one run:

1. ARP sweep of the probe's directly attached /24: netdoc (netdoc/discover/collectors/arp.py, in a
   fresh interpreter that imports only the sweep: benchmarks/arp_once.py), `arp-scan --interface=IF CIDR` and
   `nmap -sn -n CIDR` (root in the namespace, so nmap ARP-pings the segment). Hosts
   each one found are checked against the lab's ground truth; wall times are
   medians of --runs rounds, the tools interleaved within each round. With
   --baseline REV, netdoc/discover/collectors/arp.py as of that git revision is timed as well.
2. `netdoc discover` of the whole site (both subnets, SNMP, LLDP, the router's
   ARP table, liveness of the routed subnet, names, inventory commit) with a copy of
   the lab's netdoc.yaml in a scratch folder: wall time (median of --discover-runs,
   a fresh inventory each time), devices found against the ground truth, and one
   instrumented run in-process that splits the time by phase. Then the same again
   with the PCs dropping SNMP silently (a process holds UDP 161 open in their
   namespaces and never answers, as a firewall's DROP does), so every poll of an
   endpoint runs into the SNMP timeouts (skip with --no-silent). And once with the
   probe's resolver pointed at a lab address where nothing answers (a private mount
   namespace with its own /etc/resolv.conf; skip with --no-dead-dns).
3. netdoc's SNMP poll of one lab switch vs snmpbulkwalk of the same tables
   (benchmarks/snmp_poll.py --lab, whose output is shown as it is).

Traffic stays inside the lab's namespaces (TEST-NET addresses); the lab is taken
down at the end, also on failure or Ctrl-C.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import inspect
import io
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

TEST_NETS = [ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24",
                                                 "203.0.113.0/24")]
MAX_RUNS = 50
TOOL_TIMEOUT = 120.0  # seconds any one sweep may take before the benchmark gives up
DISCOVER_TIMEOUT = 600.0
MARK = "BENCH-JSON "  # prefixes the one line of JSON a helper prints
BENCH_LABS = Path("/run/netdoc-bench")
THIS_CHECKOUT = {"PYTHONPATH": str(ROOT)}  # netdoc as in this checkout (or git worktree)


# ---------------------------------------------------------------- helpers (inside the probe)

def helper_split(config: str) -> None:
    """One `netdoc discover` in this process with the phases timed; prints the spans."""
    origin = time.perf_counter()
    spans: list[tuple[str, float, float]] = []
    polls: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []

    import netdoc.discover.collectors.arp
    import netdoc.discover.probe
    import netdoc.discover.collectors.liveness
    import netdoc.discover.collectors.lldp
    import netdoc.discover.collectors.names
    import netdoc.discover.collectors.snmp
    from netdoc.discover import stage
    from netdoc.inventory import store

    def timed(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        def note(begun: float) -> None:
            spans.append((label, begun - origin, time.perf_counter() - origin))

        if inspect.iscoroutinefunction(original):
            @functools.wraps(original)
            async def wrapper_async(*args: Any, **kwargs: Any) -> Any:
                begun = time.perf_counter()
                try:
                    result = await original(*args, **kwargs)
                finally:
                    note(begun)
                if label == "snmp poll":
                    polls.append({"ok": result.ok, "silent": result.no_answer,
                                  "seconds": result.seconds, "error": result.error[:120]})
                if label == "first contact":
                    contacts.append({"verdict": result.verdict, "seconds": result.seconds})
                return result
            setattr(owner, name, wrapper_async)
        else:
            @functools.wraps(original)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                begun = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    note(begun)
            setattr(owner, name, wrapper)

    timed(netdoc.discover.collectors.arp, "arp_sweep", "arp sweep")
    timed(netdoc.discover.collectors.liveness, "liveness_sweep", "liveness sweep")
    timed(netdoc.discover.collectors.lldp, "listen", "lldp listen")
    timed(netdoc.discover.collectors.lldp, "probe_interfaces", "lldp interfaces")
    # in a child process the two above are not seen: the start and end of the listener,
    # as the event loop sees them, are
    original_start = stage._start_listener

    def start_listener(seconds: float) -> Any:
        begun = time.perf_counter()
        future = original_start(seconds)
        future.add_done_callback(lambda _: spans.append(
            ("lldp listener", begun - origin, time.perf_counter() - origin)))
        return future
    setattr(stage, "_start_listener", start_listener)
    timed(netdoc.discover.collectors.names, "reverse_dns", "reverse dns")
    timed(netdoc.discover.collectors.snmp, "poll_device", "snmp poll")
    timed(netdoc.discover.probe, "first_contact", "first contact")
    for method in ("run", "_poll_all", "_crawl_neighbours", "_discover_routed", "_finish"):
        timed(stage.SiteDiscovery, method, method.strip("_"))
    timed(store.InventoryStore, "update", "inventory update")
    from netdoc.app.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["--config", config, "-q", "discover"])
    print(MARK + json.dumps({"code": code, "total": time.perf_counter() - origin,
                             "spans": spans, "polls": polls, "contacts": contacts}))


def helper_blackhole(namespaces: list[str]) -> None:
    """Hold UDP port 161 open in each namespace and never answer: an endpoint whose
    firewall drops SNMP silently (Windows' default), so every poll of it times out."""
    import ctypes
    import select
    import socket

    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    with open("/proc/self/ns/net") as home:
        sockets = []
        for namespace in namespaces:
            with open(f"/run/netns/{namespace}") as target:
                if libc.setns(target.fileno(), clone_newnet) != 0:
                    raise SystemExit(f"setns {namespace}: errno {ctypes.get_errno()}")
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("0.0.0.0", 161))  # the socket stays in the namespace it was made in
            sockets.append(sock)
        libc.setns(home.fileno(), clone_newnet)
    print("ready", flush=True)
    deadline = time.monotonic() + DISCOVER_TIMEOUT * 4  # never outlive a stuck benchmark
    while time.monotonic() < deadline:
        for sock in select.select(sockets, [], [], 1.0)[0]:
            sock.recv(65535)


@contextlib.contextmanager
def silent_snmp(lab: Any, nodes: list[str]) -> Any:
    argv = [sys.executable, __file__, "--helper-blackhole", *(lab.netns(n) for n in nodes)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("could not hold UDP 161 in the endpoints' namespaces")
        yield
    finally:
        process.kill()  # our own child, by its handle
        process.wait(10)


def helper_output(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])  # type: ignore[no-any-return]
    raise SystemExit(f"helper failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


# ---------------------------------------------------------------- the lab and its truth

def probe_attachment(lab: Any) -> tuple[str, ipaddress.IPv4Interface]:
    """(interface, address) by which the probe is attached to its /24."""
    for interface in lab.ground_truth["nodes"][lab.probe]["interfaces"]:
        for cidr in interface.get("ipv4", []):
            address = ipaddress.IPv4Interface(cidr)
            if not any(address.network.subnet_of(net) for net in TEST_NETS):
                raise SystemExit(f"refusing to sweep {address.network}: not a TEST-NET range")
            return str(interface["name"]), address
    raise SystemExit("the lab's probe has no IPv4 address")


def live_hosts(truth: dict[str, Any], network: ipaddress.IPv4Network, *,
               but: str = "") -> set[str]:
    """Every address in `network` that some lab node holds (they all answer ARP)."""
    return {str(ipaddress.IPv4Interface(cidr).ip)
            for node in truth["nodes"].values() for interface in node.get("interfaces", [])
            for cidr in interface.get("ipv4", [])
            if ipaddress.IPv4Interface(cidr).ip in network} - {but}


def scanned_nodes(truth: dict[str, Any]) -> dict[str, str]:
    """name -> management address of every node in a subnet netdoc is told to discover."""
    subnets = [ipaddress.ip_network(s["cidr"]) for s in truth["subnets"] if s["scanned"]]
    return {name: node["mgmt_ip"] for name, node in truth["nodes"].items()
            if node.get("mgmt_ip")
            and any(ipaddress.ip_address(node["mgmt_ip"]) in net for net in subnets)}


# ---------------------------------------------------------------- 1. the sweep

def timed_in_probe(lab: Any, argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = lab.exec(lab.probe, argv, timeout=TOOL_TIMEOUT)
    return time.perf_counter() - started, done


def sweep_netdoc(lab: Any, cidr: str, interface: str, module_file: str = "") \
        -> tuple[float, set[str], dict[str, Any]]:
    seconds, done = timed_in_probe(lab, [sys.executable, str(ROOT / "benchmarks" / "arp_once.py"),
                                         cidr, interface, module_file])
    report = helper_output(done)
    return seconds, set(report["hosts"]), report


def sweep_arp_scan(lab: Any, cidr: str, interface: str) -> tuple[float, set[str]]:
    seconds, done = timed_in_probe(lab, ["arp-scan", f"--interface={interface}", "--plain",
                                         "--quiet", cidr])
    if done.returncode != 0:
        raise SystemExit(f"arp-scan failed: {done.stderr.strip()}")
    return seconds, {line.split()[0] for line in done.stdout.splitlines() if line.strip()}


def sweep_nmap(lab: Any, cidr: str) -> tuple[float, set[str]]:
    seconds, done = timed_in_probe(lab, ["nmap", "-sn", "-n", "-oG", "-", cidr])
    if done.returncode != 0:
        raise SystemExit(f"nmap failed: {done.stderr.strip()}")
    return seconds, set(re.findall(r"^Host: (\S+) .*Status: Up", done.stdout, re.M))


def bytecode_as_installed(folder: Path, from_source: bool) -> str:
    """Every Python the benchmark starts keeps compiled byte-code in `folder` (as an
    installed package has its .pyc files), unless `from_source` (each import compiles,
    as a checkout with PYTHONDONTWRITEBYTECODE=1 does). Returns what was chosen."""
    if from_source:
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        return "byte-code not cached: every import compiles from source"
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return "byte-code cached (a scratch PYTHONPYCACHEPREFIX), as installed"


def git_show(revision: str, *paths: str) -> str:
    """The file at `revision`, from the first of `paths` that exists there."""
    for path in paths:
        done = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{path}"],
                              capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout
    raise SystemExit(f"none of {', '.join(paths)} exists at revision {revision}")


def baseline_module(revision: str, work: Path) -> str:
    text = git_show(revision, "netdoc/discover/collectors/arp.py",
                    "collectors/arp.py")  # before the layout move (3722d82)
    path = work / f"arp_{re.sub(r'[^A-Za-z0-9]', '_', revision)}.py"
    path.write_text(text, encoding="utf-8")
    return str(path)


def bench_sweep(lab: Any, runs: int, baseline: str, work: Path) -> dict[str, Any]:
    interface, attached = probe_attachment(lab)
    cidr, own = str(attached.network), str(attached.ip)
    truth = live_hosts(lab.ground_truth, attached.network, but=own)
    contenders: dict[str, Callable[[], tuple[float, set[str]]]] = {}
    in_process: list[float] = []

    breakdowns: list[str] = []

    def ours() -> tuple[float, set[str]]:
        seconds, hosts, report = sweep_netdoc(lab, cidr, interface)
        in_process.append(report["sweep"])
        breakdowns.append(f"{seconds:.3f} s in all, {report['import']:.3f} s imports; "
                          f"{report.get('breakdown', '')}")
        return seconds, hosts

    contenders["netdoc"] = ours
    if baseline:
        module = baseline_module(baseline, work)
        before: list[float] = []

        def theirs() -> tuple[float, set[str]]:
            seconds, hosts, report = sweep_netdoc(lab, cidr, interface, module)
            before.append(report["sweep"])
            return seconds, hosts
        contenders[f"netdoc @ {baseline}"] = theirs
    contenders["arp-scan"] = lambda: sweep_arp_scan(lab, cidr, interface)
    contenders["nmap -sn"] = lambda: sweep_nmap(lab, cidr)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    found: dict[str, list[set[str]]] = {name: [] for name in contenders}
    for _ in range(runs):
        for name, sweep in contenders.items():
            seconds, hosts = sweep()
            times[name].append(seconds)
            found[name].append(hosts - {own})  # nmap also lists the probe itself
    result: dict[str, Any] = {"cidr": cidr, "interface": interface, "truth": len(truth), "runs": runs,
              "tools": {}, "netdoc_in_process": statistics.median(in_process),
              "breakdowns": breakdowns}
    if baseline:
        result["baseline_in_process"] = statistics.median(before)
    for name in contenders:
        exact = sum(1 for hosts in found[name] if hosts == truth)
        result["tools"][name] = {
            "median": statistics.median(times[name]), "min": min(times[name]),
            "max": max(times[name]), "found": sorted({len(h) for h in found[name]}),
            "exact_runs": exact,
            "missed": sorted(set[str]().union(*(truth - hosts for hosts in found[name])),
                             key=ipaddress.ip_address),  # in at least one run
            "extra": sorted(set[str]().union(*found[name]) - truth, key=ipaddress.ip_address)}
    return result


def print_sweep(result: dict[str, Any]) -> None:
    tools = result["tools"]
    print(f"\n1. ARP sweep of {result['cidr']} on the probe's {result['interface']}: "
          f"{result['truth']} live hosts in the ground truth, {result['runs']} rounds")
    print(f"   {'tool':22} {'hosts found':>12} {'= truth':>8} {'median s':>9} "
          f"{'min s':>7} {'max s':>7}")
    for name, row in tools.items():
        found = "/".join(str(n) for n in row["found"])
        print(f"   {name:22} {found:>12} {row['exact_runs']:>4}/{result['runs']:<3} "
              f"{row['median']:9.3f} {row['min']:7.3f} {row['max']:7.3f}")
        for what in ("missed", "extra"):
            if row[what]:
                print(f"      {what}: {', '.join(row[what])}")
    ours = tools["netdoc"]["median"]
    print(f"   netdoc's sweep alone, in process (no interpreter start-up): "
          f"{result['netdoc_in_process']:.3f} s"
          + (f"; at the baseline revision: {result['baseline_in_process']:.3f} s"
             if "baseline_in_process" in result else ""))
    print("   netdoc, where each run's time went:")
    for line in result.get("breakdowns", []):
        print(f"     {line}")
    for other in ("nmap -sn", "arp-scan"):
        print(f"   ratio netdoc / {other}: {ours / tools[other]['median']:.2f}x"
              + ("   (target <= 1.0x)" if other == "nmap -sn" else ""))


# ---------------------------------------------------------------- 2. discovery

def with_resolver(argv: list[str], nameserver: str, folder: Path) -> list[str]:
    """argv run in a private mount namespace whose /etc/resolv.conf names `nameserver`
    (glibc's default timeout 5 s x 2 attempts); the lab's own resolv.conf stays as it is."""
    if not nameserver:
        return argv
    resolv = folder / "resolv.conf"
    resolv.write_text(f"nameserver {nameserver}\noptions timeout:5 attempts:2\n",
                      encoding="utf-8")
    return ["unshare", "-m", "sh", "-c", 'mount --bind "$1" /etc/resolv.conf && shift && '
            'exec "$@"', "sh", str(resolv), *argv]


def silent_resolver_address(truth: dict[str, Any]) -> str:
    """An address of the probe's own subnet that no node holds: nothing answers there."""
    used = {str(ipaddress.IPv4Interface(c).ip) for node in truth["nodes"].values()
            for i in node.get("interfaces", []) for c in i.get("ipv4", [])}
    hq = next(ipaddress.IPv4Network(s["cidr"]) for s in truth["subnets"] if s["name"] == "hq")
    return next(str(a) for a in reversed(list(hq.hosts())) if str(a) not in used)


def bench_discover(lab: Any, runs: int, work: Path, tag: str = "",
                   nameserver: str = "", warm: bool = False) -> dict[str, Any]:
    """`warm`: the inventory (and with it the per-host SNMP decisions of the run
    before, snmp-reach.json) is kept between runs, after one untimed run."""
    scratch = work / f"discover{tag}"
    scratch.mkdir()
    config = scratch / "netdoc.yaml"
    shutil.copyfile(lab.config_path, config)
    inventory = scratch / "inventory"
    walls: list[float] = []
    cpus: list[float] = []
    found: set[str] = set()
    for run_number in range(runs + (1 if warm else 0)):
        if not warm:
            shutil.rmtree(inventory, ignore_errors=True)
        started, cpu = time.perf_counter(), children_cpu()
        done = lab.exec(lab.probe, with_resolver(
            [sys.executable, "-m", "netdoc.app.cli", "--config", str(config), "--json", "discover"],
            nameserver, scratch), timeout=DISCOVER_TIMEOUT, env=THIS_CHECKOUT)
        if not warm or run_number > 0:
            walls.append(time.perf_counter() - started)
            cpus.append(children_cpu() - cpu)
        if done.returncode not in (0, 1):
            raise SystemExit(f"netdoc discover failed (exit {done.returncode}): "
                             f"{done.stderr.strip()[-2000:]}")
        found = inventory_addresses(inventory / lab.ground_truth["client"])
    if not warm:
        shutil.rmtree(inventory, ignore_errors=True)
    started = time.perf_counter()
    done = lab.exec(lab.probe, with_resolver([sys.executable, __file__, "--helper-split",
                                              str(config)], nameserver, scratch),
                    timeout=DISCOVER_TIMEOUT)
    split_wall = time.perf_counter() - started
    split = helper_output(done)
    expected = scanned_nodes(lab.ground_truth)
    managed = {name for name, node in lab.ground_truth["nodes"].items()
               if node.get("services", {}).get("snmp") and name in expected}
    identified = identified_addresses(inventory / lab.ground_truth["client"])
    return {"runs": runs, "median": statistics.median(walls), "min": min(walls),
            "max": max(walls), "expected": len(expected),
            "found": len(found & set(expected.values())),
            "extra": sorted(found - set(expected.values())),
            "missed": sorted(n for n, ip in expected.items() if ip not in found),
            "snmp_expected": len(managed),
            "snmp_identified": len(identified & {expected[name] for name in managed}),
            "split": split, "split_wall": split_wall, "warm": warm,
            "cpu": statistics.median(cpus), "load": os.getloadavg()[0]}


def inventory_addresses(folder: Path) -> set[str]:
    from netdoc.inventory.store import InventoryStore
    return {r.device.mgmt_ip for r in InventoryStore(folder).records()}


def identified_addresses(folder: Path) -> set[str]:
    from netdoc.inventory.store import InventoryStore
    return {r.device.mgmt_ip for r in InventoryStore(folder).records()
            if r.device.sys_object_id}


def phases(split: dict[str, Any], outer_wall: float) -> list[tuple[str, float, str]]:
    """(phase, seconds, note) on the critical path, in order, from the timed spans."""
    spans: dict[str, list[tuple[float, float]]] = {}
    for label, begun, ended in split["spans"]:
        spans.setdefault(label, []).append((begun, ended))

    def total(label: str, which: slice = slice(None)) -> float:
        return sum(e - b for b, e in spans.get(label, [])[which])

    run_begun = spans["run"][0][0]
    polls = split["polls"]
    answered = sum(1 for p in polls if p["ok"])
    closed = sum(1 for p in polls if "no SNMP agent" in p["error"])  # ICMP port unreachable
    timed_out = sum(1 for p in polls if p["silent"]) - closed
    longest = max((p["seconds"] for p in polls), default=0.0)
    counted: dict[str, int] = {}
    for contact in split.get("contacts", []):
        counted[contact["verdict"]] = counted.get(contact["verdict"], 0) + 1
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(counted.items()))
    listen = spans.get("lldp listen", [(0.0, 0.0)])[0]
    listener = spans.get("lldp listener", [listen])[0]
    rows = [
        ("interpreter start-up", outer_wall - split["total"], "python, before any netdoc code"),
        ("imports, config, secrets", run_begun, "up to the site's discovery"),
        ("routes, LLDP listener start", spans["arp sweep"][0][0] - run_begun,
         "on the event loop before the sweep starts"),
        ("ARP sweep, attached /24", total("arp sweep"), "netdoc/discover/collectors/arp.py"),
        ("SNMP poll, seeds + swept hosts", total("poll_all", slice(0, 1)),
         f"{len(polls)} polls in all: {answered} answered, {closed} port closed, "
         f"{timed_out} timed out, {len(polls) - answered - closed - timed_out} other; "
         f"slowest {longest:.2f} s; first contacts: {verdicts or 'none'}"),
        ("crawl LLDP neighbours", total("crawl_neighbours"), "new addresses only"),
        ("routed subnet: liveness", total("liveness sweep"),
         "ICMP + TCP SYN (netdoc/discover/collectors/liveness.py)"),
        ("routed subnet: polls", total("discover_routed") - total("liveness sweep"),
         "what is left of them after the sweep (router ARP hosts are polled during it)"),
        ("names, vendors, merge", total("finish"), f"reverse DNS {total('reverse dns'):.3f} s"),
        ("inventory update + commit", total("inventory update"), "git"),
        ("run report, exit", split["total"] - max(e for v in spans.values() for _, e in v),
         ""),
    ]
    where = (f"in its own thread; finding the interfaces (scapy import) "
             f"{total('lldp interfaces'):.2f} s of it" if "lldp listen" in spans
             else "in a child process, scapy's import included")
    rows.append(("(passive LLDP, alongside)", listener[1] - listener[0],
                 f"from {listener[0]:.2f} s to {listener[1]:.2f} s, {where}"))
    return rows


def print_discover(result: dict[str, Any], title: str) -> None:
    print(f"\n{title}, {result['runs']} runs"
          + (", the inventory kept" if result.get("warm") else ", fresh inventory each"))
    print(f"   wall time: median {result['median']:.2f} s (min {result['min']:.2f}, "
          f"max {result['max']:.2f})")
    print(f"   devices found: {result['found']} of the {result['expected']} in the ground truth"
          + (f"; missed {', '.join(result['missed'])}" if result["missed"] else "")
          + (f"; not in the truth: {', '.join(result['extra'])}" if result["extra"] else ""))
    print(f"   CPU time of a run (user + system, median): {result['cpu']:.2f} s; load average "
          f"{result['load']:.1f}")
    print(f"   identified over SNMP: {result['snmp_identified']} of "
          f"{result['snmp_expected']} SNMP-managed nodes")
    print(f"   one instrumented run (in process), {result['split_wall']:.2f} s:")
    for name, seconds, note in phases(result["split"], result["split_wall"]):
        print(f"     {name:32} {seconds:6.2f} s   {note}")


# ---------------------------------------------------------------- 2d. the tools, same work

# What a technician's script does for the same site: the subtrees netdoc reads for the
# inventory and the topology (system group, IF-MIB, BRIDGE-MIB, LLDP-MIB, the ARP table)
TOOL_WALKS = ("1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1", "1.3.6.1.2.1.17",
              "1.0.8802.1.1.2", "1.3.6.1.2.1.4.22")


def tools_script(lab: Any) -> tuple[str, int]:
    """One shell script, run in the probe namespace: arp-scan of the attached /24, nmap -sn
    of each routed subnet, snmpbulkwalk of TOOL_WALKS on every SNMP-managed node (v2c)."""
    import shlex

    interface, attached = probe_attachment(lab)
    truth = lab.ground_truth
    routed = [s["cidr"] for s in truth["subnets"] if s["scanned"]
              and ipaddress.ip_network(s["cidr"]) != attached.network]
    for cidr in [str(attached.network), *routed]:
        if not any(ipaddress.IPv4Network(cidr).subnet_of(net) for net in TEST_NETS):
            raise SystemExit(f"refusing to sweep {cidr}: not a TEST-NET range")
    community = (Path(lab.state_dir) / "secrets" / "snmp-community").read_text().strip()
    managed = sorted(node["mgmt_ip"] for node in truth["nodes"].values()
                     if node.get("services", {}).get("snmp") and node.get("mgmt_ip"))
    lines = ["set -e", f"arp-scan --interface={interface} --plain --quiet {attached.network} "
                       f">/dev/null"]
    lines += [f"nmap -sn -n {cidr} >/dev/null" for cidr in routed]
    for address in managed:
        for root in TOOL_WALKS:
            lines.append(f"snmpbulkwalk -v2c -c {shlex.quote(community)} -Cr25 -On {address} "
                         f"{root} >/dev/null")
    return "\n".join(lines) + "\n", len(managed)


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_tools(lab: Any, runs: int, work: Path, nameserver: str = "") -> dict[str, Any]:
    script, devices = tools_script(lab)
    path = work / "tools.sh"
    path.write_text(script, encoding="utf-8")
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), children_cpu()
        done = lab.exec(lab.probe, with_resolver(["sh", str(path)], nameserver, work),
                        timeout=DISCOVER_TIMEOUT)
        walls.append(time.perf_counter() - started)
        cpus.append(children_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"the tools' script failed: {done.stderr.strip()[-2000:]}")
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "runs": runs, "devices": devices, "walks": devices * len(TOOL_WALKS),
            "cpu": statistics.median(cpus)}


def print_versus_tools(discover: dict[str, Any], tools: dict[str, Any], title: str) -> None:
    print(f"\n{title}: arp-scan + nmap -sn + snmpbulkwalk of {len(TOOL_WALKS)} subtrees on "
          f"each of {tools['devices']} SNMP nodes ({tools['walks']} walks), one after another")
    print(f"   tools: median {tools['median']:.2f} s (min {tools['min']:.2f}, max "
          f"{tools['max']:.2f}, {tools['runs']} runs); netdoc discover: median "
          f"{discover['median']:.2f} s")
    print(f"   ratio netdoc discover / tools: {discover['median'] / tools['median']:.2f}x   "
          f"(target <= 1.0x)")
    print(f"   CPU time (user + system, median): netdoc discover {discover['cpu']:.2f} s, "
          f"tools {tools['cpu']:.2f} s; load average {discover['load']:.1f} on "
          f"{os.cpu_count()} CPU(s)")


# ---------------------------------------------------------------- 3. SNMP poll

def bench_snmp(lab: Any, node: str, runs: int) -> dict[str, Any]:
    argv = [sys.executable, str(ROOT / "benchmarks" / "snmp_poll.py"), "--lab",
            str(lab.state_dir), "--runs", str(runs), *(["--node", node] if node else [])]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=DISCOVER_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"snmp_poll.py failed: {done.stderr.strip()[-2000:]}")
    ratio = re.search(r"ratio netdoc / snmpbulkwalk:\s+([\d.]+)x", done.stdout)
    return {"output": done.stdout, "ratio": float(ratio.group(1)) if ratio else None}


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="sweep rounds (median)")
    parser.add_argument("--discover-runs", type=int, default=3)
    parser.add_argument("--snmp-runs", type=int, default=5)
    parser.add_argument("--node", default="sw1", help="lab switch for the SNMP poll")
    parser.add_argument("--baseline", default="",
                        help="also time netdoc/discover/collectors/arp.py as of this git revision")
    parser.add_argument("--no-discover", action="store_true")
    parser.add_argument("--no-snmp", action="store_true")
    parser.add_argument("--from-source", action="store_true",
                        help="no byte-code cache: every Python start compiles its imports")
    parser.add_argument("--no-silent", action="store_true",
                        help="skip discovery with the PCs dropping SNMP silently")
    parser.add_argument("--no-dead-dns", action="store_true",
                        help="skip discovery with a resolver that does not answer")
    parser.add_argument("--prefix", default=f"ndbs{os.getpid() % 100000}-")
    parser.add_argument("--state-dir", default=str(BENCH_LABS / f"sweep-{os.getpid()}"))
    parser.add_argument("--helper-split", help=argparse.SUPPRESS)
    parser.add_argument("--helper-blackhole", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.helper_split:
        helper_split(args.helper_split)
        return 0
    if args.helper_blackhole:
        helper_blackhole(args.helper_blackhole)
        return 0
    for name in ("runs", "discover_runs", "snmp_runs"):
        if not 1 <= getattr(args, name) <= MAX_RUNS:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and {MAX_RUNS}")
    if os.geteuid() != 0:
        raise SystemExit("the site lab needs root (it creates network namespaces)")
    for tool in ("arp-scan", "nmap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt install {tool})")
    return run(args)


def run(args: argparse.Namespace) -> int:
    from netdoc.lab import Lab

    print(f"bringing up the large lab (prefix {args.prefix}, state {args.state_dir}) ...")
    started = time.perf_counter()
    lab = Lab.up("large", args.state_dir, args.prefix)
    try:
        print(f"lab up in {time.perf_counter() - started:.1f} s; "
              f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}")
        with tempfile.TemporaryDirectory(prefix="netdoc-bench-sweep-") as folder:
            work = Path(folder)
            print(bytecode_as_installed(work, args.from_source))
            print_sweep(bench_sweep(lab, args.runs, args.baseline, work))
            if not args.no_discover:
                plain = bench_discover(lab, args.discover_runs, work)
                print_discover(plain, "2. netdoc discover of the whole site")
                print_versus_tools(plain, bench_tools(lab, args.discover_runs, work),
                                   "2d. the standard tools doing the same sweeps and walks")
            if not args.no_discover and not args.no_dead_dns:
                dead = silent_resolver_address(lab.ground_truth)
                deaf = bench_discover(lab, args.discover_runs, work, "-deaddns", dead)
                print_discover(deaf, f"2c. the same with the probe's resolver ({dead}) "
                                     f"not answering")
                print_versus_tools(deaf, bench_tools(lab, args.discover_runs, work, dead),
                                   "2e. the tools with the same resolver")
            if not args.no_discover and not args.no_silent:
                endpoints = [name for name, node in lab.ground_truth["nodes"].items()
                             if node.get("kind") == "pc"]
                with silent_snmp(lab, endpoints):
                    print_discover(bench_discover(lab, args.discover_runs, work, "-silent"),
                                   f"2b. the same with the {len(endpoints)} PCs dropping SNMP "
                                   f"silently (a firewall's DROP, not ICMP unreachable)")
                    print_discover(bench_discover(lab, args.discover_runs, work,
                                                  "-silent-warm", warm=True),
                                   "2b'. the same, next runs (the inventory and the per-host "
                                   "SNMP decisions of the run before kept)")
        if not args.no_snmp:
            snmp = bench_snmp(lab, args.node, args.snmp_runs)
            print(f"\n3. SNMP poll of {args.node} (benchmarks/snmp_poll.py --lab):")
            print("   " + snmp["output"].strip().replace("\n", "\n   "))
    finally:
        problems = lab.down()
        print("\nlab down" + (f"; problems: {'; '.join(problems)}" if problems else ""))
        if Path(args.state_dir).parent == BENCH_LABS:
            with contextlib.suppress(OSError):  # once no other benchmark's lab is in it
                BENCH_LABS.rmdir()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
