"""Benchmark: topology and rendering of a synthetic 2,000-device client.

    .venv/bin/python benchmarks/topology_render.py [--devices 2000] [--sites 4]
                                                   [--switches 10] [--keep DIR]

Times each stage (build the graph, export GraphML/JSON, draw the maps, write the
site) and, for comparison, the bare Graphviz run on the largest map. Target:
under 30 s end to end on a 2-core machine. With --keep the output stays for a
human to look at the maps (site/maps/*.png) and pages.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.topology_synthetic import synthetic_client  # noqa: E402
from netdoc.render.maps import render_maps, render_neighbourhoods  # noqa: E402
from netdoc.render.site import SiteInput, render_site  # noqa: E402
from netdoc.topology import build_topology, graphml_text, node_link_text  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--switches", type=int, default=10, help="switches per site")
    parser.add_argument("--keep", type=Path, help="write here and keep the output")
    args = parser.parse_args()
    out = args.keep or Path(tempfile.mkdtemp(prefix="netdoc-bench-"))
    try:
        run(args.devices, args.sites, args.switches, out)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    return 0


def run(devices: int, sites: int, switches: int, out: Path) -> None:
    records = synthetic_client(devices, sites, switches)
    print(f"synthetic client: {len(records)} devices, {sites} sites, {switches} switches/site")
    times: dict[str, float] = {}
    out.mkdir(parents=True, exist_ok=True)
    names = [d.hostname for d in records]  # unique in the synthetic client
    started = time.perf_counter()
    graph = build_topology(records, "bench", ids=names)
    times["build topology"] = _lap(started)
    mark = time.perf_counter()
    (out / "topology.graphml").write_text(graphml_text(graph), encoding="utf-8")
    (out / "topology.json").write_text(node_link_text(graph), encoding="utf-8")
    times["export GraphML + JSON"] = _lap(mark)
    mark = time.perf_counter()
    maps = render_maps(graph, out / "site" / "maps")
    network = [n for n, d in graph.nodes(data=True) if d.get("kind") == "device"]
    near = render_neighbourhoods(graph, network, out / "site" / "devices")
    times["maps (SVG+PNG+draw.io) and neighbourhoods"] = _lap(mark)
    mark = time.perf_counter()
    ids = [n for n in graph.nodes if graph.nodes[n].get("kind") in ("device", "endpoint")]
    render_site(SiteInput(client="bench", graph=graph,
                          devices=dict(zip(names, records)),
                          maps=maps, neighbourhoods=near), out / "site")
    times["site pages"] = _lap(mark)
    total = time.perf_counter() - started
    for stage, seconds in times.items():
        print(f"  {stage:<45} {seconds:7.2f} s")
    print(f"  {'total':<45} {total:7.2f} s   (target < 30 s)")
    print(f"  graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges; "
          f"{len(ids)} device pages; {len(maps)} maps")
    for rendered in maps:
        print(f"    {rendered.name:<18} {rendered.engine:<5} {rendered.nodes:4d} network devices")
    _compare_with_bare_graphviz(out / "site" / "maps")


def _compare_with_bare_graphviz(maps: Path) -> None:
    """The standard tool alone on our largest DOT file: how much is Graphviz itself."""
    biggest = max(maps.glob("*.dot"), key=lambda p: p.stat().st_size)
    mark = time.perf_counter()
    subprocess.run(["dot", "-Tsvg", "-o/dev/null", str(biggest)], check=True)
    print(f"  bare `dot -Tsvg` on {biggest.name}: {_lap(mark):.2f} s")


def _lap(since: float) -> float:
    return time.perf_counter() - since


if __name__ == "__main__":
    sys.exit(main())
