"""Export a client's documentation for the tools MSPs already use.

    netdoc export netbox CLIENT --out DIR   NetBox bulk-import CSV files, one per object
                                            type, in the order NetBox needs them
    netdoc export csv CLIENT --out DIR      inventory spreadsheets (devices, interfaces,
                                            addressing plan, VLANs)

Sources: the inventory (netdoc.inventory.store: devices, interfaces, MACs, IPs,
LLDP/CDP neighbours for cables) and the config facts (netdoc.facts: VLANs, subnets).
The NetBox headers are those of NetBox's CSV import forms (`HEADERS` below), checked
against the fields each form accepts and requires, as recorded with their source in
netdoc/data/netbox_import.yaml (`netbox_problems` finds a header, an empty required
value or a choice NetBox would refuse). Values are written with the csv module, and a
leading =, +, - or @ is quoted away so a spreadsheet never runs device-supplied text as
a formula.
"""
from __future__ import annotations

import csv
import io
import ipaddress
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from netdoc.facts.docs import addressing, load_client_facts
from netdoc.fsutil import atomic_write
from netdoc.inventory.store import display_name
from netdoc.models import Device

log = logging.getLogger("netdoc.export")

# NetBox bulk import (CSV) headers per object type, in import order (each file names
# objects the earlier ones created); every header is a field of that type's import form
# (netdoc/data/netbox_import.yaml)
HEADERS: dict[str, list[str]] = {
    "sites": ["name", "slug", "status", "description"],
    "manufacturers": ["name", "slug"],
    "device_roles": ["name", "slug", "color"],
    "device_types": ["manufacturer", "model", "slug"],
    # netdoc's platform names; no manufacturer (NetBox would then refuse a device whose
    # vendor is spelled otherwise)
    "platforms": ["name", "slug", "description"],
    "devices": ["name", "role", "manufacturer", "device_type", "platform", "status", "site",
                "serial", "description"],
    "vlans": ["site", "vid", "name", "status"],
    "prefixes": ["prefix", "status", "vlan_site", "vlan", "description"],
    "interfaces": ["device", "name", "type", "enabled", "mode", "description"],
    "mac_addresses": ["mac_address", "device", "interface"],
    "ip_addresses": ["address", "status", "device", "interface", "is_primary", "description"],
    "cables": ["side_a_device", "side_a_type", "side_a_name", "side_b_device", "side_b_type",
               "side_b_name", "status"],
}


@lru_cache(maxsize=1)
def netbox_schema() -> dict[str, Any]:
    """What NetBox's import forms accept per object type (fields, required, choices)."""
    import yaml

    path = Path(__file__).resolve().parents[1] / "data" / "netbox_import.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))["objects"]
    return data


def netbox_problems(kind: str, header: list[str], rows: Iterable[dict[str, Any]]) -> list[str]:
    """Why NetBox would refuse this file: a header its form does not know, a required
    header missing or empty in a row, a value outside the form's choices."""
    schema = netbox_schema().get(kind)
    if schema is None:
        return [f"{kind}: not a NetBox import object type netdoc knows"]
    problems = [f"{kind}: header {h!r} is not a field of NetBox's {schema['form']}"
                for h in header if h not in schema["fields"]]
    problems += [f"{kind}: required header {r!r} missing" for r in schema["required"]
                 if r not in header]
    choices: dict[str, list[str]] = schema.get("choices") or {}
    for number, row in enumerate(rows, start=2):
        for key in schema["required"]:
            if key in header and str(row.get(key, "")).strip() == "":
                problems.append(f"{kind} line {number}: required {key!r} is empty")
        for key, allowed in choices.items():
            value = str(row.get(key, ""))
            if key in header and value and value not in allowed:
                problems.append(f"{kind} line {number}: {key} {value!r} is not one of "
                                f"NetBox's choices ({', '.join(allowed)})")
    return problems
