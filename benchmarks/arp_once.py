"""One netdoc ARP sweep in a fresh interpreter, as `netdoc discover` runs it; prints one line.

    python benchmarks/arp_once.py CIDR INTERFACE [MODULE_FILE]

benchmarks/discovery_sweep.py times this inside the lab's probe namespace beside
arp-scan and nmap -sn. It is a file of its own so the interpreter starts with only what
a sweep needs, as the tools do: the benchmark's own imports (argparse, statistics,
tempfile, ...) are no part of an ARP sweep. MODULE_FILE times another copy of
netdoc/discover/collectors/arp.py (an older revision) instead of this checkout's.
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()

import ipaddress  # noqa: E402 - imports are timed from STARTED on
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

MARK = "BENCH-JSON "  # the line benchmarks/discovery_sweep.py reads


def main(cidr: str, interface: str, module_file: str = "") -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    arp: Any
    if module_file:
        import contextlib
        import importlib.util
        spec = importlib.util.spec_from_file_location("arp_baseline", module_file)
        assert spec is not None and spec.loader is not None
        arp = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = arp  # dataclasses look their module up there
        spec.loader.exec_module(arp)
        with contextlib.suppress(ImportError):  # an older sweep imported scapy lazily:
            import scapy.layers.l2  # noqa: F401  count that as import, not as sweep
            import scapy.sendrecv  # noqa: F401
    else:
        from netdoc.discover.collectors import arp
    imported = time.perf_counter()
    notes: list[str] = []

    class Keep(logging.Handler):  # the sweep's own account of where its time went
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    logger = logging.getLogger("netdoc.collectors.arp")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Keep())
    found = arp.arp_sweep(arp.targets(ipaddress.ip_network(cidr)), interface)
    swept = time.perf_counter()
    print(MARK + json.dumps({"hosts": [s.ip for s in found], "import": imported - STARTED,
                             "sweep": swept - imported,
                             "breakdown": notes[-1] if notes else ""}))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
