"""Benchmark: netdoc's full SNMP poll of one agent vs net-snmp `snmpbulkwalk` of the same tables.

    .venv/bin/python benchmarks/snmp_poll.py                 # snmpd of its own on 127.0.0.1,
                                             # in a namespace of its own with --interfaces veths
    .venv/bin/python benchmarks/snmp_poll.py --lab /run/netdoc-lab [--node core-sw]
                                             # a lab switch, measured from inside the probe namespace
    .venv/bin/python benchmarks/snmp_poll.py --host H --port P --community C   # any agent you own
    .venv/bin/python benchmarks/snmp_poll.py --walk          # one walk of the whole tree, v2c
                                             # and v3 authPriv, max-repetitions 10 and 25

"The same tables" is measured, not assumed: netdoc's poll runs through a recording
transport that notes every subtree it walks and every scalar it GETs; net-snmp
then walks exactly those subtrees (one `snmpbulkwalk` per subtree, the way a
technician or a shell script would) with the same max-repetitions, plus one
`snmpget` of the scalars. Each side runs --runs times, alternating; medians are
compared. Traffic goes only to 127.0.0.1 or into the lab's own namespaces.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netdoc.discover.collectors.snmp import poll_device  # noqa: E402
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings  # noqa: E402
from netdoc.secrets import Secret  # noqa: E402
from netdoc.discover.snmp.client import open_client  # noqa: E402

QUIET = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
V3_USER, V3_AUTH, V3_PRIV = "benchv3", "bench-auth-key", "bench-priv-key"  # SHA / AES


class Recording:
    """Wraps a live transport and notes what the poll asked for."""

    def __init__(self, inner: Any, walks: list[str], gets: list[str]) -> None:
        self.inner, self.walks, self.gets, self.host = inner, walks, gets, inner.host
        self.values = 0

    async def get(self, oids: Sequence[str]) -> Any:
        self.gets.extend(oids)
        return await self.inner.get(oids)

    async def walk(self, root: str) -> Any:
        self.walks.append(root)
        rows = await self.inner.walk(root)
        self.values += len(rows)
        return rows

    def for_vlan(self, vlan: int) -> Any:
        return Recording(self.inner.for_vlan(vlan), self.walks, self.gets)

    async def close(self) -> None:
        await self.inner.close()


def netdoc_poll(host: str, port: int, community: str, repetitions: int,
                record: dict[str, list[str]] | None = None) -> tuple[float, int]:
    credential = CredentialSet("bench", snmp=SnmpCredential(version="2c",
                                                            community=Secret(community)))
    settings = SnmpSettings(timeout=2.0, retries=1, max_repetitions=repetitions,
                            device_budget=120)

    async def opener(*args: Any, **kwargs: Any) -> Any:
        client = await open_client(*args, **kwargs)
        if record is None:
            return client
        return Recording(client, record.setdefault("walks", []), record.setdefault("gets", []))

    started = time.perf_counter()
    result = asyncio.run(poll_device(host, port, [credential], settings, opener=opener))
    seconds = time.perf_counter() - started
    if result.device is None:
        raise SystemExit(f"netdoc poll failed: {result.error}")
    d = result.device
    return seconds, len(d.interfaces) + len(d.neighbors) + len(d.arp) + len(d.fdb)


def net_snmp_same_tables(host: str, port: int, community: str, repetitions: int,
                         walks: list[str], gets: list[str]) -> tuple[float, int]:
    target = f"{host}:{port}"
    started = time.perf_counter()
    values = 0
    for root in walks:
        done = subprocess.run(["snmpbulkwalk", "-v2c", "-c", community, f"-Cr{repetitions}",
                               "-On", "-Oq", target, root], capture_output=True, text=True,
                              env=QUIET)
        values += sum(1 for line in done.stdout.splitlines()
                      if line.strip() and "No Such" not in line)
    if gets:
        subprocess.run(["snmpget", "-v2c", "-c", community, "-On", "-Oq", target, *gets],
                       capture_output=True, env=QUIET)
    return time.perf_counter() - started, values


def whole_tree(host: str, port: int, community: str, repetitions: int) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(["snmpbulkwalk", "-v2c", "-c", community, f"-Cr{repetitions}", "-On",
                           "-Oq", f"{host}:{port}", "1.3.6.1"], capture_output=True, text=True,
                          env=QUIET)
    return time.perf_counter() - started, len(done.stdout.splitlines())


def process_start_up(host: str, port: int, community: str) -> float:
    """What one net-snmp command costs before it sends anything (median of 5 snmpgets)."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(["snmpget", "-v2c", "-c", community, "-On", f"{host}:{port}",
                        "1.3.6.1.2.1.1.5.0"], capture_output=True, env=QUIET)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(host: str, port: int, community: str, repetitions: int, runs: int) -> None:
    record: dict[str, list[str]] = {}
    netdoc_poll(host, port, community, repetitions, record)  # warm-up, and learn the tables
    walks = list(dict.fromkeys(record.get("walks", [])))
    gets = list(dict.fromkeys(record.get("gets", [])))
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        seconds, records = netdoc_poll(host, port, community, repetitions)
        ours.append(seconds)
        seconds, values = net_snmp_same_tables(host, port, community, repetitions, walks, gets)
        theirs.append(seconds)
    tree_seconds, tree_values = whole_tree(host, port, community, repetitions)
    start_up = process_start_up(host, port, community)
    a, b = statistics.median(ours), statistics.median(theirs)
    b_net = b - start_up * (len(walks) + 1)
    print(f"agent {host}:{port}, max-repetitions {repetitions}, {runs} runs each (medians)")
    print(f"  tables netdoc reads: {len(walks)} subtrees + {len(gets)} scalars, "
          f"{values} values")
    print(f"  netdoc full poll (walk + parse + identify):  {a:.3f} s   ({records} records)")
    print(f"  net-snmp snmpbulkwalk, same subtrees:        {b:.3f} s   "
          f"({len(walks)} snmpbulkwalk + 1 snmpget)")
    print(f"  ratio netdoc / snmpbulkwalk:                  {a / b:.2f}x  (target <= 1.5x)")
    net_ratio = f"ratio {a / b_net:.2f}x" if b_net > 0.001 else \
        "no ratio (the start-ups are all of net-snmp's time)"
    print(f"  net-snmp without its {len(walks) + 1} process start-ups "
          f"({start_up * 1000:.1f} ms each): {max(b_net, 0):.3f} s -> {net_ratio}")
    print(f"  for scale: one snmpbulkwalk of the whole tree: {tree_seconds:.3f} s "
          f"({tree_values} values)")


