#!/usr/bin/env python3
"""Regenerate netdoc/data/products/*.tsv: sysObjectID -> product name, from vendors' MIBs.

Many agents state their model only as their sysObjectID; the vendor's PRODUCTS MIB
names each one (CISCO-PRODUCTS-MIB `catalyst2950t24 ::= { ciscoProducts 359 }`,
JUNIPER-CHASSIS-DEFINES-MIB `jnxProductNameEX4200`, HP-ICF-OID `hpSwitchJ9019A`,
FORTINET-FORTIGATE-MIB `fgt100F`, ARISTA-PRODUCTS-MIB ...). This script reads such MIB
files (SMIv1/SMIv2 text, e.g. a checkout of LibreNMS's or Netdisco's mibs/ folder, or
/usr/share/snmp/mibs) and writes one compact table per MIB:

    python3 scripts/update_products.py MIBDIR/cisco/CISCO-PRODUCTS-MIB \\
        --source "librenms/librenms mibs/cisco/CISCO-PRODUCTS-MIB @15f945c"
    python3 scripts/update_products.py MIBDIR/juniper/JUNIPER-CHASSIS-DEFINES-MIB \\
        --under 1.3.6.1.4.1.2636.1 --import-from MIBDIR/juniper/JUNIPER-SMI

Each output file, netdoc/data/products/<MIB-NAME>.tsv, is `OID<TAB>name` lines after a
header naming the MIB, its LAST-UPDATED, the source given and the date of generation.
Only leaves under the product root are written (`--under`, default: every OID the
MIB assigns that no other assignment of the MIB hangs under, i.e. the products, not
the branches). Names of parents defined in other MIBs come from --import-from files
and the table of well-known roots below.
"""
from __future__ import annotations

import argparse
import datetime
import re
import sys
from pathlib import Path

OUTPUT_DIR = Path(__file__).resolve().parents[1] / "netdoc" / "data" / "products"

# Parents that PRODUCTS MIBs import from their vendor's SMI MIB (resolved without it)
WELL_KNOWN = {
    "iso": "1", "org": "1.3", "dod": "1.3.6", "internet": "1.3.6.1", "mgmt": "1.3.6.1.2",
    "mib-2": "1.3.6.1.2.1", "private": "1.3.6.1.4", "enterprises": "1.3.6.1.4.1",
    "cisco": "1.3.6.1.4.1.9", "ciscoProducts": "1.3.6.1.4.1.9.1",
    "ciscoModules": "1.3.6.1.4.1.9.12", "ciscoSB": "1.3.6.1.4.1.9.6.1",
    "hp": "1.3.6.1.4.1.11", "juniperMIB": "1.3.6.1.4.1.2636",
    "jnxProducts": "1.3.6.1.4.1.2636.1", "aristaProducts": "1.3.6.1.4.1.30065.1",
    "fortinet": "1.3.6.1.4.1.12356", "fnFortiGateMib": "1.3.6.1.4.1.12356.101",
    "foundry": "1.3.6.1.4.1.1991", "huawei": "1.3.6.1.4.1.2011",
    "extremenetworks": "1.3.6.1.4.1.1916", "dell": "1.3.6.1.4.1.674",
    "mikrotik": "1.3.6.1.4.1.14988",
}

_COMMENT = re.compile(r"--.*?(?:--|$)", re.M)
_STRING = re.compile(r'"[^"]*"', re.S)
# name OBJECT IDENTIFIER ::= { parent 12 }   /  name OBJECT-IDENTITY ... ::= { parent 12 }
_ASSIGNMENT = re.compile(
    r"(?m)^\s*([a-zA-Z][\w-]*)\s+(OBJECT\s+IDENTIFIER|OBJECT-IDENTITY|MODULE-IDENTITY)\b"
    r"(?:(?!::=).)*?::=\s*\{\s*([a-zA-Z][\w-]*)((?:\s+(?:[\w-]+\(\d+\)|\d+))+)\s*\}", re.S)
_NUMBER = re.compile(r"(\d+)\)?$")
_MIB_NAME = re.compile(r"(?m)^\s*([A-Z][\w-]*)\s+DEFINITIONS\s*::=\s*BEGIN")
_UPDATED = re.compile(r'LAST-UPDATED\s+"(\d{8,12})Z?"')


