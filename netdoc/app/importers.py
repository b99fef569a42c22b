"""Import the device lists of other backup tools: Oxidized's and RANCID's router.db.

    netdoc import oxidized ROUTER_DB [--delimiter :] [--map name=0,model=1] [--resolve]
    netdoc import rancid ROUTER_DB
    ... [--merge --client CLIENT --site SITE]

Without --merge the `devices:` YAML of a site is printed on stdout; with it the
devices are added to that site in netdoc.yaml, comments and layout kept
(ruamel.yaml round trip), after the merged file has passed netdoc's own validation;
the previous file is kept next to it as a timestamped .bak and the new one is
written atomically, so the user's file is never lost.

Formats:
- Oxidized's csv source: one device per line, fields split by a delimiter (`:` by
  default) and picked by a field map (Oxidized's `map:`, default name=0, model=1).
  Without --map the layout is recognised from the file: `name:model`,
  `name:model:username:password[:enable]` and `name:ip:model[:username:password
  [:enable]]` (the second field is an IP address). Passwords are NOT imported:
  netdoc keeps credentials in its vault, never in netdoc.yaml.
- RANCID: `host;type;state[;comment]` (RANCID 3) or `host:type:state[:comment]`
  (RANCID 2). Only `up` devices are imported.
Lines starting with `#` and blank lines are skipped in both.

Each model (Oxidized) or device type (RANCID) becomes a netdoc platform through
the profiles' aliases (`netdoc platforms`): Oxidized model names are aliases, and a
RANCID type is an alias written `rancid:TYPE`. An unknown one is reported with its
line number and the device is imported without `platform:` (SSH autodetection).
"""
from __future__ import annotations

import argparse
import ipaddress
import io
import logging
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from netdoc.errors import ConfigError, UsageError

log = logging.getLogger("netdoc.import")

OXIDIZED_FIELDS = ("name", "ip", "model", "username", "password", "enable", "group")
DELIMITERS = (":", ",", ";", "\t", "|")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ImportedDevice:
    host: str
    name: str = ""
    platform: str = ""
    line: int = 0
    source_type: str = ""  # the model / device type as the file spelled it

    def as_yaml_dict(self) -> dict[str, str]:
        entry = {"host": self.host}
        if self.name:
            entry["name"] = self.name
        if self.platform:
            entry["platform"] = self.platform
        return entry


@dataclass
class ImportResult:
    source: str
    tool: str
    devices: list[ImportedDevice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # down devices, duplicates (not faults)
    usernames: dict[str, int] = field(default_factory=dict)
    passwords: int = 0  # lines with a plaintext password that was NOT imported

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.source} line {line}: {message}")


Resolver = Callable[[str], str | None]


def no_resolver(name: str) -> str | None:
    return None


def dns_resolver(name: str) -> str | None:
    """The first IPv4 address of `name`, from the system resolver (only with --resolve)."""
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    return str(infos[0][4][0]) if infos else None


# ---------------------------------------------------------------- parsing

def _ipv4(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        return None


def _lines(text: str) -> list[tuple[int, str]]:
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.strip().startswith("#")]


def _fields(line: str, delimiter: str) -> list[str]:
    """A line's fields, each stripped of control characters and escape sequences (they
    reach the terminal, logs and netdoc.yaml) and bounded in length."""
    from netdoc.textsafe import NAME_LIMIT, clean

    return [clean(field, NAME_LIMIT).strip() for field in line.split(delimiter)]


def sniff_delimiter(text: str) -> str:
    """The delimiter found in most device lines (`:` when in doubt, Oxidized's default)."""
    lines = [line for _, line in _lines(text)]
    counts = {d: sum(1 for line in lines if d in line) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ":"))
    return best if counts[best] else ":"


def parse_field_map(spec: str) -> dict[str, int]:
    """`name=0,model=1` (Oxidized's `map:`; `name:0` also accepted) -> {"name": 0, ...}."""
    mapping: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, value = part.replace(":", "=", 1).partition("=")
        key = key.strip()
        if not sep or key not in OXIDIZED_FIELDS or not value.strip().isdigit():
            raise UsageError(f"--map: {part!r} is not FIELD=INDEX with FIELD one of "
                             f"{', '.join(OXIDIZED_FIELDS)} (e.g. name=0,ip=1,model=2)")
        mapping[key] = int(value)
    if "name" not in mapping and "ip" not in mapping:
        raise UsageError("--map needs name= or ip= (which field holds the device)")
    if "model" not in mapping:
        raise UsageError("--map needs model= (which field holds the Oxidized model)")
    return mapping


