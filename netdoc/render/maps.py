"""Draw the maps: per client and per site, layer 2 and layer 3, as SVG, PNG and draw.io.

Graphviz runs once per map and writes every format from the same layout.
Layout engine: `dot` (layered, top-down) while a map has few enough nodes to
read that way, `sfdp` (force-directed, scales to thousands) beyond; `neato`
when a technician pinned positions in inventory/<client>/pins.yaml:

    # map name -> node (id or name) -> [x, y] in points (72 per inch, y up)
    site-hq-l2:
      core: [400, 600]
      rtr1: [400, 750]

maps/<map>.positions.yaml holds every node's position from the last layout:
copy lines from it into pins.yaml to fix a node where it is.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import networkx as nx
import yaml

from netdoc.fsutil import atomic_write
from netdoc.render import RenderError
from netdoc.render.dot import MapOptions, layer2_dot, layer3_dot, page_name
from netdoc.render.drawio import drawio_xml
from netdoc.topology.views import L2_EDGES, edge_view, layer3_view, neighbourhood, \
    site_names, site_view

_T = TypeVar("_T")
_R = TypeVar("_R")
OVERVIEW_ABOVE = 120  # more network devices than this: endpoint counts instead of tables
SFDP_ABOVE = 1500  # dot stays readable (with staggering) up to here; sfdp beyond
STAGGER_ROWS = 3
GRAPHVIZ_TIMEOUT = 300.0
WORKERS = 2
BATCH = 100  # neighbourhood maps per `dot` process


@dataclass
class RenderedMap:
    name: str  # file stem: "client-l2", "site-hq-l3"
    title: str
    layer: str  # "l2" | "l3"
    site: str  # "" for the whole client
    engine: str
    nodes: int
    svg: Path
    png: Path
    drawio: Path


@dataclass
class _Job:
    name: str
    title: str
    layer: str
    site: str
    view: nx.MultiGraph[str]


def render_maps(graph: nx.MultiGraph[str], out_dir: Path,
                pins: dict[str, dict[str, tuple[float, float]]] | None = None,
                failed: list[str] | None = None) -> list[RenderedMap]:
    """Every whole-client and per-site map of `graph` into out_dir. With `failed`, a map
    Graphviz cannot draw fails alone: its reason is added there and the others are kept."""
    _require_graphviz()
    client = str(graph.graph.get("client", "")) or "network"
    jobs = [_Job("client-l2", f"{client} — layer 2", "l2", "", edge_view(graph, L2_EDGES)),
            _Job("client-l3", f"{client} — layer 3 (subnets)", "l3", "", layer3_view(graph))]
    sites = site_names(graph)
    if len(sites) > 1:
        for site in sites:
            part = site_view(graph, site)
            jobs.append(_Job(f"site-{_safe(site)}-l2", f"{client} / {site} — layer 2", "l2",
                             site, edge_view(part, L2_EDGES)))
            jobs.append(_Job(f"site-{_safe(site)}-l3", f"{client} / {site} — layer 3", "l3",
                             site, layer3_view(part)))
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = pins or {}
    if failed is None:
        return _parallel(lambda job: _render_job(job, out_dir, chosen.get(job.name, {})), jobs)

    def alone(job: _Job) -> RenderedMap | None:
        try:
            return _render_job(job, out_dir, chosen.get(job.name, {}))
        except RenderError as exc:
            failed.append(f"map {job.name}: {exc}")
            return None

    return [m for m in _parallel(alone, jobs) if m is not None]


def render_neighbourhoods(graph: nx.MultiGraph[str], nodes: list[str], out_dir: Path,
                          hops: int = 1, failed: list[str] | None = None) -> dict[str, Path]:
    """A small SVG per network device: it and what is within `hops` cables.

    The maps go to Graphviz in batches (one `dot` process lays out up to BATCH of
    them): a neighbourhood takes Graphviz milliseconds, its process start-up about
    20 ms, which made start-ups most of the time in a client with hundreds of
    switches. A batch that fails is drawn again one map at a time, so a map Graphviz
    cannot draw fails alone and is named."""
    _require_graphviz()
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, str, str, Path]] = []  # node, name, DOT text, SVG path
    for node in sorted(nodes):
        name = str(graph.nodes[node].get("name", node))
        options = MapOptions(title=f"{name} and its neighbours", link_prefix="",
                             legend=False)
        jobs.append((node, name, layer2_dot(neighbourhood(graph, node, hops), options),
                     out_dir / (page_name(node)[:-5] + ".svg")))

    def batch(part: list[tuple[str, str, str, Path]]) -> list[tuple[str, Path | None]]:
        if _svg_batch([(text, path) for _, _, text, path in part], out_dir):
            return [(node, path) for node, _, _, path in part]
        drawn: list[tuple[str, Path | None]] = []
        for node, name, text, path in part:
            try:
                run_graphviz(text, "dot", {"svg": path})
            except RenderError as exc:
                if failed is None:
                    raise
                failed.append(f"neighbourhood map of {name}: {exc}")
                drawn.append((node, None))
                continue
            drawn.append((node, path))
        return drawn

    parts = _batches(jobs, BATCH)
    return {node: path for done in _parallel(batch, parts) for node, path in done
            if path is not None}


def _batches(items: list[_T], most: int) -> list[list[_T]]:
    """items cut into a multiple of WORKERS batches of about equal size, at most `most`."""
    if not items:
        return []
    count = WORKERS * -(-len(items) // (WORKERS * most))
    size = -(-len(items) // count)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _svg_batch(maps: list[tuple[str, Path]], out_dir: Path) -> bool:
    """Lay out several DOT texts in one `dot` process; True when every SVG was written.
    Input files are numbered in a private folder: no device name reaches the command."""
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".batch-") as folder:
        inputs = []
        for number, (text, _) in enumerate(maps):
            source = Path(folder) / f"map{number:05d}.dot"
            source.write_text(text, encoding="utf-8")
            inputs.append(source)
        try:
            done = subprocess.run(["dot", "-Tsvg", "-O", *map(str, inputs)],
                                  capture_output=True, timeout=GRAPHVIZ_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            return False
        outputs = [source.with_name(source.name + ".svg") for source in inputs]
        if done.returncode != 0 or not all(o.is_file() for o in outputs):
            return False
        for output, (_, path) in zip(outputs, maps):
            os.replace(output, path)
    return True


def run_graphviz(dot_text: str, engine: str, outputs: dict[str, Path], stagger: int = 0) -> None:
    """Lay out once, write each requested format ({"svg": path, "png": path, ...}).

    stagger > 0 first spreads a switch's many leaves over that many rows
    (Graphviz `unflatten`), so a core with 40 access switches is not one endless row.
    """
    if stagger and engine == "dot":
        dot_text = _graphviz_step(["unflatten", "-f", f"-l{stagger}"], dot_text, "map")
    command = [engine]
    for fmt, path in sorted(outputs.items()):
        command += [f"-T{fmt}", f"-o{path}"]
    _graphviz_step(command, dot_text, sorted(outputs.values())[0].name)


def _graphviz_step(command: list[str], dot_text: str, what: str) -> str:
    try:
        done = subprocess.run(command, input=dot_text.encode("utf-8"), capture_output=True,
                              timeout=GRAPHVIZ_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz {command[0]} took over {GRAPHVIZ_TIMEOUT:.0f} s on "
                          f"{what}; the map is too large for this engine") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"Graphviz {command[0]} failed for {what}: "
                          f"{message[-1] if message else 'exit ' + str(done.returncode)}")
    return done.stdout.decode("utf-8", "replace")


def load_pins(path: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """pins.yaml -> {map name: {node: (x, y)}}; a broken file is an error naming the line."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RenderError(f"{path}: cannot read the map pins: {exc}") from None
    pins: dict[str, dict[str, tuple[float, float]]] = {}
    if not isinstance(data, dict):
        raise RenderError(f"{path}: expected map name -> node -> [x, y]")
    for map_name, nodes in data.items():
        if not isinstance(nodes, dict):
            raise RenderError(f"{path}: {map_name}: expected node -> [x, y]")
        pins[str(map_name)] = {}
        for node, xy in nodes.items():
            if not (isinstance(xy, list) and len(xy) == 2 and
                    all(isinstance(v, (int, float)) for v in xy)):
                raise RenderError(f"{path}: {map_name}.{node}: expected [x, y] in points, "
                                  f"got {xy!r}")
            pins[str(map_name)][str(node)] = (float(xy[0]), float(xy[1]))
    return pins


