"""`netdoc where MAC|IP|NAME [--json]`: where is (or was) this device plugged in?

Looks the query up in every client's inventory (or --client's): a MAC in any
spelling, an IP, or a name (full or without its domain, or a part of it when
nothing matches whole). Prints the current switch port, or the last known one
with its date, and the port history kept in inventory/<client>/port-history.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from netdoc.errors import NetdocError
from netdoc.fsutil import read_json
from netdoc.inventory.history import describe, last_seen_exact, load_history
from netdoc.models import normalise_mac
from netdoc.textsafe import clean
from netdoc.workspace import Workspace

EXIT_NOT_FOUND = 1


class WhereError(NetdocError):
    pass


def add_where_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    def handler(args: argparse.Namespace) -> int:
        return where_command(args)

    sub = command("where", "Where is a device plugged in (MAC, IP or name): its switch port "
                           "now, or the last known one with its date, and its port history.",
                  handler)
    sub.add_argument("query", help="MAC address (any spelling), IP address or name")


def where_command(args: argparse.Namespace) -> int:
    from netdoc.config import load_config

    config = load_config(getattr(args, "config", None))
    only = getattr(args, "client", None)
    clients = [only] if only else sorted(config.clients)
    found: list[dict[str, Any]] = []
    for client in clients:
        config.client(client)  # an unknown --client is an error naming the known ones
        found += lookup(config.inventory_dir(client), args.query, client)
    if getattr(args, "json", False):
        print(json.dumps({"query": args.query, "matches": found}, indent=2, sort_keys=True))
    else:
        sys.stdout.write(format_matches(args.query, found))
    return 0 if found else EXIT_NOT_FOUND


def lookup(inventory: Path, query: str, client: str = "") -> list[dict[str, Any]]:
    """Every inventoried device matching `query`, with its current/last port and history."""
    index = read_json(Workspace.of_inventory(inventory).index, {}) or {}
    devices = {d["id"]: d for d in index.get("devices", []) if isinstance(d, dict) and "id" in d}
    history = load_history(inventory)
    exact = last_seen_exact(inventory)
    candidates: dict[str, dict[str, Any]] = {}
    for node_id in set(devices) | set(history):
        device, past = devices.get(node_id, {}), history.get(node_id, {})
        candidates[node_id] = {
            "id": node_id, "name": device.get("name") or past.get("name", ""),
            "ip": device.get("ip") or past.get("ip", ""),
            "mac": device.get("mac") or past.get("mac", ""),
            "site": device.get("site", ""), "role": device.get("role", ""),
            "status": device.get("status", "")}
    chosen = _matching(candidates, query)
    out = []
    for node_id in sorted(chosen, key=lambda n: (candidates[n]["name"], n)):
        ports = [dict(p) for p in history.get(node_id, {}).get("ports", [])]
        current = next((p for p in ports if p.get("current")), None)
        if current is not None and node_id in exact:
            current["last_seen"] = exact[node_id]
        last = current or (max(ports, key=lambda p: str(p.get("last_seen", "")))
                           if ports else None)
        out.append({**candidates[node_id], "client": client,
                    "plugged_in_now": current is not None, "port": last,
                    "history": sorted(ports, key=lambda p: str(p.get("first_seen", "")),
                                      reverse=True)})
    return out


def _matching(candidates: dict[str, dict[str, Any]], query: str) -> list[str]:
    text = query.strip().lower()
    mac = normalise_mac(text) if len(text) >= 12 else ""
    if mac:
        return [n for n, c in candidates.items() if normalise_mac(str(c["mac"])) == mac]
    by_ip = [n for n, c in candidates.items() if c["ip"] == text]
    if by_ip:
        return by_ip
    whole = [n for n, c in candidates.items()
             if text and text in (str(c["name"]).lower(), str(c["name"]).lower().split(".")[0],
                                  n.lower())]
    if whole:
        return whole
    return [n for n, c in candidates.items() if text and text in str(c["name"]).lower()]


def format_matches(query: str, matches: list[dict[str, Any]]) -> str:
    if not matches:
        return f"no device matches {clean(query, 200)!r} in the inventory\n"
    lines: list[str] = []
    for match in matches:
        ident = ", ".join(str(x) for x in (match["ip"], match["mac"]) if x)
        lines.append(clean(f"{match['name'] or match['id']}" + (f" ({ident})" if ident else "")
                           + f" - client {match['client']}"
                           + (f", site {match['site']}" if match["site"] else ""), 400))
        port = match["port"]
        if port is None:
            lines.append("  never located on a switch port")
        elif match["plugged_in_now"]:
            lines.append(clean(f"  now:  {describe(port)}, since {port.get('first_seen', '')}"
                               f" (last seen {port.get('last_seen', '')})", 400))
        else:
            lines.append(clean(f"  last: {describe(port)}, last seen {port.get('last_seen', '')}"
                               f" (not plugged in since)", 400))
        if match["history"]:
            lines.append("  history (newest first):")
            for entry in match["history"]:
                mark = " *" if entry.get("current") else ""
                lines.append(clean(f"    {entry.get('first_seen', '')} .. "
                                   f"{entry.get('last_seen', '')}  {describe(entry)}{mark}", 400))
        lines.append("")
    return "\n".join(lines)