def netdoc_walk(host: str, port: int, credential: SnmpCredential,
                repetitions: int) -> tuple[float, int]:
    settings = SnmpSettings(timeout=2.0, retries=1, max_repetitions=repetitions,
                            device_budget=120)

    async def walk() -> int:
        async with await open_client(host, port, credential, settings) as client:
            return len(await client.walk("1.3.6.1"))
    started = time.perf_counter()
    values = asyncio.run(walk())
    return time.perf_counter() - started, values


def net_snmp_walk(host: str, port: int, security: list[str], repetitions: int) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(["snmpbulkwalk", *security, f"-Cr{repetitions}", "-On", "-Oq",
                           f"{host}:{port}", "1.3.6.1"], capture_output=True, text=True,
                          env=QUIET)
    return time.perf_counter() - started, len(done.stdout.splitlines())


def measure_walks(host: str, port: int, community: str, runs: int) -> None:
    """One sequential walk of the whole tree: netdoc's client vs snmpbulkwalk."""
    versions = {
        "v2c": (SnmpCredential(version="2c", community=Secret(community)),
                ["-v2c", "-c", community]),
        "v3 authPriv (SHA/AES)": (
            SnmpCredential(version="3", user=V3_USER, auth="sha", auth_key=Secret(V3_AUTH),
                           priv="aes", priv_key=Secret(V3_PRIV)),
            ["-v3", "-l", "authPriv", "-u", V3_USER, "-a", "SHA", "-A", V3_AUTH, "-x", "AES",
             "-X", V3_PRIV]),
    }
    print(f"agent {host}:{port}: one walk of 1.3.6.1, {runs} runs each (medians)")
    for name, (credential, security) in versions.items():
        for repetitions in (10, 25):
            ours, theirs = [], []
            for _ in range(runs):
                seconds, values = netdoc_walk(host, port, credential, repetitions)
                ours.append(seconds)
                seconds, lines = net_snmp_walk(host, port, security, repetitions)
                theirs.append(seconds)
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"  {name:22} mr={repetitions:2}: netdoc {a:.3f} s ({values} values), "
                  f"snmpbulkwalk {b:.3f} s ({lines} lines) -> ratio {a / b:.2f}x")