def guess_field_map(rows: list[list[str]]) -> dict[str, int]:
    """Oxidized's usual layouts: name:model[:user:pass[:enable]] or name:ip:model[...]."""
    with_ip = sum(1 for row in rows if len(row) >= 3 and _ipv4(row[1]) and not _ipv4(row[2]))
    if rows and with_ip * 2 > len(rows):
        return {"name": 0, "ip": 1, "model": 2, "username": 3, "password": 4, "enable": 5}
    return {"name": 0, "model": 1, "username": 2, "password": 3, "enable": 4}


def parse_oxidized(text: str, source: str = "router.db", delimiter: str | None = None,
                   field_map: dict[str, int] | None = None,
                   resolver: Resolver = no_resolver) -> ImportResult:
    from netdoc.platforms import profile_named

    result = ImportResult(source=source, tool="oxidized")
    delimiter = delimiter or sniff_delimiter(text)
    numbered = [(number, _fields(line, delimiter)) for number, line in _lines(text)]
    mapping = field_map or guess_field_map([row for _, row in numbered])
    for number, row in numbered:
        def pick(key: str) -> str:
            index = mapping.get(key)
            return row[index] if index is not None and index < len(row) else ""

        name, address, model = pick("name"), pick("ip"), pick("model")
        if not model:
            result.warn(number, f"no model in field {mapping['model']} (delimiter "
                                f"{delimiter!r}); device skipped")
            continue
        if pick("username"):
            result.usernames[pick("username")] = result.usernames.get(pick("username"), 0) + 1
        if pick("password") or pick("enable"):
            result.passwords += 1
            result.warn(number, f"{name or address}: a plaintext password in router.db was NOT "
                                f"imported; keep it in the vault instead (see below)")
        profile = profile_named(model)
        device = _device(result, number, name, address, resolver)
        if device is None:
            continue
        device.source_type = model
        _assign_platform(result, device, profile, f"Oxidized model {model!r}", model)
    return result


def parse_rancid(text: str, source: str = "router.db",
                 resolver: Resolver = no_resolver) -> ImportResult:
    from netdoc.platforms import profile_for_rancid_type

    result = ImportResult(source=source, tool="rancid")
    for number, line in _lines(text):
        fields = _fields(line, ";" if ";" in line else ":")
        if len(fields) < 3 or not fields[0] or not fields[1]:
            result.warn(number, "expected host;type;state (RANCID 3) or host:type:state "
                                "(RANCID 2); line skipped")
            continue
        host, device_type, state = fields[0], fields[1], fields[2]
        if state.lower() != "up":
            result.skipped.append(f"{source} line {number}: {host} is {state or 'not up'!r} "
                                  f"in RANCID; not imported")
            continue
        device = _device(result, number, host, "", resolver)
        if device is None:
            continue
        device.source_type = device_type
        _assign_platform(result, device, profile_for_rancid_type(device_type.lower()),
                         f"RANCID device type {device_type!r}", device_type)
    return result


def _device(result: ImportResult, number: int, name: str, address: str,
            resolver: Resolver) -> ImportedDevice | None:
    label = name or address
    host = _ipv4(address) if address else None
    if address and host is None:
        result.warn(number, f"{label}: {address!r} is not an IPv4 address; device skipped")
        return None
    if host is None:
        host = _ipv4(name) or resolver(name)
    if host is None:
        result.warn(number, f"{name!r} is a name, not an IPv4 address, and the file gives no "
                            f"address; run with --resolve to look names up in DNS, or add the "
                            f"device by hand; device skipped")
        return None
    display = "" if _ipv4(name) else _safe_name(name)
    for other in result.devices:
        if other.host == host:
            shown = label if label == host else f"{label} ({host})"
            result.skipped.append(f"{result.source} line {number}: {shown} repeats "
                                  f"line {other.line}; not imported twice")
            return None
        if display and other.name.lower() == display.lower():
            result.warn(number, f"device name {display!r} repeats line {other.line}; imported "
                                f"without a name")
            display = ""
    device = ImportedDevice(host=host, name=display, line=number)
    result.devices.append(device)
    return device


def _safe_name(name: str) -> str:
    """A router.db name as a netdoc device name (it becomes a file name in the backups)."""
    return _UNSAFE_NAME.sub("-", name).strip(".-")[:100]


