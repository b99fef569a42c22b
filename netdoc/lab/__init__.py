"""The site lab: a realistic client site in network namespaces, with real daemons.

See netdoc.lab.lab.Lab for the Python API and `netdoc lab --help` for the CLI.
"""
from netdoc.lab.lab import DEFAULT_PREFIX, DEFAULT_STATE_DIR, Lab
from netdoc.lab.topology import Topology, load_topology

__all__ = ["DEFAULT_PREFIX", "DEFAULT_STATE_DIR", "Lab", "Topology", "load_topology"]
