"""What changed in the topology between two runs, in words a technician reads.

Only physical facts count: a cable between network devices appeared or went,
an endpoint was found on another port. Inventory changes (new or vanished
devices) are reported by the inventory stage, not repeated here.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True, order=True)
class TopologyChange:
    kind: str  # link-appeared | link-disappeared | endpoint-moved
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.replace('-', ' ')}: {self.subject}" + \
            (f" ({self.detail})" if self.detail else "")


def topology_changes(old: nx.MultiGraph[str], new: nx.MultiGraph[str]) -> list[TopologyChange]:
    before, after = _links(old), _links(new)
    changes = [TopologyChange("link-appeared", text, "") for key, text in after.items()
               if key not in before]
    changes += [TopologyChange("link-disappeared", text, "") for key, text in before.items()
                if key not in after]
    changes += _moves(old, new)
    return sorted(changes)


def _links(graph: nx.MultiGraph[str]) -> dict[tuple[str, str, str, str], str]:
    """Cables between network devices, keyed so renamed spellings don't count twice."""
    links = {}
    for a, b, data in graph.edges(data=True):
        if data.get("kind") not in ("l2", "wan"):
            continue
        end_a = (data.get("node_a", a), data.get("port_a", ""))
        end_b = (data.get("node_b", b), data.get("port_b", ""))
        first, second = sorted((end_a, end_b))
        if data.get("kind") == "wan":
            second = (second[0], second[1] or str(data.get("subnet", "")))
        links[first + second] = f"{_end(graph, *first)} <-> {_end(graph, *second)}"
    return links


def _moves(old: nx.MultiGraph[str], new: nx.MultiGraph[str]) -> list[TopologyChange]:
    moves = []
    for node, data in new.nodes(data=True):
        if data.get("kind") != "endpoint" or node not in old:
            continue
        was, now = _location(old, node), _location(new, node)
        if was and now and was != now:
            moves.append(TopologyChange("endpoint-moved", str(data.get("name", node)),
                                        f"{was} -> {now}"))
    return moves


def _location(graph: nx.MultiGraph[str], node: str) -> str:
    data = graph.nodes[node]
    switch = data.get("switch", "")
    if not switch:
        return ""
    port = data.get("port", "")
    return _end(graph, switch, port)


def _end(graph: nx.MultiGraph[str], node: str, port: str) -> str:
    name = graph.nodes[node].get("name", node) if node in graph else node
    return f"{name} {port}".strip()