def strip_comments(text: str) -> str:
    """MIB text without ASN.1 comments (-- to end of line or to the next --); strings
    are kept, as a DESCRIPTION may hold '--'."""
    strings: list[str] = []

    def keep(found: re.Match[str]) -> str:
        strings.append(found.group(0))
        return f'"{len(strings) - 1}"'

    shielded = _STRING.sub(keep, text)
    shielded = _COMMENT.sub("", shielded)
    return re.sub(r'"(\d+)"', lambda m: strings[int(m.group(1))], shielded)


def assignments(text: str) -> dict[str, tuple[str, list[int], str]]:
    """name -> (parent name, sub-identifiers, kind) for every OID assignment of a MIB."""
    found: dict[str, tuple[str, list[int], str]] = {}
    for match in _ASSIGNMENT.finditer(strip_comments(text)):
        name, kind, parent, arcs = match.groups()
        numbers = [int(_NUMBER.search(arc).group(1))  # type: ignore[union-attr]
                   for arc in arcs.split()]
        found[name] = (parent, numbers, " ".join(kind.split()))
    return found


def resolve(defined: dict[str, tuple[str, list[int], str]],
            known: dict[str, str]) -> dict[str, str]:
    """name -> numeric OID for every assignment whose chain reaches a known root."""
    oids = dict(known)
    pending = dict(defined)
    while pending:
        progressed = False
        for name, (parent, numbers, _kind) in list(pending.items()):
            if parent in oids:
                oids[name] = ".".join([oids[parent], *map(str, numbers)])
                del pending[name]
                progressed = True
        if not progressed:
            break
    return {name: oid for name, oid in oids.items() if name in defined}


def product_rows(text: str, imports: dict[str, str], under: str = "") -> list[tuple[str, str]]:
    """(OID, name) of the products a MIB assigns: OBJECT IDENTIFIER / OBJECT-IDENTITY
    leaves (no other assignment of the MIB under them), limited to `under` if given."""
    defined = assignments(text)
    oids = resolve(defined, {**WELL_KNOWN, **imports})
    branches = {parent for parent, _numbers, _kind in defined.values()}
    rows = []
    for name, oid in oids.items():
        if defined[name][2] == "MODULE-IDENTITY" or name in branches:
            continue
        if under and not oid.startswith(under.strip(".") + "."):
            continue
        rows.append((oid, name))
    return sorted(rows, key=lambda row: [int(part) for part in row[0].split(".")])


def render(rows: list[tuple[str, str]], mib: str, updated: str, source: str,
           today: datetime.date) -> str:
    header = [f"# sysObjectID -> product name from {mib} (netdoc.discover.products)",
              f"# MIB LAST-UPDATED: {updated or 'not stated'}",
              f"# source: {source}",
              f"# generated: {today.isoformat()} by scripts/update_products.py; do not edit",
              f"# entries: {len(rows)}"]
    return "\n".join(header + [f"{oid}\t{name}" for oid, name in rows]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mib", type=Path, help="the PRODUCTS MIB file (SMI text)")
    parser.add_argument("--source", default="", help="where the MIB came from, for the header")
    parser.add_argument("--under", default="", help="only OIDs under this one")
    parser.add_argument("--import-from", type=Path, action="append", default=[],
                        help="a MIB that defines parents this one imports (repeatable)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    args = parser.parse_args(argv)
    text = args.mib.read_text(encoding="utf-8", errors="replace")
    imports: dict[str, str] = {}
    for path in args.import_from:
        imports.update(resolve(assignments(path.read_text(encoding="utf-8", errors="replace")),
                               {**WELL_KNOWN, **imports}))
    rows = product_rows(text, imports, args.under)
    if not rows:
        print(f"update_products: no product OIDs found in {args.mib} (are its parents "
              f"defined? add --import-from THE-SMI-MIB)", file=sys.stderr)
        return 1
    named = _MIB_NAME.search(text)
    mib = named.group(1) if named else args.mib.name
    updated = _UPDATED.search(text)
    out = args.output_dir / f"{mib}.tsv"
    out.write_text(render(rows, mib, updated.group(1) if updated else "",
                          args.source or str(args.mib), datetime.date.today()),
                   encoding="utf-8")
    print(f"update_products: {len(rows)} products of {mib} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
