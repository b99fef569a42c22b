"""The static documentation site: Jinja2 templates -> inventory/<client>/site/.

    site/index.html            client overview: sites, counts, last run, changes, maps
    site/devices.html          every device, sortable and filterable
    site/devices/<id>.html     one page per device (and its neighbourhood map)
    site/configs/<id>.cfg.txt  the latest stored configuration
    site/configs/<id>.diff.html  its latest change
    site/maps/                 SVG, PNG, draw.io of every map
    site/assets/               CSS and JS (local files: works from file://, no CDN)
    site/summary.json          what the all-clients index shows about this client

Templates come from the project's templates/ folder; a folder named in
netdoc.yaml `output.templates` overrides them file by file.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import networkx as nx

from netdoc.facts.docs import render_docs
from netdoc.errors import StoreError
from netdoc.fsutil import read_json, stable_json
from netdoc.models import Device
from netdoc.render import RenderError
from netdoc.render.dot import page_name
from netdoc.render.maps import RenderedMap
from netdoc.topology.ports import short_port

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
ASSETS = ("netdoc.css", "netdoc.js")


@dataclass
class BackupInfo:
    status: str  # ok | failed | stale | never
    last_success: str = ""
    last_error: str = ""
    age: str = ""
    config_text: str | None = None
    diff: str = ""
    diff_title: str = ""
    facts_changes: list[str] = field(default_factory=list)  # the diff in plain words
    history: list[dict[str, str]] = field(default_factory=list)


@dataclass
class DeviceRecord:
    """What the inventory knows about a device beyond its Device record."""

    first_seen: str = ""
    last_seen: str = ""
    status: str = "present"
    history: list[dict[str, str]] = field(default_factory=list)
    # where an endpoint was plugged in (netdoc.inventory.history), newest first
    ports: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SiteInput:
    client: str
    graph: nx.MultiGraph[str]
    devices: dict[str, Device]  # node id -> record
    records: dict[str, DeviceRecord] = field(default_factory=dict)
    backups: dict[str, BackupInfo] = field(default_factory=dict)
    maps: list[RenderedMap] = field(default_factory=list)
    neighbourhoods: dict[str, Path] = field(default_factory=dict)
    facts_repository: Path | None = None  # config repo with *.facts.yaml: docs.html
    changes: list[str] = field(default_factory=list)
    last_run: dict[str, Any] = field(default_factory=dict)
    recent_runs: list[dict[str, Any]] = field(default_factory=list)  # newest first
    generated: str = ""


def environment(override: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if override is not None:
        if not override.is_dir():
            raise RenderError(f"output.templates: {override} is not a folder; create it or "
                              f"remove the setting from netdoc.yaml")
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True,
                             auto_reload=False)  # one render: no stat per page
    env.filters["short_port"] = short_port
    env.filters["speed"] = _speed
    return env


def render_site(data: SiteInput, out_dir: Path, templates: Path | None = None) -> dict[str, Path]:
    env = environment(templates)
    generated = data.generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = _device_rows(data)
    common = {"client": data.client, "generated": generated,
              "docs": data.facts_repository is not None}
    for asset in ASSETS:
        _write(out_dir / "assets" / asset, _render(env, asset, common))
    summary = _summary(data, rows, generated)
    maps = [_map_entry(m, out_dir) for m in data.maps]
    _write(out_dir / "index.html", _render(env, "index.html.j2", {
        **common, "root": "", "summary": summary, "maps": maps, "changes": data.changes,
        "last_run": data.last_run, "recent_runs": data.recent_runs}))
    _write(out_dir / "devices.html", _render(env, "devices.html.j2", {
        **common, "root": "", "rows": rows, "sites": summary["sites"],
        "roles": sorted({r["role"] for r in rows})}))
    manual = _manual_notes(out_dir.parent / "docs")   # what docs/*.yaml say per device
    for row in rows:
        context = _device_context(data, row, out_dir)
        name = str(row["name"]).lower()
        short = name if re.fullmatch(r"[0-9.]+", name) else name.split(".", 1)[0]
        context["manual"] = next((manual[k] for k in (
            f"{row['site']}/{name}", name, row["ip"], f"{row['site']}/{short}", short)
            if k and k in manual), None)
        _write(out_dir / "devices" / row["page"], _render(env, "device.html.j2", {
            **common, "root": "../", **context}))
        backup = data.backups.get(row["id"])
        if backup and backup.config_text is not None:
            stem = row["page"][:-5]
            _write(out_dir / "configs" / f"{stem}.cfg.txt", backup.config_text)
            _write(out_dir / "configs" / f"{stem}.diff.html", _render(env, "diff.html.j2", {
                **common, "root": "../", "row": row, "backup": backup,
                "diff_lines": _diff_lines(backup.diff)}))
    if data.facts_repository is not None:  # addressing, VLANs, VPNs, rules (netdoc.facts)
        render_docs(env, data.facts_repository, out_dir, common)
    _write(out_dir / "summary.json", stable_json(summary))
    return {"site": out_dir / "index.html", "devices": out_dir / "devices.html"}


def _manual_notes(folder: Path) -> dict[str, Any]:
    """docs/*.yaml device entries (role, location, owner, notes) by lower-case name, as
    written: host name, site/host name or management IP (netdoc.facts.manual)."""
    from netdoc.facts.manual import load_manual_docs

    return {d.device.lower(): d for d in load_manual_docs(folder).devices}


def render_clients_index(inventory_root: Path, clients: list[str],
                         templates: Path | None = None) -> Path:
    """inventory/index.html: every client, linking to its site, from each summary.json."""
    env = environment(templates)
    entries = []
    for name in sorted(clients):
        summary = read_json(inventory_root / name / "site" / "summary.json", None)
        entries.append({"name": name, "summary": summary,
                        "link": f"{name}/site/index.html" if summary else ""})
    path = inventory_root / "index.html"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    common = {"client": "", "generated": generated, "root": "", "asset_root": ""}
    for asset in ASSETS:
        _write(inventory_root / "assets" / asset, _render(env, asset, common))
    _write(path, _render(env, "clients.html.j2", {**common, "clients": entries}))
    return path


# ---------------------------------------------------------------- context builders

def _device_rows(data: SiteInput) -> list[dict[str, Any]]:
    rows = []
    for node, attrs in data.graph.nodes(data=True):
        if attrs.get("kind") not in ("device", "endpoint"):
            continue
        device = data.devices.get(node)
        record = data.records.get(node, DeviceRecord())
        switch = str(attrs.get("switch", ""))
        rows.append({
            "id": node, "page": page_name(node), "name": attrs.get("name", node),
            "ip": attrs.get("mgmt_ip", ""), "mac": (device.base_mac if device else "")
            or str(attrs.get("macs", "")).split(",")[0],
            "vendor": attrs.get("vendor", ""), "model": attrs.get("model", ""),
            "os": " ".join(x for x in (device.os, device.version) if x) if device else "",
            "role": attrs.get("role", "unknown"), "site": attrs.get("site", ""),
            "kind": attrs.get("kind"), "inventoried": bool(attrs.get("inventoried")),
            "switch": switch, "switch_name": data.graph.nodes[switch].get("name", switch)
            if switch in data.graph else "", "switch_page": page_name(switch) if switch in
            data.graph and data.graph.nodes[switch].get("kind") == "device" else "",
            "port": attrs.get("port", ""), "via_hub": bool(attrs.get("via")),
            "first_seen": record.first_seen, "last_seen": record.last_seen,
            "status": record.status, "ip_key": _ip_key(str(attrs.get("mgmt_ip", ""))),
            "last_port": f"{record.ports[0].get('where', '')} at "
                         f"{record.ports[0].get('last_seen', '')}" if record.ports else "",
            "past_ports": " ".join(str(p.get("where", "")) for p in record.ports),
        })
    return sorted(rows, key=lambda r: (r["site"], r["kind"] != "device", r["ip_key"], r["id"]))


def _summary(data: SiteInput, rows: list[dict[str, Any]], generated: str) -> dict[str, Any]:
    archived = sum(1 for r in rows if r["status"] == "archived")
    rows = [r for r in rows if r["status"] != "archived"]  # listed and searchable, not counted
    sites = sorted({r["site"] for r in rows if r["site"]})
    per_site = []
    for site in sites or [""]:
        mine = [r for r in rows if r["site"] == site or not sites]
        per_site.append({"name": site, "devices": len(mine),
                         "roles": dict(sorted(Counter(r["role"] for r in mine).items())),
                         "vlans": site_vlans(data, site if sites else None)})
    backups = Counter(b.status for b in data.backups.values())
    return {"client": data.client, "generated": generated, "devices": len(rows),
            "network_devices": sum(1 for r in rows if r["kind"] == "device"),
            "endpoints": sum(1 for r in rows if r["kind"] == "endpoint"),
            "roles": dict(sorted(Counter(r["role"] for r in rows).items())),
            "sites": per_site, "backups": dict(sorted(backups.items())),
            "changes": len(data.changes), "archived": archived,
            "last_run": {k: data.last_run.get(k, "") for k in ("started", "status")}}


def site_vlans(data: SiteInput, site: str | None) -> list[dict[str, Any]]:
    """The site's VLAN table: id, name, the switches that have it, how many access and
    trunk ports carry it and how many endpoints were found in it."""
    table: dict[int, dict[str, Any]] = {}

    def entry(vid: int) -> dict[str, Any]:
        return table.setdefault(vid, {"id": vid, "name": "", "switches": set(), "access": 0,
                                      "trunks": 0, "endpoints": 0})

    from netdoc.discover.collectors.vlans import expand

    for node, device in data.devices.items():
        if site is not None and device.site != site:
            continue
        name = str(data.graph.nodes[node].get("name", node)) if node in data.graph else node
        for vid, vlan_name in device.vlans.items():
            if vid.isdigit():
                entry(int(vid))["name"] = entry(int(vid))["name"] or vlan_name
                entry(int(vid))["switches"].add(name)
        for interface in device.interfaces:
            if interface.vlan_mode == "access" and interface.vlan:
                entry(interface.vlan)["access"] += 1
                entry(interface.vlan)["switches"].add(name)
    for node, device in data.devices.items():  # trunks: counted for the VLANs known above
        if site is not None and device.site != site:
            continue
        for interface in device.interfaces:
            if interface.vlan_mode == "trunk":
                carried = expand(interface.allowed_vlans) if interface.allowed_vlans else \
                    set(table)
                for number in sorted(carried & set(table)):
                    table[number]["trunks"] += 1
    for _, attrs in data.graph.nodes(data=True):
        if attrs.get("kind") == "endpoint" and attrs.get("vlan") and \
                (site is None or attrs.get("site") == site):
            entry(int(attrs["vlan"]))["endpoints"] += 1
    return [{**row, "switches": sorted(row["switches"])} for _, row in sorted(table.items())]


def _vlan_text(interface: Any) -> str:
    if interface.vlan_mode == "access":
        return f"access {interface.vlan}"
    if interface.vlan_mode == "trunk":
        return f"trunk {interface.allowed_vlans or 'all'}" + \
            (f" (native {interface.vlan})" if interface.vlan else "")
    return ""


def _device_context(data: SiteInput, row: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    node = row["id"]
    device = data.devices.get(node)
    graph = data.graph
    links, plugged = _links_and_endpoints(graph, node)
    interfaces = []
    for interface in sorted(device.interfaces if device else [], key=lambda i: i.index):
        name = interface.name or interface.descr
        interfaces.append({"i": interface, "name": name, "link": links.get(name),
                           "endpoints": plugged.get(name, []), "vlan": _vlan_text(interface)})
    known_ports = {i["name"] for i in interfaces}
    extra_ports = sorted(set(links) | set(plugged) - known_ports)
    svg = data.neighbourhoods.get(node)
    return {"row": row, "device": device, "interfaces": interfaces,
            "neighbours": [links[p] | {"port": p} for p in sorted(links)],
            "plugged": [{"port": p, "endpoints": plugged[p]} for p in sorted(plugged)],
            "by_vlan": _plugged_by_vlan(plugged, device),
            "extra_ports": extra_ports, "record": data.records.get(node, DeviceRecord()),
            "backup": data.backups.get(node), "node": graph.nodes[node],
            "subnets": sorted(str(graph.nodes[o].get("name")) for o in graph.neighbors(node)
                              if graph.nodes[o].get("kind") == "subnet"),
            "map_svg": _inline_svg(svg, prefix_from="", prefix_to="") if svg else ""}


def _plugged_by_vlan(plugged: dict[str, list[dict[str, Any]]], device: Device | None) \
        -> list[dict[str, Any]]:
    """The endpoints on a switch grouped by VLAN: [{vlan, name, rows: [{port, endpoint}]}]."""
    names = device.vlans if device else {}
    groups: dict[int, list[dict[str, Any]]] = {}
    for port, endpoints in plugged.items():
        for endpoint in endpoints:
            groups.setdefault(int(endpoint.get("vlan") or 0), []).append(
                {"port": port, "e": endpoint})
    return [{"vlan": vid, "name": names.get(str(vid), ""),
             "rows": sorted(rows, key=lambda r: (r["port"], r["e"]["name"]))}
            for vid, rows in sorted(groups.items(), key=lambda kv: (kv[0] == 0, kv[0]))]


def _links_and_endpoints(graph: nx.MultiGraph[str], node: str) \
        -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    links: dict[str, dict[str, Any]] = {}
    plugged: dict[str, list[dict[str, Any]]] = {}
    for _, other, data in graph.edges(node, data=True):
        kind = data.get("kind")
        if kind == "l2":
            mine = data["port_a"] if data["node_a"] == node else data["port_b"]
            theirs = data["port_b"] if data["node_a"] == node else data["port_a"]
            links[mine or f"(port unknown) {graph.nodes[other].get('name')}"] = {
                "name": graph.nodes[other].get("name", other), "remote_port": theirs,
                "page": page_name(other) if graph.nodes[other].get("kind") != "hub" else "",
                "source": data.get("source", ""), "seen_from": data.get("seen_from", ""),
                "hub": graph.nodes[other].get("kind") == "hub",
                "behind": _behind_hub(graph, other)
                if graph.nodes[other].get("kind") == "hub" else []}
        elif kind == "attach" and graph.nodes[other].get("kind") == "endpoint":
            port = str(data.get("port", ""))
            plugged.setdefault(port, []).append(_endpoint_brief(graph, other))
    for port in plugged:
        plugged[port].sort(key=lambda e: e["name"])
    return links, plugged


def _behind_hub(graph: nx.MultiGraph[str], hub: str) -> list[dict[str, Any]]:
    return sorted((_endpoint_brief(graph, n) for n in graph.neighbors(hub)
                   if graph.nodes[n].get("kind") == "endpoint"), key=lambda e: e["name"])


def _endpoint_brief(graph: nx.MultiGraph[str], node: str) -> dict[str, Any]:
    data = graph.nodes[node]
    return {"name": data.get("name", node), "page": page_name(node), "ip": data.get("mgmt_ip"),
            "role": data.get("role"), "vendor": data.get("vendor"),
            "model": data.get("model"), "vlan": data.get("vlan", 0)}


def _map_entry(rendered: RenderedMap, out_dir: Path) -> dict[str, Any]:
    def rel(path: Path) -> str:
        return path.relative_to(out_dir).as_posix()
    return {"name": rendered.name, "title": rendered.title, "layer": rendered.layer,
            "site": rendered.site, "svg": rel(rendered.svg), "png": rel(rendered.png),
            "drawio": rel(rendered.drawio),
            "inline": _inline_svg(rendered.svg, prefix_from="../devices/",
                                  prefix_to="devices/")}


_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _inline_svg(path: Path, prefix_from: str, prefix_to: str) -> str:
    """An SVG file's markup for embedding in a page (links made relative to that page)."""
    text = _PROLOG.sub("", path.read_text(encoding="utf-8"), count=1)
    if prefix_from != prefix_to:
        text = text.replace(f'href="{prefix_from}', f'href="{prefix_to}')
    return text


def _diff_lines(diff: str) -> list[tuple[str, str]]:
    kinds = []
    for line in diff.splitlines():
        kind = "add" if line.startswith("+") and not line.startswith("+++") else \
            "del" if line.startswith("-") and not line.startswith("---") else \
            "hunk" if line.startswith("@@") else "ctx"
        kinds.append((kind, line))
    return kinds


def _render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise RenderError(f"template {where}{':' + str(line) if line else ''}: {exc}") from None


def _write(path: Path, text: str) -> None:
    """A page. A new file is written in place; an existing one is replaced by rename,
    so a reader sees the old page or the new one.

    Neither is fsync'd one by one as inventory files are (atomic_write): the pages are
    derived and rebuilt every run, and the render stage builds them in a fresh folder
    that it swaps in whole. For a 10,000-device client, per-page fsync and rename were
    most of the site's time (about 1.7 ms and 1 ms a page against 0.1 ms a write)."""
    payload = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            tmp = path.with_name(f".{path.name}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, path)
            return
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def _speed(bps: int) -> str:
    if not bps:
        return ""
    for unit, size in (("Tb/s", 10**12), ("Gb/s", 10**9), ("Mb/s", 10**6), ("kb/s", 10**3)):
        if bps >= size:
            value = bps / size
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{bps} b/s"


def _ip_key(ip: str) -> str:
    try:
        return "".join(f"{int(p):03d}" for p in ip.split(".")) if ip.count(".") == 3 else "~" + ip
    except ValueError:
        return "~" + ip
