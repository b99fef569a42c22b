"""Benchmark (issue 18): topology, exports, maps and site for a 10,000-device client,
through the render stage as a run does it, with wall time and peak memory.

    .venv/bin/python benchmarks/scale_render.py [--devices 10000] [--sites 20]
                                                [--switches 10] [--profile FILE] [--keep DIR]

1. A synthetic client (benchmarks/topology_synthetic.py: per site a router, a
   firewall, a core and access switches with LLDP on every cable, endpoints on edge
   ports and behind unmanaged switches, MAC tables as switches learn them, the
   router's ARP table) is written into an inventory by netdoc's own inventory store,
   as `netdoc discover` leaves it (one git commit).
2. A fresh interpreter runs the render stage on it (`render_client`: read the
   inventory, build the topology, GraphML + JSON exports and their commit, the
   per-client and per-site maps, a neighbourhood map per network device, a page per
   device). Its wall time, the stage's own split, its peak resident memory
   (getrusage ru_maxrss of that process) are reported. (children_peak_rss_mb in the
   JSON is the largest child's, Graphviz or git, as getrusage counts it: a child
   forked from this process starts with its pages, so it is no smaller than the parent.) The target: <= 30 s and <= 1 GB.
3. The same render a second time (the next run: the previous topology.json is
   read and diffed, the site replaced).

Addresses come from the benchmarking range 198.18.0.0/15; nothing touches a network.
With --profile FILE the first render runs under cProfile (slower) and writes FILE.
With --keep DIR the output stays; run again with the same DIR to reuse its inventory.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONFIG = """\
clients:
  bench:
    sites:
{sites}
output: {{inventory: inventory, config_backups: config_backups}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10000)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--switches", type=int, default=10, help="switches per site")
    parser.add_argument("--runs", type=int, default=2, help="renders of the same inventory")
    parser.add_argument("--profile", type=Path, help="cProfile the first render into FILE")
    parser.add_argument("--keep", type=Path, help="write here and keep the output")
    parser.add_argument("--render-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_only:
        print(json.dumps(_render(args.render_only, args.profile)))
        return 0
    work = args.keep or Path(tempfile.mkdtemp(prefix="netdoc-scale-"))
    try:
        results = run(work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.topology_synthetic import synthetic_client
    from netdoc.inventory.store import InventoryStore

    work.mkdir(parents=True, exist_ok=True)
    devices = synthetic_client(args.devices, args.sites, args.switches)
    sites = sorted({d.site for d in devices})
    (work / "netdoc.yaml").write_text(CONFIG.format(sites="\n".join(
        f"      {s}: {{}}" for s in sites)), encoding="utf-8")
    mark = time.perf_counter()
    inventory = work / "inventory" / "bench"
    if args.keep and (inventory / "index.json").is_file():  # --keep DIR again: reuse it
        inventory_s = float("nan")
    else:
        InventoryStore(inventory).update(devices, set(), missing_after=3)
        inventory_s = time.perf_counter() - mark
    managed = sum(1 for d in devices if d.interfaces)
    print(f"synthetic client: {len(devices)} devices ({managed} with interfaces, "
          f"{sum(len(d.fdb) for d in devices)} MAC table entries, "
          f"{sum(len(d.neighbors) for d in devices)} LLDP entries), {len(sites)} sites; "
          f"inventory written and committed in {inventory_s:.1f} s", file=sys.stderr)
    renders = []
    for number in range(args.runs):
        command = [sys.executable, str(Path(__file__).resolve()), "--render-only", str(work)]
        if args.profile and number == 0:
            command += ["--profile", str(args.profile)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        load = os.getloadavg()[0]
        if done.returncode != 0:
            raise SystemExit(f"render failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["load_average_1min"] = round(load, 2)
        renders.append(result)
        print(f"render {number + 1}: {result['wall_s']:.2f} s wall (CPU: netdoc "
              f"{result['cpu_s']:.1f} s, Graphviz and git {result['children_cpu_s']:.1f} s), "
              f"peak RSS {result['peak_rss_mb']:.0f} MB; {result['summary']}",
              file=sys.stderr)
    return {"devices": len(devices), "sites": len(sites), "switches_per_site": args.switches,
            "inventory_update_s": round(inventory_s, 2), "renders": renders,
            "target": "<= 30 s and <= 1024 MB"}


def _render(work: Path, profile: Path | None) -> dict[str, Any]:
    """One render stage in this (fresh) interpreter; wall time includes its imports."""
    import resource

    started = time.perf_counter()
    from netdoc.config import load_config
    from netdoc.render.stage import render_client

    config = load_config(work / "netdoc.yaml")
    client = config.client("bench")
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        outcome = profiler.runcall(render_client, config, client)
        profiler.dump_stats(str(profile))
    else:
        outcome = render_client(config, client)
    wall = time.perf_counter() - started
    site = config.inventory_dir("bench") / "site"
    me, children = resource.getrusage(resource.RUSAGE_SELF), \
        resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall_s": round(wall, 2), "summary": outcome.summary,
            "cpu_s": round(me.ru_utime + me.ru_stime, 2),
            "children_cpu_s": round(children.ru_utime + children.ru_stime, 2),
            "failures": len(outcome.failures),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "children_peak_rss_mb":
                round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            "pages": sum(1 for _ in (site / "devices").glob("*.html")),
            "maps": sum(1 for _ in (site / "maps").glob("*.svg")),
            "neighbourhood_maps": sum(1 for _ in (site / "devices").glob("*.svg"))}


if __name__ == "__main__":
    sys.exit(main())