def _assign_platform(result: ImportResult, device: ImportedDevice, profile: Any,
                     what: str, spelled: str) -> None:
    from netdoc.backup.platforms import suggestions

    if profile is None:
        close = suggestions(spelled)
        hint = f" (close: {', '.join(close)})" if close else ""
        result.warn(device.line, f"{device.name or device.host}: {what} is unknown to netdoc"
                                 f"{hint}; platform: left unset (SSH autodetection will "
                                 f"try); set it by hand, `netdoc platforms` lists the names")
        return
    device.platform = profile.name
    if profile.backup is None:
        result.warn(device.line, f"{device.name or device.host}: platform {profile.name!r} "
                                 f"has no backup recipe in netdoc yet; its config will not "
                                 f"be backed up")


# ---------------------------------------------------------------- output

def devices_yaml(result: ImportResult) -> str:
    """The `devices:` block of a site, ready to paste under `sites: NAME:`."""
    unset = sum(1 for d in result.devices if not d.platform)
    lines = [f"# {len(result.devices)} device(s) imported from {result.source} "
             f"({result.tool} router.db)" + (f"; {unset} without platform" if unset else ""),
             "devices:"]
    for device in result.devices:
        entry = device.as_yaml_dict()
        lines.append(f"  - host: {entry['host']}")
        for key in ("name", "platform"):
            if key in entry:
                lines.append(f"    {key}: {_yaml_scalar(entry[key])}")
    if not result.devices:
        lines[-1] = "devices: []"
    return "\n".join(lines) + "\n"


def _yaml_scalar(text: str) -> str:
    import yaml

    dumped = yaml.safe_dump(text, default_style=None).strip()
    return dumped.removesuffix("\n...").removesuffix("...").strip()


def credential_advice(result: ImportResult, client: str = "CLIENT") -> list[str]:
    if not result.passwords:
        return []
    users = ", ".join(f"{user} ({count} device(s))" for user, count in
                      sorted(result.usernames.items())) or "none given"
    return [f"{result.passwords} line(s) of {result.source} hold plaintext passwords; none was "
            f"imported. Store each once in the client's vault (`netdoc vault set "
            f"{client}/NAME`), reference it from a credential set in netdoc.yaml (password: "
            f"vault:{client}/NAME), then delete the passwords from router.db. "
            f"Usernames seen: {users}"]


# ---------------------------------------------------------------- merge into netdoc.yaml

@dataclass
class MergeReport:
    path: Path
    backup: Path | None
    added: list[ImportedDevice]
    kept: list[str]


