"""Benchmark: how long `netdoc --help` and `netdoc status` take to start, next to a
bare Python interpreter and to standard tools' own start-up, hyperfine-style.

    .venv/bin/python benchmarks/startup.py [--runs 20] [--from-source]

Each command runs --runs times after one warm-up run (so the OS page cache is
warm), in a fresh process; the table gives median, mean +- standard deviation
and minimum of the wall time. `netdoc status` reads a starter config written by
`netdoc init` into a scratch folder (nothing is sent anywhere).

Byte-code: an installed netdoc has its .pyc files; this checkout may run with
PYTHONDONTWRITEBYTECODE=1 (every import compiles from source). By default the
benchmark keeps compiled byte-code in a scratch PYTHONPYCACHEPREFIX, as an
installed package would have; --from-source measures the compile-every-time case.
Then `python -X importtime` of the same commands lists the slowest imports.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NETDOC = [sys.executable, "-m", "netdoc.app.cli"]


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    subprocess.run(argv, capture_output=True, env=env, timeout=60)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=env, timeout=60)
        times.append(time.perf_counter() - started)
    return times


def slowest_imports(argv: list[str], env: dict[str, str], top: int = 8) -> list[tuple[int, str]]:
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True,
                          text=True, env=env, timeout=60)
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)", line)
        if match and len(match.group(3)) <= 3:  # imported by netdoc or the script itself
            rows.append((int(match.group(2)), match.group(4)))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--from-source", action="store_true",
                        help="no byte-code cache: every import compiles (PYTHONDONTWRITEBYTECODE)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netdoc-bench-startup-") as folder:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(ROOT)
        if args.from_source:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
        config = Path(folder) / "netdoc.yaml"
        subprocess.run([*NETDOC, "init", str(config)], check=True, capture_output=True,
                       env=env, cwd=folder)
        commands = {"python -c pass": [sys.executable, "-c", "pass"],
                    "python -c 'import netdoc.app.cli'": [sys.executable, "-c", "import netdoc.app.cli"],
                    "netdoc --help": [*NETDOC, "--help"],
                    "netdoc status": [*NETDOC, "status", "--config", str(config)]}
        for tool, argv in (("nmap", ["nmap", "--version"]), ("snmpwalk", ["snmpwalk", "-V"]),
                           ("ansible", ["ansible", "--version"])):
            if shutil.which(tool):
                commands[" ".join(argv)] = argv
        print(f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.2f}, "
              f"{args.runs} runs each, byte-code {'off' if args.from_source else 'cached'}")
        print(f"   {'command':<34} {'median':>8} {'mean +- sd':>17} {'min':>8}")
        for name, argv in commands.items():
            times = timed(argv, env, args.runs)
            print(f"   {name:<34} {statistics.median(times):>7.3f}s "
                  f"{statistics.mean(times):>8.3f} +- {statistics.stdev(times):.3f}s "
                  f"{min(times):>7.3f}s")
        for name in ("netdoc --help", "netdoc status"):
            print(f"\nslowest imports of {name} (cumulative, one run):")
            for micros, module in slowest_imports(commands[name], env):
                print(f"   {micros / 1000:>7.1f} ms  {module}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
