"""Topology: the client's network as a networkx graph, its exports and its changes.

    build_topology(devices) -> graph        pure; see netdoc.topology.graph
    graphml_text / node_link_text(graph)    stable exports
    topology_changes(old, new)              link appeared/disappeared, endpoint moved
"""
from netdoc.topology.changes import TopologyChange, topology_changes
from netdoc.topology.export import graph_from_node_link, graphml_text, node_link_text
from netdoc.topology.graph import TopologyOptions, build_topology, sorted_graph

__all__ = ["TopologyChange", "TopologyOptions", "build_topology", "graph_from_node_link",
           "graphml_text", "node_link_text", "sorted_graph", "topology_changes"]