def merge_devices(config_path: Path, client: str, site: str,
                  devices: list[ImportedDevice], clock: Callable[[], float] = time.time) \
        -> MergeReport:
    """Add `devices` to clients.CLIENT.sites.SITE.devices of netdoc.yaml, keeping comments.

    A device whose host (or name) the client already lists is left as the user wrote it.
    The merged text must pass netdoc's validation before anything is written.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from netdoc.config import parse_config
    from netdoc.fsutil import atomic_write

    try:
        original = config_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=str(config_path)) from None
    yaml = YAML()  # round trip: comments, order and quoting survive
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold the user's long lines
    try:
        document = yaml.load(original)
    except Exception as exc:  # noqa: BLE001 - ruamel raises many YAMLError flavours
        raise ConfigError(f"not valid YAML: {exc}", path=str(config_path)) from None
    clients = document.get("clients") if isinstance(document, dict) else None
    if not isinstance(clients, dict) or client not in clients:
        known = ", ".join(map(str, clients or {})) or "none"
        raise UsageError(f"{config_path}: no client {client!r} (clients: {known}); add it "
                         f"first (netdoc init writes an example)")
    client_body = clients[client]
    sites = client_body.get("sites")
    if not isinstance(sites, dict):
        raise UsageError(f"{config_path}: client {client!r} has no sites: mapping")
    if site not in sites or sites[site] is None:
        sites[site] = CommentedMap()
    site_body = sites[site]
    if not isinstance(site_body, dict):
        raise UsageError(f"{config_path}: clients.{client}.sites.{site} is not a mapping")
    listed = site_body.get("devices")
    if listed is None:
        listed = site_body["devices"] = CommentedSeq()
    if not isinstance(listed, list):
        raise UsageError(f"{config_path}: clients.{client}.sites.{site}.devices is not a list")
    hosts, names = _client_devices(client_body)
    added, kept = [], []
    for device in devices:
        if device.host in hosts:
            kept.append(f"{device.host}: already listed in site {hosts[device.host]}; kept as is")
            continue
        if device.name and device.name.lower() in names:
            kept.append(f"{device.host}: name {device.name!r} already used in site "
                        f"{names[device.name.lower()]}; kept as is")
            continue
        entry = CommentedMap(device.as_yaml_dict())
        listed.append(entry)
        hosts[device.host] = site
        if device.name:
            names[device.name.lower()] = site
        added.append(device)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    merged = buffer.getvalue()
    parse_config(merged, config_path)  # never write a file netdoc itself would refuse
    backup = None
    if added:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
        backup = config_path.with_name(f"{config_path.name}.{stamp}.bak")
        mode = config_path.stat().st_mode & 0o777
        atomic_write(backup, original, mode=mode)
        atomic_write(config_path, merged, mode=mode)
    return MergeReport(path=config_path, backup=backup, added=added, kept=kept)


def _client_devices(client_body: Any) -> tuple[dict[str, str], dict[str, str]]:
    hosts: dict[str, str] = {}
    names: dict[str, str] = {}
    for site_name, site_body in (client_body.get("sites") or {}).items():
        for device in (site_body or {}).get("devices") or []:
            if isinstance(device, dict):
                if device.get("host"):
                    hosts[str(device["host"])] = str(site_name)
                if device.get("name"):
                    names[str(device["name"]).lower()] = str(site_name)
    return hosts, names


# ---------------------------------------------------------------- command line

Command = Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]


def add_import_command(command: Command) -> None:
    sub = command("import", "Import devices from an Oxidized or RANCID router.db: print the "
                            "devices: of a site, or merge them into netdoc.yaml.", import_command)
    sub.add_argument("tool", choices=("oxidized", "rancid"), help="whose router.db it is")
    sub.add_argument("router_db", metavar="ROUTER_DB", help="the router.db file ('-' for stdin)")
    sub.add_argument("--delimiter", help="Oxidized field delimiter (default: the one the file "
                                         "uses among : , ; tab |)")
    sub.add_argument("--map", dest="field_map", metavar="FIELD=INDEX,...",
                     help="Oxidized field map, e.g. name=0,ip=1,model=2 (default: recognised "
                          "from the file)")
    sub.add_argument("--resolve", action="store_true",
                     help="look device names without an address up in DNS")
    sub.add_argument("--merge", action="store_true",
                     help="add the devices to --client's --site in netdoc.yaml (a .bak copy "
                          "is kept)")
    sub.add_argument("--site", help="the site to merge into (created if the client has none "
                                    "of that name)")


def import_command(args: argparse.Namespace) -> int:
    from netdoc.config import find_config

    path = args.router_db
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8",
                                                                         errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    source = "stdin" if path == "-" else Path(path).name
    resolver = dns_resolver if args.resolve else no_resolver
    if args.tool == "oxidized":
        field_map = parse_field_map(args.field_map) if args.field_map else None
        result = parse_oxidized(text, source, args.delimiter, field_map, resolver)
    else:
        if args.delimiter or args.field_map:
            raise UsageError("--delimiter and --map are for Oxidized files; RANCID's format "
                             "is fixed")
        result = parse_rancid(text, source, resolver)
    client = getattr(args, "client", None)
    for warning in result.warnings:
        log.warning(warning)
    for note in result.skipped:
        log.info(note)
    for advice in credential_advice(result, client or "CLIENT"):
        log.warning(advice)
    if not args.merge:
        if args.site:
            raise UsageError("--site is for --merge; without it the devices are printed")
        if getattr(args, "json", False):
            from netdoc.app.output import emit

            emit(args, {"source": result.source, "tool": result.tool,
                        "devices": [d.as_yaml_dict() for d in result.devices],
                        "warnings": result.warnings, "skipped": result.skipped}, "")
        else:
            sys.stdout.write(devices_yaml(result))
        return 0
    if not client or not args.site:
        raise UsageError("--merge needs --client CLIENT and --site SITE")
    report = merge_devices(find_config(getattr(args, "config", None)), client, args.site,
                           result.devices)
    for note in report.kept:
        log.info(note)
    print(f"merged {len(report.added)} of {len(result.devices)} device(s) into "
          f"clients.{client}.sites.{args.site} of {report.path}"
          + (f" (previous file kept as {report.backup.name})" if report.backup else
             " (nothing new: file unchanged)"))
    unset = [d for d in report.added if not d.platform]
    if unset:
        print(f"{len(unset)} device(s) without platform: "
              f"{', '.join(d.name or d.host for d in unset)}")
    return 0

