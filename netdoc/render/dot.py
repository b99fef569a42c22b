"""Graph -> Graphviz DOT text for the layer-2 and layer-3 maps (pure, no I/O).

Legibility rules, because every map tool is accused of "stars in a night sky":
  * only network devices are drawn as nodes; endpoints are listed in one table
    per switch, by port, and collapsed into counts when a switch has many;
  * each site is a cluster; the layout is top-down from the routers/firewalls;
  * port names are shortened (GigabitEthernet0/1 -> Gi0/1) and shown at each
    end of a cable;
  * shapes and colours say the role; a legend says which is which.
"""
from __future__ import annotations

import hashlib
import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from netdoc.topology.ports import short_port
from netdoc.textsafe import clean_block

# role -> (shape, fill colour, border colour)
ROLE_STYLE: dict[str, tuple[str, str, str]] = {
    "firewall": ("octagon", "#fde2e1", "#b42318"),
    "router": ("ellipse", "#dbeafe", "#1d4ed8"),
    "switch": ("box", "#dcfce7", "#15803d"),
    "wireless": ("hexagon", "#f3e8ff", "#7e22ce"),
    "hub": ("box", "#f4f4f5", "#71717a"),
    "subnet": ("note", "#fef9c3", "#a16207"),
    "unknown": ("box", "#ffffff", "#52525b"),
}
ENDPOINT_STYLE = ("plain", "#fffbeb", "#b45309")
TABLE_ROWS = 12  # endpoint rows shown per switch before collapsing into counts
NAMES_PER_PORT = 2  # endpoint names shown on one port before a count
CROWDED_FAN_OUT = 4  # more cables than this below a device: port names mid-cable
_VIA_HUB = "\x00hub"  # marks a table row for a port with a folded hub behind it
ROOT_ORDER = ("firewall", "router", "wireless", "switch")  # who goes on top


@dataclass
class MapOptions:
    title: str
    link_prefix: str = "../devices/"  # node links, relative to where the SVG is shown
    pins: dict[str, tuple[float, float]] = field(default_factory=dict)
    engine: str = "dot"
    legend: bool = True
    overview: bool = False  # big maps: endpoint counts in the switch label, no tables
    rankdir: str = "TB"  # layer 2 direction; LR stacks a multi-site overview for printing


PAGE_STEM_LIMIT = 120  # a node id longer than this (a 250-character LLDP name) is hashed


