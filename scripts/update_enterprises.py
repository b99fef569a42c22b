#!/usr/bin/env python3
"""Regenerate netdoc/data/enterprises.tsv.gz, the IANA Private Enterprise Numbers.

netdoc names the vendor of any SNMP device from the enterprise number in its
sysObjectID (1.3.6.1.4.1.<N>...). The registry is IANA's; this script turns a
copy of it into the compact file shipped in the package, so a probe needs
neither network access nor Wireshark installed:

    python3 scripts/update_enterprises.py                   # from Debian's libwireshark-data
    python3 scripts/update_enterprises.py --source enterprise-numbers.txt  # IANA's own file

Accepted sources: Wireshark's enterprises.tsv (`NUMBER<TAB>NAME`, Debian package
libwireshark-data: /usr/share/wireshark/enterprises.tsv) or IANA's
`enterprise-numbers` text file (number on one line, organisation indented on
the next). The output is gzip'd `NUMBER<TAB>NAME` lines after a header naming
the source, its own date where it gives one, and the date of generation.
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import re
import sys
from pathlib import Path

DEFAULT_SOURCE = Path("/usr/share/wireshark/enterprises.tsv")
OUTPUT = Path(__file__).resolve().parents[1] / "netdoc" / "data" / "enterprises.tsv.gz"
_WIRESHARK_LINE = re.compile(r"^(\d+)\s+(.+?)\s*$")
_IANA_NUMBER = re.compile(r"^(\d+)\s*$")
_UPDATED = re.compile(r"(?i)last updated\D*(\d{4}-\d{2}-\d{2})")


def parse(text: str) -> tuple[dict[int, str], str]:
    """Registry entries (number -> organisation) and the source's own date ('' if none)."""
    updated = _UPDATED.search(text)
    entries: dict[int, str] = {}
    lines = text.splitlines()
    iana = any(_IANA_NUMBER.match(line) for line in lines[:400])
    for number, line in enumerate(lines):
        if iana:
            found = _IANA_NUMBER.match(line)
            if found and number + 1 < len(lines) and lines[number + 1].startswith("  "):
                entries[int(found.group(1))] = lines[number + 1].strip()
            continue
        if line.startswith("#"):
            continue
        found = _WIRESHARK_LINE.match(line)
        if found:
            name = found.group(2).split("\t#")[0].split("  #")[0].strip()
            entries[int(found.group(1))] = name
    return entries, updated.group(1) if updated else ""


def render(entries: dict[int, str], source: str, updated: str) -> bytes:
    today = datetime.date.today().isoformat()
    header = [
        "# IANA Private Enterprise Numbers (SMI Network Management Private Enterprise Codes)",
        f"# source: {source}" + (f" (registry last updated {updated})" if updated else ""),
        f"# generated: {today} by scripts/update_enterprises.py",
        "# format: NUMBER<TAB>ORGANISATION",
    ]
    clean = (f"{number}\t{' '.join(name.split())}" for number, name in sorted(entries.items())
             if name and "\t" not in name)
    return gzip.compress(("\n".join([*header, *clean]) + "\n").encode("utf-8"), 9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"registry copy to read (default {DEFAULT_SOURCE})")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"update_enterprises: {args.source} not found; install Debian's libwireshark-data "
              f"(apt-get install libwireshark-data) or pass --source with IANA's "
              f"enterprise-numbers file", file=sys.stderr)
        return 2
    entries, updated = parse(args.source.read_text(encoding="utf-8", errors="replace"))
    if len(entries) < 1000:
        print(f"update_enterprises: {args.source} holds only {len(entries)} entries; "
              f"not a copy of the registry?", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(render(entries, str(args.source), updated))
    print(f"update_enterprises: wrote {len(entries)} entries to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
