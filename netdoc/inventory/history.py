"""Port history: where every endpoint was plugged in, run after run (Netdisco's question
"where was this PC last week?").

    inventory/<client>/port-history.json     tracked in git, sorted and stable
    inventory/<client>/tables/port-seen.json  the exact time of each latest sighting
                                              (volatile: not in git)

Per endpoint record id: its name, IP and MAC as last known, and the list of places
it was found - switch (record id and name), port as the switch writes it, VLAN,
whether behind an unmanaged hub, first and last seen. The current place has
`current: true`. Its last_seen moves in git at most once a day, so an unchanged
network still writes byte-identical files within a day; when the endpoint moves or
disappears, the place is closed with the exact time of its last sighting.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.workspace import PORT_HISTORY, Workspace

HISTORY_FILE = PORT_HISTORY  # the name the inventory commits (netdoc.workspace)
HISTORY_LIMIT = 100  # places kept per endpoint (oldest dropped first)


@dataclass(frozen=True)
class Placement:
    """Where one endpoint is now (from the topology)."""

    switch: str  # the switch's record id (node id)
    switch_name: str
    port: str
    vlan: int = 0
    via_hub: bool = False
    name: str = ""  # the endpoint's
    ip: str = ""
    mac: str = ""


def load_history(root: Path) -> dict[str, Any]:
    data = read_json(Workspace.of_inventory(root).port_history, {}) or {}
    endpoints = data.get("endpoints", {}) if isinstance(data, dict) else {}
    return endpoints if isinstance(endpoints, dict) else {}


def last_seen_exact(root: Path) -> dict[str, str]:
    data = read_json(Workspace.of_inventory(root).port_seen, {}) or {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record_placements(root: Path, placements: dict[str, Placement], stamp: str) -> list[str]:
    """Fold this run's placements into the history. Returns what changed, in words
    ("pc-07 moved: access-sw2 Gi1/0/2 -> access-sw1 Gi1/0/7", "pc-07 unplugged: ...")."""
    endpoints = load_history(root)
    seen = last_seen_exact(root)
    changes: list[str] = []
    for node_id, place in sorted(placements.items()):
        entry = endpoints.setdefault(node_id, {"ports": []})
        entry.update({"name": place.name, "ip": place.ip, "mac": place.mac})
        ports: list[dict[str, Any]] = entry.setdefault("ports", [])
        current = next((p for p in ports if p.get("current")), None)
        where = _where(place)
        if current is not None and _same_place(current, place):
            if str(current.get("last_seen", ""))[:10] != stamp[:10]:
                current["last_seen"] = stamp
            current["switch_name"] = place.switch_name  # a renamed switch
        else:
            if current is not None:
                current["current"] = False
                current["last_seen"] = seen.get(node_id, current.get("last_seen", stamp))
                changes.append(f"{place.name or node_id} moved: {_where_entry(current)} -> {where}")
            ports.append({"switch": place.switch, "switch_name": place.switch_name,
                          "port": place.port, "vlan": place.vlan, "via_hub": place.via_hub,
                          "first_seen": stamp, "last_seen": stamp, "current": True})
            del ports[:-HISTORY_LIMIT]
        seen[node_id] = stamp
    for node_id, entry in sorted(endpoints.items()):
        if node_id in placements:
            continue
        for place_entry in entry.get("ports", []):
            if place_entry.get("current"):
                place_entry["current"] = False
                place_entry["last_seen"] = seen.get(node_id, place_entry.get("last_seen", ""))
                changes.append(f"{entry.get('name') or node_id} no longer seen on "
                               f"{_where_entry(place_entry)} (last {place_entry['last_seen']})")
    for entry in endpoints.values():
        entry["ports"] = sorted(entry.get("ports", []),
                                key=lambda p: (str(p.get("first_seen", "")), str(p.get("switch")),
                                               str(p.get("port"))))
    files = Workspace.of_inventory(root)
    atomic_write(files.port_history,
                 stable_json({"endpoints": dict(sorted(endpoints.items()))}), mode=0o644)
    files.port_seen.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(files.port_seen, stable_json(dict(sorted(seen.items()))))
    return changes


def placements_from_graph(graph: Any) -> dict[str, Placement]:
    """node id -> Placement for every endpoint the topology located on a switch port."""
    found: dict[str, Placement] = {}
    for node, data in graph.nodes(data=True):
        switch = str(data.get("switch", ""))
        if data.get("kind") == "device" and data.get("role") in ACCESS_DEVICES and \
                data.get("inventoried", False):
            place = _cabled_to_one_switch(graph, str(node))
            if place is not None:
                found[str(node)] = place
            continue
        if data.get("kind") != "endpoint" or not switch or switch not in graph:
            continue
        if not data.get("inventoried", False):
            continue  # MAC-table-only stations have no record to keep a history for
        found[str(node)] = Placement(
            switch=switch, switch_name=str(graph.nodes[switch].get("name", switch)),
            port=str(data.get("port", "")), vlan=int(data.get("vlan", 0) or 0),
            via_hub=bool(data.get("via")), name=str(data.get("name", "")),
            ip=str(data.get("mgmt_ip", "")), mac=str(data.get("macs", "")).split(",")[0])
    return found


ACCESS_DEVICES = ("wireless",)  # network devices at the edge: an AP hangs off one switch port


def _cabled_to_one_switch(graph: Any, node: str) -> Placement | None:
    """An access point's place: the one switch port its cable (LLDP) goes to."""
    cables = [d for _, _, d in graph.edges(node, data=True) if d.get("kind") == "l2"]
    if len(cables) != 1:
        return None
    cable = cables[0]
    side = "b" if cable.get("node_a") == node else "a"
    switch = str(cable.get(f"node_{side}", ""))
    if switch not in graph or graph.nodes[switch].get("role") != "switch":
        return None
    data = graph.nodes[node]
    return Placement(switch=switch, switch_name=str(graph.nodes[switch].get("name", switch)),
                     port=str(cable.get(f"port_{side}", "")),
                     vlan=int(cable.get("native_vlan", 0) or 0),
                     name=str(data.get("name", "")), ip=str(data.get("mgmt_ip", "")),
                     mac=str(data.get("macs", "")).split(",")[0])


