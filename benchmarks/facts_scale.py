"""Config facts at firewall scale: ciscoconfparse2's reader vs netdoc's linear reader.

    .venv/bin/python benchmarks/facts_scale.py [--max 2000]

Builds FortiOS configs with N firewall policies in one `config firewall policy`
table and reports the seconds each reader needs to build the tree, and the
seconds for the whole facts extraction (which picks the reader by size).
"""
from __future__ import annotations

import argparse
import time

from netdoc.facts import extract
from netdoc.facts.tree import parse_tree


def fortios(policies: int) -> str:
    body = "".join(f'    edit {i}\n        set srcintf "port1"\n        set dstintf "port2"\n'
                   f'        set srcaddr "all"\n        set dstaddr "all"\n'
                   f'        set action accept\n        set service "ALL"\n    next\n'
                   for i in range(1, policies + 1))
    return f"config firewall policy\n{body}end\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=1000,
                        help="largest policy count read by ciscoconfparse2 (slow)")
    args = parser.parse_args()
    print(f"{'policies':>8} {'lines':>7} {'ciscoconfparse2 s':>18} {'linear s':>9} "
          f"{'facts s':>8}")
    for count in (100, 250, 500, 1000, 2000, 5000):
        text = fortios(count)
        library = "-"
        if count <= args.max:
            start = time.perf_counter()
            parse_tree(text, "ios", reader="library")
            library = f"{time.perf_counter() - start:.2f}"
        start = time.perf_counter()
        parse_tree(text, "ios", reader="linear")
        linear = time.perf_counter() - start
        start = time.perf_counter()
        facts = extract(text, "fortios")
        assert len(facts.rules) == count
        print(f"{count:>8} {len(text.splitlines()):>7} {library:>18} {linear:>9.2f} "
              f"{time.perf_counter() - start:>8.2f}")


if __name__ == "__main__":
    main()