# ---------------------------------------------------------------- agents to measure against

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def in_own_namespace(args: argparse.Namespace) -> None:
    """A namespace of our own with N veth interfaces (TEST-NET addresses), so the agent
    has switch-sized IF-MIB and IP-MIB tables; the benchmark re-runs itself inside it."""
    namespace = f"ndbench-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    try:
        commands = ["link set lo up"]
        for pair in range(args.interfaces // 2):  # veth pairs: this kernel may lack dummy
            a, b = f"port{2 * pair}", f"port{2 * pair + 1}"
            commands += [f"link add {a} type veth peer name {b}", f"link set {a} up",
                         f"link set {b} up"]
            net = "203.0.113" if pair < 250 else "198.51.100"
            commands.append(f"addr add {net}.{pair % 250 + 1}/32 dev {a}")
        subprocess.run(["ip", "-n", namespace, "-batch", "-"], input="\n".join(commands) + "\n",
                       text=True, check=True)
        argv = ["ip", "netns", "exec", namespace, sys.executable, __file__, "--local",
                "--runs", str(args.runs), "--max-repetitions", str(args.max_repetitions),
                *(["--walk"] if args.walk else [])]
        print(f"own namespace {namespace}: snmpd on 127.0.0.1 with {args.interfaces} veth "
              f"interfaces")
        subprocess.run(argv, check=True)
    finally:
        subprocess.run(["ip", "netns", "delete", namespace], check=False)


def with_local_snmpd(args: argparse.Namespace) -> None:
    if shutil.which("snmpd") is None:
        raise SystemExit("snmpd is not installed (apt install snmpd snmp)")
    with tempfile.TemporaryDirectory(prefix="netdoc-bench-") as work:
        port, community = free_port(), "bench-ro"
        conf = Path(work) / "snmpd.conf"
        conf.write_text(f"rocommunity {community} 127.0.0.1\nsysName bench-agent\n"
                        f"createUser {V3_USER} SHA {V3_AUTH} AES {V3_PRIV}\n"
                        f"rouser {V3_USER} priv\n")
        process = subprocess.Popen(["snmpd", "-f", "-C", "-c", str(conf), "-Lf",
                                    str(Path(work) / "log"), f"--persistentDir={work}/p",
                                    f"udp:127.0.0.1:{port}"], env=QUIET,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if subprocess.run(["snmpget", "-v2c", "-c", community, "-t", "0.2", "-r", "0",
                                   f"127.0.0.1:{port}", "1.3.6.1.2.1.1.5.0"], env=QUIET,
                                  capture_output=True).returncode == 0:
                    break
                time.sleep(0.1)
            if args.walk:
                measure_walks("127.0.0.1", port, community, args.runs)
            else:
                measure("127.0.0.1", port, community, args.max_repetitions, args.runs)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(10)


def in_lab(args: argparse.Namespace) -> None:
    from netdoc.lab.lab import Lab

    lab = Lab.load(Path(args.lab))
    nodes = lab.ground_truth["nodes"]
    node = args.node or next(name for name, info in sorted(nodes.items())
                             if info.get("role") == "switch" and info.get("mgmt_ip"))
    host = nodes[node]["mgmt_ip"]
    community = lab._credentials().community
    print(f"lab {args.lab}: polling {node} ({host}) from the probe namespace")
    argv = ["ip", "netns", "exec", lab.netns(lab.probe), sys.executable, __file__, "--host", host,
            "--port", "161", "--community", community, "--runs", str(args.runs),
            "--max-repetitions", str(args.max_repetitions)]
    subprocess.run(argv, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lab", help="state dir of a running lab (netdoc lab up)")
    parser.add_argument("--node", help="lab node to poll (default: the first switch)")
    parser.add_argument("--host", help="poll this agent (loopback or a lab address only)")
    parser.add_argument("--port", type=int, default=161)
    parser.add_argument("--community", default="public")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-repetitions", type=int, default=25)
    parser.add_argument("--interfaces", type=int, default=400,
                        help="veth interfaces in the benchmark's own namespace (needs root; "
                             "0 = plain snmpd on the host's loopback)")
    parser.add_argument("--walk", action="store_true",
                        help="time one walk of the whole tree (v2c and v3 authPriv, "
                             "max-repetitions 10 and 25) instead of the poll")
    parser.add_argument("--local", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lab:
        in_lab(args)
    elif args.host:
        measure(args.host, args.port, args.community, args.max_repetitions, args.runs)
    elif args.local or args.interfaces == 0 or os.geteuid() != 0:
        with_local_snmpd(args)
    else:
        in_own_namespace(args)


if __name__ == "__main__":
    main()