def _same_place(entry: dict[str, Any], place: Placement) -> bool:
    return (entry.get("switch"), entry.get("port"), int(entry.get("vlan", 0) or 0),
            bool(entry.get("via_hub"))) == (place.switch, place.port, place.vlan, place.via_hub)


def _where(place: Placement) -> str:
    return _where_entry({"switch_name": place.switch_name, "port": place.port,
                         "vlan": place.vlan, "via_hub": place.via_hub})


def _where_entry(entry: dict[str, Any]) -> str:
    text = f"{entry.get('switch_name') or entry.get('switch')} {entry.get('port') or '?'}"
    if entry.get("vlan"):
        text += f" (VLAN {entry['vlan']})"
    if entry.get("via_hub"):
        text += " behind a hub"
    return text


def port_history(root: Path) -> dict[str, list[dict[str, Any]]]:
    """record id -> its places, newest first (the current one with its exact last sighting)."""
    exact = last_seen_exact(root)
    found: dict[str, list[dict[str, Any]]] = {}
    for node_id, entry in load_history(root).items():
        ports = [dict(p) for p in entry.get("ports", []) if isinstance(p, dict)]
        for place in ports:
            if place.get("current") and node_id in exact:
                place["last_seen"] = exact[node_id]
            place["where"] = describe(place)
        found[node_id] = sorted(ports, key=lambda p: str(p.get("first_seen", "")), reverse=True)
    return found


def describe(entry: dict[str, Any]) -> str:
    """One place in words: "access-sw2 Gi1/0/2 (VLAN 10)"."""
    return _where_entry(entry)