def page_name(node: str) -> str:
    """File name of a node's page: safe on every file system and in URLs, and short."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", node)
    if len(stem) > PAGE_STEM_LIMIT:
        digest = hashlib.sha256(node.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        stem = f"{stem[:PAGE_STEM_LIMIT - 17]}-{digest}"
    return stem + ".html"


def quote(text: str) -> str:
    """A DOT string: control characters (which Graphviz rejects) removed, quotes escaped."""
    text = clean_block(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def layer2_dot(graph: nx.MultiGraph[str], options: MapOptions) -> str:
    """Network devices and cables; endpoints as one table per switch (or only a count
    per switch in overview mode); hubs with nothing but endpoints behind them are
    folded into their switch's table."""
    lines = _header(options, rankdir=options.rankdir)
    folded = _folded_hubs(graph)
    sites = _by_site(graph, (n for n, d in graph.nodes(data=True)
                             if d.get("kind") in ("device", "hub") and n not in folded))
    attached = _endpoints_by_host(graph, folded)
    for site, nodes in sites:
        lines += _cluster_open(site, len(sites) > 1)
        for node in nodes:
            count = sum(len(e) for e in attached.get(node, {}).values())
            lines.append(_device_node(graph, node, options,
                                      count if options.overview else 0))
            if node in attached and not options.overview:
                lines.append(_endpoint_table(graph, node, attached[node], options))
        lines += _cluster_close(site, len(sites) > 1)
    tables = {} if options.overview else attached
    lines += _l2_edges(graph, tables, folded)
    if options.legend:
        lines.append(_legend(graph.subgraph(n for n in graph if n not in folded),
                             with_endpoints=bool(tables)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def layer3_dot(graph: nx.MultiGraph[str], options: MapOptions) -> str:
    lines = _header(options, rankdir="LR")
    sites = _by_site(graph, graph.nodes)
    for site, nodes in sites:
        lines += _cluster_open(site, len(sites) > 1)
        for node in nodes:
            data = graph.nodes[node]
            if data.get("kind") == "subnet":
                lines.append(_subnet_node(node, data, int(data.get("hosts", 0))))
            elif data.get("kind") == "device":
                lines.append(_device_node(graph, node, options))
        lines += _cluster_close(site, len(sites) > 1)
    for a, b, data in _sorted_edges(graph):
        kind = data.get("kind")
        ends = {graph.nodes[a].get("kind"), graph.nodes[b].get("kind")}
        if kind == "l3" and ends == {"device", "subnet"}:
            lines.append(f"{quote(a)} -- {quote(b)} [label={quote(str(data.get('ip', '')))}, "
                         f"fontsize=9];")
        elif kind == "wan":
            lines.append(f"{quote(a)} -- {quote(b)} [style=dashed, color=\"#b42318\", "
                         f"penwidth=2, label={quote('WAN ' + str(data.get('subnet', '')))}, "
                         f"fontsize=9, fontcolor=\"#b42318\"];")
    if options.legend:
        lines.append(_legend(graph, with_endpoints=False))
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- pieces

def _header(options: MapOptions, rankdir: str) -> list[str]:
    lines = [f"graph {quote(options.title)} {{",
             f"  graph [label={quote(options.title)}, labelloc=t, fontsize=18, "
             f"fontname=\"Helvetica\", rankdir={rankdir}, nodesep=0.35, ranksep=0.7, "
             f"pad=0.3, bgcolor=white, splines=true, overlap=prism, outputorder=edgesfirst, "
             f"start=1];",
             "  node [fontname=\"Helvetica\", fontsize=11, style=filled, penwidth=1.4];",
             "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#52525b\", penwidth=1.3];"]
    if options.pins:
        # overlap removal would move pinned nodes: pins win over tidiness
        lines.append("  graph [mode=KK, overlap=true];")
    return lines


def _cluster_open(site: str, clustered: bool) -> list[str]:
    if not clustered or not site:
        return []
    return [f"  subgraph {quote('cluster_site_' + site)} {{",
            f"    graph [label={quote('site ' + site)}, style=\"rounded,dashed\", "
            f"color=\"#a1a1aa\", fontsize=14];"]


def _cluster_close(site: str, clustered: bool) -> list[str]:
    return ["  }"] if clustered and site else []


def _by_site(graph: nx.MultiGraph[str], nodes: Any) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        groups[str(graph.nodes[node].get("site", ""))].append(node)
    return [(site, sorted(groups[site])) for site in sorted(groups)]


def _device_node(graph: nx.MultiGraph[str], node: str, options: MapOptions,
                 endpoints: int = 0) -> str:
    data = graph.nodes[node]
    role = str(data.get("role", "unknown"))
    shape, fill, border = ROLE_STYLE.get(role, ROLE_STYLE["unknown"])
    detail = " · ".join(str(x) for x in (data.get("mgmt_ip"), data.get("model")) if x)
    label = f"<<B>{html.escape(str(data.get('name', node)))}</B>"
    if data.get("kind") == "hub":
        label = "<<B>unmanaged switch / hub</B>"
    elif detail:
        label += f"<BR/><FONT POINT-SIZE=\"9\">{html.escape(detail)}</FONT>"
    if endpoints:
        label += f"<BR/><FONT POINT-SIZE=\"9\" COLOR=\"{ENDPOINT_STYLE[2]}\">{endpoints} " \
                 f"endpoint{'s' if endpoints != 1 else ''}</FONT>"
    label += ">"
    style = "filled,dashed" if not data.get("inventoried", True) else "filled"
    attrs = [f"label={label}", f"shape={shape}", f"fillcolor=\"{fill}\"",
             f"color=\"{border}\"", f"style=\"{style}\"", f"tooltip={quote(_tooltip(data))}"]
    if data.get("kind") != "hub":
        attrs.append(f"URL={quote(options.link_prefix + page_name(node))}")
    if node in options.pins:
        x, y = options.pins[node]
        attrs.append(f"pos=\"{x / 72:g},{y / 72:g}!\"")  # neato reads inches
    return f"    {quote(node)} [{', '.join(attrs)}];"


def _tooltip(data: dict[str, Any]) -> str:
    parts = [data.get("name"), data.get("role"), data.get("mgmt_ip"), data.get("vendor"),
             data.get("model")]
    return " · ".join(str(p) for p in parts if p)


def _subnet_node(node: str, data: dict[str, Any], hosts: int) -> str:
    shape, fill, border = ROLE_STYLE["subnet"]
    label = f"<<B>{html.escape(str(data.get('name', node)))}</B><BR/>" \
            f"<FONT POINT-SIZE=\"9\">{hosts} host{'s' if hosts != 1 else ''}</FONT>>"
    return f"    {quote(node)} [label={label}, shape={shape}, fillcolor=\"{fill}\", " \
           f"color=\"{border}\"];"


def _folded_hubs(graph: nx.MultiGraph[str]) -> set[str]:
    """Hubs with only endpoints behind them: drawn as a row of their switch's table."""
    return {n for n, d in graph.nodes(data=True) if d.get("kind") == "hub"
            and d.get("switch") in graph
            and sum(1 for _, _, e in graph.edges(n, data=True) if e.get("kind") == "l2") <= 1}


def _endpoints_by_host(graph: nx.MultiGraph[str], folded: set[str]) \
        -> dict[str, dict[str, list[str]]]:
    """host (switch, hub, AP) -> port -> endpoints plugged in there."""
    hosts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "endpoint":
            continue
        via = data.get("via") if data.get("via") not in folded else ""
        host = via or data.get("switch")
        if host and host in graph:
            port = "" if via else str(data.get("port", ""))
            if data.get("via") in folded:
                port += _VIA_HUB
            hosts[host][port].append(node)
    return {h: {p: sorted(e) for p, e in ports.items()} for h, ports in hosts.items()}


def _endpoint_table(graph: nx.MultiGraph[str], host: str, ports: dict[str, list[str]],
                    options: MapOptions) -> str:
    total = sum(len(e) for e in ports.values())
    rows = [f"<TR><TD COLSPAN=\"2\" BGCOLOR=\"{ENDPOINT_STYLE[1]}\"><B>{total} "
            f"endpoint{'s' if total != 1 else ''}</B></TD></TR>"]
    ordered = sorted(ports, key=_port_order)
    if len(ordered) > TABLE_ROWS or (ordered == [""] and total > TABLE_ROWS):
        roles = Counter(str(graph.nodes[e].get("role", "unknown")) for p in ports
                        for e in ports[p])
        rows[0] = rows[0].replace("</B>", f"</B> on {len(ordered)} ports")
        rows += [f"<TR><TD ALIGN=\"RIGHT\">{n}</TD><TD ALIGN=\"LEFT\">{html.escape(role)}"
                 f"</TD></TR>" for role, n in sorted(roles.items())]
    else:
        vlan_of = {port: _vlan_of(graph, ports[port]) for port in ordered}
        grouped = len(set(vlan_of.values()) - {0}) > 1  # endpoint table grouped by VLAN
        if grouped:
            ordered = sorted(ordered, key=lambda p: (vlan_of[p] or 1 << 13, _port_order(p)))
        current = -1
        for port in ordered:
            if grouped and vlan_of[port] != current:
                current = vlan_of[port]
                rows.append(f"<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><I>"
                            f"{html.escape(_vlan_title(graph, host, current))}</I></TD></TR>")
            rows.append(_port_row(graph, port, ports[port], options))
    label = "<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"2\" " \
            f"COLOR=\"{ENDPOINT_STYLE[2]}\">{''.join(rows)}</TABLE>>"
    return f"    {quote('endpoints:' + host)} [shape=plain, style=\"\", fontsize=9, " \
           f"label={label}];"


def _vlan_of(graph: nx.MultiGraph[str], endpoints: list[str]) -> int:
    return int(graph.nodes[endpoints[0]].get("vlan", 0) or 0) if endpoints else 0


def _vlan_title(graph: nx.MultiGraph[str], host: str, vlan: int) -> str:
    if not vlan:
        return "VLAN unknown"
    names = dict(part.split("=", 1) for part in str(graph.nodes[host].get("vlan_names", ""))
                 .split("|") if "=" in part)
    name = names.get(str(vlan), "")
    return f"VLAN {vlan}" + (f" {name}" if name else "")


def _port_row(graph: nx.MultiGraph[str], port: str, endpoints: list[str],
              options: MapOptions) -> str:
    if not port:  # behind a hub: one row per device, no port to name
        return "".join(_endpoint_row(graph, e, options) for e in endpoints)
    port, hub_mark, _ = port.partition(_VIA_HUB)
    hub = "hub: " if hub_mark else ""
    if len(endpoints) > NAMES_PER_PORT:
        cell = f"<TD ALIGN=\"LEFT\">{hub}{len(endpoints)} endpoints</TD>"
    else:
        links = [html.escape(_endpoint_label(graph.nodes[e], e)) for e in endpoints]
        href = options.link_prefix + page_name(endpoints[0])
        cell = f"<TD ALIGN=\"LEFT\" HREF=\"{html.escape(href)}\">{hub}{', '.join(links)}</TD>"
    return f"<TR><TD ALIGN=\"LEFT\">{html.escape(short_port(port) or '-')}</TD>{cell}</TR>"


ROLE_MARK = {"wireless": "AP", "phone": "phone", "camera": "camera", "server": "server",
             "printer": "printer", "ups": "UPS", "nas": "NAS"}  # endpoint type in map tables


def _endpoint_label(data: dict[str, Any], node: str) -> str:
    """An endpoint's name with its type and model when a switch (LLDP/CDP) or SNMP told
    them: "ap-01 (AP UAP-AC-Pro)"."""
    name = str(data.get("name", node))
    mark = ROLE_MARK.get(str(data.get("role", "")), "")
    detail = " ".join(x for x in (mark, str(data.get("model", "") or "")) if x)
    return f"{name} ({detail})" if mark and detail else name


def _endpoint_row(graph: nx.MultiGraph[str], endpoint: str, options: MapOptions) -> str:
    data = graph.nodes[endpoint]
    href = html.escape(options.link_prefix + page_name(endpoint))
    return f"<TR><TD ALIGN=\"LEFT\" HREF=\"{href}\">{html.escape(_endpoint_label(data, endpoint))}</TD>" \
           f"<TD ALIGN=\"LEFT\">{html.escape(str(data.get('mgmt_ip', '')))}</TD></TR>"


def _port_order(port: str) -> tuple[str, tuple[int, ...], str]:
    numbers = tuple(int(n) for n in re.findall(r"\d+", port))
    return re.sub(r"[\d/.:]+", "", port), numbers, port


def _l2_edges(graph: nx.MultiGraph[str], attached: dict[str, dict[str, list[str]]],
              folded: set[str]) -> list[str]:
    lines = []
    oriented = _orientation(graph)
    fan_out = Counter(parent for parent, _ in oriented)
    for a, b, data in _sorted_edges(graph):
        if data.get("kind") not in ("l2", "wan") or a in folded or b in folded:
            continue
        if oriented.get((b, a)):
            a, b = b, a
        ports = {data.get("node_a"): data.get("port_a", ""),
                 data.get("node_b"): data.get("port_b", "")}
        tail, head = short_port(str(ports.get(a, ""))), short_port(str(ports.get(b, "")))
        attrs = [f"taillabel={quote(tail)}", f"headlabel={quote(head)}"]
        trunk = trunk_label(data)
        if fan_out[a] > CROWDED_FAN_OUT:  # tail labels would pile up on the parent
            attrs = [f"label={quote(' — '.join(p for p in (tail, head, trunk) if p))}"]
        elif trunk:
            attrs.append(f"label={quote(trunk)}")
        if data.get("kind") == "wan":
            attrs = [f"label={quote('WAN ' + str(data.get('subnet', '')))}", "style=dashed",
                     "color=\"#b42318\"", "penwidth=2", "constraint=false"]
        elif data.get("inter_site"):
            attrs += ["color=\"#b42318\"", "penwidth=2"]
        elif "lldp" not in str(data.get("source")) and "cdp" not in str(data.get("source")):
            attrs.append("style=dashed")  # inferred from MAC/ARP tables, not announced
        lines.append(f"  {quote(a)} -- {quote(b)} [{', '.join(attrs)}];")
    for host in sorted(attached):
        lines.append(f"  {quote(host)} -- {quote('endpoints:' + host)} "
                     f"[color=\"{ENDPOINT_STYLE[2]}\", style=dotted, weight=4];")
    return lines


def trunk_label(data: dict[str, Any]) -> str:
    """A cable's VLAN label: "trunk 1,10,20 (native 1)", or "" for an access link."""
    if data.get("vlan_mode") != "trunk":
        return ""
    native = int(data.get("native_vlan", 0) or 0)
    vlans = str(data.get("vlans", "")) or "all"
    return f"trunk {vlans}" + (f" (native {native})" if native and native != 1 else "")


def _orientation(graph: nx.MultiGraph[str]) -> dict[tuple[str, str], bool]:
    """Parent -> child pairs from a breadth-first walk starting at firewalls and routers,
    so dot draws the core on top and access switches below it."""
    infra = [n for n, d in graph.nodes(data=True) if d.get("kind") in ("device", "hub")]
    cables: nx.Graph[str] = nx.Graph()
    cables.add_nodes_from(infra)
    for a, b, data in graph.edges(data=True):
        if data.get("kind") == "l2" and a in cables and b in cables:
            cables.add_edge(a, b)
    order = {role: i for i, role in enumerate(ROOT_ORDER)}
    oriented: dict[tuple[str, str], bool] = {}
    for component in sorted(nx.connected_components(cables), key=lambda c: min(c)):
        root = min(component, key=lambda n: (order.get(str(graph.nodes[n].get("role")), 9),
                                             -cables.degree(n), n))
        for parent, child in nx.bfs_edges(cables, root, sort_neighbors=sorted):
            oriented[(parent, child)] = True
    return oriented


def _sorted_edges(graph: nx.MultiGraph[str]) -> list[tuple[str, str, dict[str, Any]]]:
    edges = [(min(a, b), max(a, b), k, d) for a, b, k, d in graph.edges(keys=True, data=True)]
    return [(a, b, d) for a, b, _, d in sorted(edges, key=lambda e: (e[0], e[1], e[2]))]


def _legend(graph: nx.MultiGraph[str], with_endpoints: bool) -> str:
    roles = sorted({str(d.get("role")) for _, d in graph.nodes(data=True)
                    if d.get("kind") in ("device", "hub", "subnet")})
    rows = []
    for role in roles:
        shape, fill, border = ROLE_STYLE.get(role, ROLE_STYLE["unknown"])
        name = "unmanaged switch / hub" if role == "hub" else role
        rows.append(f"<TR><TD BGCOLOR=\"{fill}\" COLOR=\"{border}\">{shape}</TD>"
                    f"<TD ALIGN=\"LEFT\">{html.escape(name)}</TD></TR>")
    if with_endpoints:
        rows.append(f"<TR><TD BGCOLOR=\"{ENDPOINT_STYLE[1]}\">table</TD>"
                    f"<TD ALIGN=\"LEFT\">endpoints by switch port</TD></TR>")
    rows.append("<TR><TD>- - -</TD><TD ALIGN=\"LEFT\">inferred, not announced by LLDP/CDP"
                "</TD></TR>")
    if any(d.get("vlan_mode") == "trunk" for *_, d in graph.edges(data=True)):
        rows.append("<TR><TD>trunk 1,20</TD><TD ALIGN=\"LEFT\">VLANs a trunk carries"
                    "</TD></TR>")
    rows.append("<TR><TD><FONT COLOR=\"#b42318\">━━</FONT></TD>"
                "<TD ALIGN=\"LEFT\">link between sites</TD></TR>")
    label = "<<TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"2\">" \
            "<TR><TD COLSPAN=\"2\"><B>Legend</B></TD></TR>" + "".join(rows) + "</TABLE>>"
    return f"  \"legend\" [shape=plain, style=\"\", fontsize=9, label={label}];"
