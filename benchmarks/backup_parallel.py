"""Benchmark: backing up 200 simulated Cisco IOS devices, netdoc vs RANCID.

    .venv/bin/python benchmarks/backup_parallel.py [--devices 200] [--concurrency 20]
                                                   [--processes 1]  [--latency 0.3]
                                                   [--no-rancid]

The devices are the project's replay SSH server (tests/support/replay_server.py)
playing tests/fixtures/sessions/cisco_ios.yaml, one device per loopback address
127.0.1.1 ... 127.0.1.N (port 10022), each waiting --latency seconds before
every answer as a real switch's CPU does. The server runs in a process of its
own so it does not share netdoc's interpreter.

Reported:
  - one device alone (median of 3 runs): t1
  - all N devices with the pool at --concurrency, in --processes worker processes
    (backup.processes; 1 = threads only, netdoc's default; -1 = automatic): wall
  - parallel efficiency = (t1 x N / concurrency) / wall   (1.0 = perfect; target >= 0.95)
  - where the wall time went: the worker pool (sessions) and the store step after it
    (facts, files, one git commit), and the CPU seconds of netdoc and of the
    simulated devices' server (both share the machine's cores)
  - RANCID 3 (Debian package `rancid`) on the same devices, the way rancid-run
    does it: `rancid_par -n CONCURRENCY` running `rancid -t cisco HOST` per device
    (clogin + RANCID's own filtering, RANCID's full Cisco command list), and
    clogin alone with netdoc's two commands, for a like-for-like transport time.
Traffic goes only to 127.0.0.0/8.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import asyncssh  # noqa: E402
import yaml  # noqa: E402

from netdoc.backup.stage import run_backup  # noqa: E402
from netdoc.backup.transport import NetmikoSource  # noqa: E402
from netdoc.config import parse_config  # noqa: E402

RECORDING = ROOT / "tests" / "fixtures" / "sessions" / "cisco_ios.yaml"
PORT = 10022
USER, PASSWORD, ENABLE = "netdoc", "lab-pass", "lab-enable"
WHICH = ("rancid", "clogin")


def address(index: int) -> str:
    return f"127.0.1.{index + 1}"


class Devices:
    """N replayed devices in a child process; stopped (by its PID) on exit."""

    def __init__(self, count: int, latency: float, work: Path) -> None:
        key = work / "host_key"
        key.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
        spec = {"servers": [{"recording": str(RECORDING), "host": address(i), "port": PORT,
                             "host_key": str(key), "latency": latency} for i in range(count)]}
        (work / "spec.json").write_text(json.dumps(spec))
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "support" / "replay_server.py"),
             str(work / "spec.json")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})

    def __enter__(self) -> "Devices":
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip() == "READY":
                return self
        raise RuntimeError("the replay server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process.stdin:
            self.process.stdin.close()  # the server exits when its stdin closes
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def netdoc_config(work: Path, count: int, concurrency: int, processes: int = 1) -> Any:
    os.environ["NETDOC_BENCH_SSH"] = PASSWORD
    os.environ["NETDOC_BENCH_ENABLE"] = ENABLE
    data = {
        "credentials": {"lab": {"ssh": {"username": USER, "password": "env:NETDOC_BENCH_SSH",
                                        "enable": "env:NETDOC_BENCH_ENABLE"}}},
        "clients": {"bench": {"sites": {"hq": {"credentials": ["lab"], "devices": [
            {"host": address(i), "name": f"sw{i + 1:03d}", "platform": "cisco_ios",
             "ssh_port": PORT} for i in range(count)]}}}},
        "backup": {"concurrency": concurrency, "timeout": 120, "processes": processes},
        "output": {"config_backups": str(work / "config_backups"),
                   "inventory": str(work / "inventory")},
    }
    path = work / "netdoc.yaml"
    text = yaml.safe_dump(data)
    path.write_text(text)
    return parse_config(text, path)


def time_netdoc(work: Path, count: int, concurrency: int,
                processes: int = 1) -> tuple[float, int]:
    shutil.rmtree(work / "config_backups", ignore_errors=True)
    config = netdoc_config(work, count, concurrency, processes)
    started = time.monotonic()
    outcome = run_backup(config, config.client("bench"), NetmikoSource())
    wall = time.monotonic() - started
    return wall, len(outcome.failures)


pool_s: list[float] = []  # wall time of run_backup's worker pool, per run


def _timed_pool() -> None:
    """Time the worker pool inside run_backup (the rest is the store step)."""
    import netdoc.backup.stage as stage

    def timing(pool: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return pool(*args, **kwargs)
            finally:
                pool_s.append(time.monotonic() - started)
        return timed

    stage._run_pool = timing(stage._run_pool)  # threads only
    name = "run_in_processes"  # worker processes
    setattr(stage, name, timing(getattr(stage, name)))


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int, children: bool = False) -> float:
    """User + system CPU seconds of another process (/proc/PID/stat); with children,
    those of its ended and reaped children instead."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    first = 13 if children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def _workers_cpu() -> float:
    """CPU seconds of the backup's ended worker processes: children of
    multiprocessing's forkserver, which reaps them."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    return _process_cpu(pid, children=True) if pid else 0.0


# ---------------------------------------------------------------- RANCID

def rancid_available() -> str | None:
    for tool in ("rancid", "clogin", "expect"):
        if not shutil.which(tool):
            return f"{tool} is not installed (Debian: apt-get install rancid expect)"
    if not Path("/usr/lib/rancid/bin/rancid_par").exists():
        return "RANCID's rancid_par is missing"
    return None


def rancid_env(work: Path) -> dict[str, str]:
    cloginrc = work / ".cloginrc"
    cloginrc.write_text(
        f"add user 127.0.1.* {USER}\n"
        f"add password 127.0.1.* {PASSWORD} {ENABLE}\n"
        f"add method 127.0.1.* {{ssh:{PORT}}}\n"
        f"add sshcmd 127.0.1.* {{{work / 'bench-ssh'}}}\n")
    cloginrc.chmod(0o600)
    # the simulated devices get new host keys every run: keep them out of ~/.ssh/known_hosts
    # (clogin takes the ssh command as one word, hence a wrapper script)
    (work / "ssh_config").write_text("Host *\n  StrictHostKeyChecking no\n"
                                     "  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n")
    wrapper = work / "bench-ssh"
    wrapper.write_text(f'#!/bin/sh\nexec ssh -F {work / "ssh_config"} "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "CLOGINRC": str(cloginrc), "HOME": str(work),
            "PATH": f"/usr/lib/rancid/bin:{os.environ.get('PATH', '')}"}


def time_rancid(work: Path, count: int, concurrency: int, what: str) -> tuple[float, int]:
    """what: "rancid" (RANCID's Cisco collection) or "clogin" (netdoc's two commands)."""
    out = work / f"rancid-{what}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    hosts = out / "hosts"
    hosts.write_text("#\n" + "".join(address(i) + "\n" for i in range(count)))
    one = out / "clogin-one"  # rancid_par runs commands without a shell: no redirection
    one.write_text("#!/bin/sh\nexec clogin -c 'show version;show running-config' \"$1\" "
                   "> \"$1.out\" 2>&1\n")
    one.chmod(0o755)
    command = "rancid -t cisco {}" if what == "rancid" else f"{one} {{}}"
    started = time.monotonic()
    subprocess.run(["/usr/lib/rancid/bin/rancid_par", "-q", "-n", str(concurrency), "-c",
                    command, str(hosts)], cwd=out, env=rancid_env(work), capture_output=True,
                   timeout=3600)
    wall = time.monotonic() - started
    return wall, _rancid_failures(out, count, what)


def _rancid_failures(out: Path, count: int, what: str) -> int:
    failed = 0
    for i in range(count):
        host = address(i)
        text = ""
        for name in (f"{host}.new", f"{host}.out"):
            if (out / name).exists():
                text = (out / name).read_text(errors="replace")
        if "hostname acc-sw1" not in text:
            failed += 1
    return failed


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--processes", type=int, default=1,
                        help="backup.processes (1 = threads only, -1 = automatic)")
    parser.add_argument("--latency", type=float, default=0.3,
                        help="seconds each simulated device takes before every answer")
    parser.add_argument("--no-rancid", action="store_true")
    args = parser.parse_args()
    _timed_pool()
    with tempfile.TemporaryDirectory(prefix="netdoc-bench-") as folder:
        work = Path(folder)
        with Devices(args.devices, args.latency, work) as devices:
            results = run_all(work, args, devices)
    print(json.dumps(results, indent=2))
    return 0


def run_all(work: Path, args: argparse.Namespace, devices: Devices) -> dict[str, Any]:
    singles = [time_netdoc(work, 1, 1)[0] for _ in range(3)]
    t1 = statistics.median(singles)
    cpu, server_cpu, load = _cpu_seconds(), _process_cpu(devices.process.pid), os.getloadavg()[0]
    workers_cpu = _workers_cpu()
    pool_s.clear()
    wall, failed = time_netdoc(work, args.devices, args.concurrency, args.processes)
    cpu, server_cpu = _cpu_seconds() - cpu, _process_cpu(devices.process.pid) - server_cpu
    workers_cpu = _workers_cpu() - workers_cpu
    ideal = t1 * args.devices / args.concurrency
    results: dict[str, Any] = {
        "devices": args.devices, "concurrency": args.concurrency,
        "processes": args.processes,
        "latency_per_answer_s": args.latency,
        "netdoc": {"one_device_s": round(t1, 2), "all_devices_wall_s": round(wall, 2),
                   "ideal_wall_s": round(ideal, 2), "parallel_efficiency": round(ideal / wall, 3),
                   "failed": failed, "pool_s": round(pool_s[-1], 2),
                   "store_s": round(wall - pool_s[-1], 2), "netdoc_cpu_s": round(cpu, 2),
                   "worker_processes_cpu_s": round(workers_cpu, 2),
                   "devices_server_cpu_s": round(server_cpu, 2),
                   "load_average_1min_before": round(load, 2)},
    }
    print(f"netdoc: one device {t1:.2f} s; {args.devices} devices at concurrency "
          f"{args.concurrency}: {wall:.2f} s (ideal {ideal:.2f} s) -> efficiency "
          f"{ideal / wall:.0%}, {failed} failed; pool {pool_s[-1]:.2f} s, store "
          f"{wall - pool_s[-1]:.2f} s; CPU netdoc {cpu:.1f} s + worker processes "
          f"{workers_cpu:.1f} s, devices' server "
          f"{server_cpu:.1f} s (load average {load:.1f})", file=sys.stderr)
    reason = "skipped (--no-rancid)" if args.no_rancid else rancid_available()
    if reason:
        results["rancid"] = {"skipped": reason}
        return results
    for what in WHICH:
        one = time_rancid(work, 1, 1, what)[0]
        wall, failed = time_rancid(work, args.devices, args.concurrency, what)
        results[what] = {"one_device_s": round(one, 2), "all_devices_wall_s": round(wall, 2),
                         "parallel_efficiency": round(one * args.devices / args.concurrency
                                                      / wall, 3), "failed": failed}
        print(f"{what}: one device {one:.2f} s; {args.devices} devices: {wall:.2f} s, "
              f"{failed} failed", file=sys.stderr)
    return results


if __name__ == "__main__":
    sys.exit(main())