ROLE_COLOURS = {"router": "2196f3", "switch": "4caf50", "firewall": "f44336",
                "access-point": "ff9800", "server": "9c27b0"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")[:100] or "unknown"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_text(header: list[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(key, "")) for key in header])
    return out.getvalue()


def _interface_type(name: str, speed: int) -> str:
    lowered = name.lower()
    if lowered.startswith(("vlan", "loopback", "lo", "tunnel", "port-channel", "bond", "br")):
        return "virtual" if not lowered.startswith(("port-channel", "bond")) else "lag"
    # NetBox has no 10 Mb/s copper type: its 100base-tx is "10/100ME"
    return {10**7: "100base-tx", 10**8: "100base-tx", 10**9: "1000base-t",
            10**10: "10gbase-x-sfpp", 25 * 10**9: "25gbase-x-sfp28",
            40 * 10**9: "40gbase-x-qsfpp", 100 * 10**9: "100gbase-x-qsfp28"}.get(speed, "other")


def netbox_tables(devices: list[Device], facts_vlans: dict[str, dict[int, str]],
                  default_site: str, plan: list[dict[str, Any]] | None = None) \
        -> dict[str, list[dict[str, Any]]]:
    named = {display_name(d): d for d in devices}
    tables: dict[str, list[dict[str, Any]]] = {k: [] for k in HEADERS}
    sites = sorted({d.site or default_site for d in devices})
    tables["sites"] = [{"name": s, "slug": slug(s), "status": "active"} for s in sites]
    makers = sorted({d.vendor or "Unknown" for d in devices})
    tables["manufacturers"] = [{"name": m, "slug": slug(m)} for m in makers]
    roles = sorted({d.role or "unknown" for d in devices})
    tables["device_roles"] = [{"name": r, "slug": slug(r), "color": ROLE_COLOURS.get(r, "9e9e9e")}
                              for r in roles]
    types = sorted({(d.vendor or "Unknown", d.model or "Unknown") for d in devices})
    tables["device_types"] = [{"manufacturer": m, "model": t, "slug": slug(f"{m}-{t}")}
                              for m, t in types]
    tables["platforms"] = [{"name": p, "slug": slug(p), "description": "netdoc platform"}
                           for p in sorted({_platform(d) for d in devices} - {""})]
    for name, d in sorted(named.items()):
        tables["devices"].append({
            "name": name, "role": d.role or "unknown", "manufacturer": d.vendor or "Unknown",
            "device_type": d.model or "Unknown", "platform": _platform(d), "status": "active",
            "site": d.site or default_site, "serial": d.serial,
            "description": " ".join(x for x in (d.os, d.version) if x)})
        for iface in d.interfaces:
            if not iface.name:
                continue
            tables["interfaces"].append({
                "device": name, "name": iface.name,
                "type": _interface_type(iface.name, iface.speed_bps),
                "enabled": "true" if iface.admin_up else "false",
                "mode": {"access": "access", "trunk": "tagged"}.get(iface.vlan_mode, ""),
                "description": iface.alias or iface.descr})
            if _mac(iface.mac):
                tables["mac_addresses"].append({"mac_address": _mac(iface.mac),
                                                "device": name, "interface": iface.name})
            for address in iface.ipv4:
                tables["ip_addresses"].append({
                    "address": address, "status": "active", "device": name,
                    "interface": iface.name,
                    "is_primary": "true" if address.split("/")[0] == d.mgmt_ip else "false"})
    vlans: dict[tuple[str, int], str] = {}
    for d in devices:
        site = d.site or default_site
        for vid, vname in list(d.vlans.items()) + list(facts_vlans.get(display_name(d),
                                                                        {}).items()):
            if str(vid).isdigit() and 1 <= int(vid) <= 4094:
                vlans.setdefault((site, int(vid)), str(vname) or f"VLAN{vid}")
    tables["vlans"] = [{"site": s, "vid": v, "name": n, "status": "active"}
                       for (s, v), n in sorted(vlans.items())]
    tables["prefixes"] = _prefixes(plan or [], vlans, default_site)
    seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    for name, d in sorted(named.items()):
        ports = {i.name for i in d.interfaces}
        for n in d.neighbors:
            peer = named.get(n.remote_name) or next(
                (x for x in devices if n.remote_mgmt_ip and x.mgmt_ip == n.remote_mgmt_ip), None)
            if peer is None or n.local_port not in ports:
                continue
            peer_name = display_name(peer)
            remote = n.remote_port if n.remote_port in {i.name for i in peer.interfaces} else ""
            if not remote:
                continue
            a, b = (name, n.local_port), (peer_name, remote)
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            tables["cables"].append({
                "side_a_device": a[0], "side_a_type": "dcim.interface", "side_a_name": a[1],
                "side_b_device": b[0], "side_b_type": "dcim.interface", "side_b_name": b[1],
                "status": "connected"})
    return tables


def _platform(device: Device) -> str:
    """The device's netdoc platform without a variant (cisco_ios:old -> cisco_ios)."""
    return (device.platform or "").split(":", 1)[0].strip()


def _mac(text: str) -> str:
    """aa:bb:cc:dd:ee:ff in NetBox's upper-case form; '' for anything that is not a MAC."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", text)
    if len(digits) != 12 or digits.strip("0") == "":
        return ""
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2)).upper()


def _prefixes(plan: list[dict[str, Any]], vlans: dict[tuple[str, int], str],
              default_site: str) -> list[dict[str, Any]]:
    """The addressing plan's subnets; a prefix's VLAN is named by site and VID when the
    export lists that VLAN (NetBox looks `vlan` up by VID within `vlan_site`)."""
    rows = []
    for entry in plan:
        try:
            network = ipaddress.ip_network(entry["network"])
        except ValueError:
            continue
        where = entry.get("where") or []
        site = str(where[0]).split("/", 1)[0] if where and "/" in str(where[0]) \
            else default_site
        vid = int(entry["vlan"]) if str(entry.get("vlan", "")).isdigit() else 0
        known = (site, vid) in vlans
        rows.append({"prefix": str(network), "status": "active",
                     "vlan_site": site if known else "", "vlan": vid if known else "",
                     "description": entry.get("use", "")})
    return rows


def export_netbox(devices: list[Device], facts_repository: Path, out: Path,
                  default_site: str) -> list[Path]:
    found = load_client_facts(facts_repository)
    facts_vlans = {name.split("/", 1)[-1]: {v.id: v.name for v in f.vlans}
                   for name, f in found.devices.items()}
    tables = netbox_tables(devices, facts_vlans, default_site, addressing(found.devices))
    written = []
    for order, (kind, header) in enumerate(HEADERS.items(), start=1):
        for problem in netbox_problems(kind, header, tables[kind]):
            log.warning(f"NetBox export: {problem}")
        path = out / f"{order:02d}-{kind}.csv"
        atomic_write(path, csv_text(header, tables[kind]), mode=0o644)
        written.append(path)
    return written


def export_csv(devices: list[Device], facts_repository: Path, out: Path) -> list[Path]:
    found = load_client_facts(facts_repository)
    device_rows = [{"name": display_name(d), "ip": d.mgmt_ip, "mac": d.base_mac,
                    "vendor": d.vendor, "model": d.model, "os": d.os, "version": d.version,
                    "serial": d.serial, "role": d.role, "site": d.site,
                    "platform": d.platform, "location": d.sys_location} for d in devices]
    iface_rows = [{"device": display_name(d), "name": i.name, "description": i.alias or i.descr,
                   "mac": i.mac, "speed_bps": i.speed_bps, "up": i.oper_up,
                   "ipv4": " ".join(i.ipv4), "vlan_mode": i.vlan_mode, "vlan": i.vlan or "",
                   "allowed_vlans": i.allowed_vlans} for d in devices for i in d.interfaces]
    plan = [{"network": e["network"], "vlan": e["vlan"], "use": e["use"],
             "where": "; ".join(e["where"]), "dhcp": e["dhcp"]}
            for e in addressing(found.devices)]
    files: dict[str, tuple[list[str], list[dict[str, Any]]]] = {
        "devices.csv": (list(device_rows[0]) if device_rows else ["name"], device_rows),
        "interfaces.csv": (["device", "name", "description", "mac", "speed_bps", "up", "ipv4",
                            "vlan_mode", "vlan", "allowed_vlans"], iface_rows),
        "addressing.csv": (["network", "vlan", "use", "where", "dhcp"], plan),
    }
    written = []
    for name, (header, rows) in files.items():
        atomic_write(out / name, csv_text(header, rows), mode=0o644)
        written.append(out / name)
    return written


def run_export(config: Any, kind: str, client_name: str | None, out: str | None) -> list[Path]:
    """`netdoc export netbox|csv [--client NAME] [--out DIR]`: every selected client's files
    (default folder: inventory/<client>/export/<kind>/)."""
    from netdoc.errors import UsageError
    from netdoc.inventory.store import load_devices

    if kind not in ("netbox", "csv"):
        raise UsageError(f"export format {kind!r}: use netbox or csv")
    written: list[Path] = []
    clients = config.selected_clients(client_name)
    for client in clients:
        folder = Path(out) / client.name if out and len(clients) > 1 else \
            Path(out) if out else config.inventory_dir(client.name) / "export" / kind
        devices = load_devices(config.inventory_dir(client.name), present_only=True)
        repository = config.backups_dir(client.name)
        written += export_netbox(devices, repository, folder, client.name) if kind == "netbox" \
            else export_csv(devices, repository, folder)
    return written