# ---------------------------------------------------------------- internals

def _render_job(job: _Job, out_dir: Path, pins: dict[str, tuple[float, float]]) \
        -> RenderedMap:
    by_name = {str(d.get("name")): n for n, d in job.view.nodes(data=True)}
    resolved = {by_name.get(k, k): xy for k, xy in pins.items()}
    resolved = {k: xy for k, xy in resolved.items() if k in job.view}
    drawn = sum(1 for _, d in job.view.nodes(data=True) if d.get("kind") == "device")
    several_sites = len(site_names(job.view)) > 1
    overview = drawn > OVERVIEW_ABOVE or several_sites
    engine = "neato" if resolved else "dot" if drawn <= SFDP_ABOVE else "sfdp"
    options = MapOptions(title=job.title, pins=resolved, engine=engine, overview=overview,
                         rankdir="LR" if several_sites else "TB")
    text = layer2_dot(job.view, options) if job.layer == "l2" else \
        layer3_dot(job.view, options)
    svg, png = out_dir / f"{job.name}.svg", out_dir / f"{job.name}.png"
    layout = out_dir / f".{job.name}.json"
    try:
        run_graphviz(text, engine, {"svg": svg, "png": png, "json0": layout},
                     stagger=STAGGER_ROWS if job.layer == "l2" else 0)
        layout_text = layout.read_text(encoding="utf-8")
    finally:
        layout.unlink(missing_ok=True)
    drawio = out_dir / f"{job.name}.drawio"
    atomic_write(drawio, drawio_xml(layout_text, job.title), mode=0o644)
    atomic_write(out_dir / f"{job.name}.positions.yaml", _positions(layout_text), mode=0o644)
    atomic_write(out_dir / f"{job.name}.dot", text, mode=0o644)
    return RenderedMap(name=job.name, title=job.title, layer=job.layer, site=job.site,
                       engine=engine, nodes=drawn, svg=svg, png=png, drawio=drawio)


def _positions(layout_text: str) -> str:
    layout: dict[str, Any] = json.loads(layout_text)
    lines = ["# positions from the last layout; copy lines into pins.yaml to fix them"]
    for obj in sorted(layout.get("objects", []), key=lambda o: str(o.get("name"))):
        if "pos" in obj and not str(obj["name"]).startswith(("endpoints:", "legend")):
            x, y = obj["pos"].split(",")
            lines.append(f"{json.dumps(obj['name'])}: [{float(x):g}, {float(y):g}]")
    return "\n".join(lines) + "\n"


def _parallel(work: Callable[[_T], _R], items: list[_T]) -> list[_R]:
    """Graphviz runs are separate processes: two at a time keeps both cores busy."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(work, items))


def _require_graphviz() -> None:
    if shutil.which("dot") is None:
        raise RenderError("Graphviz is not installed (no `dot` on PATH); install it with: "
                          "apt-get install graphviz")


def _safe(name: str) -> str:
    return page_name(name)[:-5]
