"""Import device lists: Oxidized's and RANCID's router.db, and technicians' spreadsheets.

    netdoc import oxidized ROUTER_DB [--delimiter :] [--map name=0,model=1] [--resolve]
    netdoc import rancid ROUTER_DB
    netdoc import csv FILE [--client CLIENT] [--delimiter ,]
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
- CSV (a spreadsheet saved as CSV, UTF-8 or Excel's Windows-1252, `,` `;` tab or `|`):
  a header line names the columns (CSV_COLUMNS: name/hostname, ip/host, platform,
  type/model, site, client, role, location/rack, owner, notes, credentials, username).
  Each row is a device of its site (or of --site); role, location, owner and notes are
  manual fields, written by --merge to inventory/<client>/docs/import-<file>.yaml where
  the site and the maps read them. A column holding passwords is never imported: a
  `vault:CLIENT/NAME` value (there or in credentials) becomes a credential set with the
  row's username; any other value is reported by file and line.
Lines starting with `#` and blank lines are skipped in all.

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
    site: str = ""         # CSV: the row's site ("" = the --site of the merge)
    credentials: list[str] = field(default_factory=list)   # credential set names
    manual: dict[str, str] = field(default_factory=dict)   # role, location, owner, notes

    def as_yaml_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"host": self.host}
        if self.name:
            entry["name"] = self.name
        if self.platform:
            entry["platform"] = self.platform
        if self.credentials:
            entry["credentials"] = list(self.credentials)
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
    # CSV: credential sets made from `vault:` references (name -> {ssh: {username, password}})
    credential_sets: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

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


# ---------------------------------------------------------------- technician spreadsheets (CSV)

# spreadsheet header (lower case, _-. as spaces) -> what netdoc reads from the column
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "host": ("host", "ip", "ip address", "ipaddress", "ipv4", "ipv4 address", "address",
             "mgmt ip", "management ip", "management address", "mgmt address", "mgmt",
             "ip adresse", "ip adres", "adresse ip", "direccion ip", "indirizzo ip"),
    "name": ("name", "hostname", "host name", "device", "device name", "devicename",
             "sysname", "gerät", "geraet", "gerätename", "apparaat", "appareil", "nom"),
    "platform": ("platform", "netdoc platform", "os", "operating system", "software"),
    "type": ("type", "device type", "model", "oxidized model", "rancid type", "vendor",
             "make", "manufacturer", "kind", "typ", "modell", "hersteller"),
    "site": ("site", "site name", "branch", "office", "filiale", "vestiging"),
    "client": ("client", "customer", "company", "tenant", "organisation", "organization"),
    "role": ("role", "device role", "function"),
    "location": ("location", "rack", "room", "cabinet", "standort", "raum", "schrank",
                 "locatie"),
    "owner": ("owner", "contact", "responsible"),
    "notes": ("notes", "note", "comment", "comments", "description", "remarks"),
    "credentials": ("credentials", "credential", "credential set", "credential sets", "creds",
                    "vault", "vault ref", "vault reference"),
    "username": ("username", "user", "user name", "login", "login name", "ssh user"),
}
# a column whose header holds one of these words carries secrets: never imported
_SECRET_HEADER = re.compile(r"(?i)pass|pwd|secret|community|psk|pre.?shared|\bpin\b|\bkey\b|"
                            r"\benable\b|kennwort|wachtwoord|mot de passe|contrase|senha")
# what a spreadsheet's type/role column says -> netdoc's role names (the maps' roles)
ROLE_WORDS: dict[str, str] = {
    "firewall": "firewall", "fw": "firewall", "utm": "firewall", "router": "router",
    "gateway": "router", "switch": "switch", "core switch": "switch",
    "access switch": "switch", "access point": "wireless", "ap": "wireless",
    "wap": "wireless", "wifi": "wireless", "wlan": "wireless", "wireless": "wireless",
    "controller": "wireless", "server": "server", "nas": "server", "storage": "server",
    "printer": "printer", "ups": "ups", "phone": "phone", "camera": "camera",
}
_MANUAL = ("role", "location", "owner", "notes")


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", text.replace("\ufeff", "")).lower().split())


def decode_spreadsheet(data: bytes) -> tuple[str, str]:
    """Text of a CSV file as Excel writes it: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _csv_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


@dataclass
class _Columns:
    index: dict[str, int]
    secret: list[tuple[int, str]]   # (column, header) of columns that carry secrets
    ignored: list[str]


def _columns(header: list[str]) -> _Columns:
    lookup = {alias: key for key, aliases in CSV_COLUMNS.items() for alias in aliases}
    index: dict[str, int] = {}
    secret: list[tuple[int, str]] = []
    ignored: list[str] = []
    for position, raw in enumerate(header):
        key = _header_key(raw)
        if not key:
            continue
        if key in lookup and lookup[key] not in index:
            index[lookup[key]] = position
        elif _SECRET_HEADER.search(key):
            secret.append((position, raw.strip()))
        else:
            ignored.append(raw.strip())
    return _Columns(index, secret, ignored)


def _csv_name(text: str) -> str:
    """A spreadsheet's device or site name as a netdoc name: letters of any language,
    digits, '.', '_', '-' (it becomes a folder or file name)."""
    return re.sub(r"[^\w.-]+", "-", text).strip(".-")[:100]


def _credential_set_name(reference: str) -> str:
    """vault:acme/core-ssh -> acme-core-ssh (the name of the set made for it)."""
    return _UNSAFE_NAME.sub("-", reference.removeprefix("vault:").replace("/", "-")).strip(
        ".-")[:100] or "imported"


def parse_csv(text: str, source: str = "devices.csv", client: str = "",
              delimiter: str | None = None, resolver: Resolver = no_resolver) -> ImportResult:
    """A technician's device spreadsheet as netdoc devices (seeds) and manual fields.

    Columns are recognised by their header (CSV_COLUMNS: name/hostname, ip/host, platform or
    type/model, site, client, role, location/rack, owner, notes, credentials, username).
    A column that holds passwords is never imported: a `vault:CLIENT/NAME` value in it (or in
    credentials) becomes a credential set referencing the vault; any other value is reported
    per line with what to do instead. Rows of another client than `client` are skipped.
    """
    import csv

    from netdoc.platforms import profile_named
    from netdoc.textsafe import NAME_LIMIT, TEXT_LIMIT, clean

    result = ImportResult(source=source, tool="csv")
    lines = text.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip() and
                  not line.lstrip().startswith("#")), None)
    if first is None:
        raise UsageError(f"{source}: no header line; the first line must name the columns, "
                         f"e.g. name,ip,platform,site")
    delimiter = delimiter or _csv_delimiter(lines[first])
    reader = csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise UsageError(f"{source} line {first + 1}: not a CSV header: {exc}") from None
    columns = _columns(header)
    if "host" not in columns.index and "name" not in columns.index:
        raise UsageError(f"{source} line {first + 1}: no column for the device's address or "
                         f"name (found: {', '.join(h.strip() for h in header) or 'nothing'}); "
                         f"name one ip, host or hostname, e.g. name,ip,platform,site")
    if columns.ignored:
        result.skipped.append(f"{source} line {first + 1}: column(s) not read: "
                              f"{', '.join(columns.ignored)}")
    if columns.secret:
        result.warn(first + 1, f"column(s) {', '.join(repr(h) for _, h in columns.secret)} "
                               f"hold secrets: never imported into netdoc.yaml (a vault: "
                               f"reference in them is used)")
    offset = first
    try:
        for row in reader:
            number = reader.line_num + offset
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            _csv_row(result, row, number, columns, len(header), client, resolver,
                     profile_named, clean, NAME_LIMIT, TEXT_LIMIT)
    except csv.Error as exc:
        raise UsageError(f"{source} line {reader.line_num + offset}: not valid CSV: {exc}; "
                         f"nothing imported") from None
    return result


def _csv_row(result: ImportResult, row: list[str], number: int, columns: _Columns,
             width: int, client: str, resolver: Resolver, profile_named: Any, clean: Any,
             name_limit: int, text_limit: int) -> None:
    def cell(key: str, limit: int = name_limit) -> str:
        position = columns.index.get(key)
        return clean(row[position], limit).strip() if position is not None and \
            position < len(row) else ""

    if len(row) > width and any(c.strip() for c in row[width:]):
        result.warn(number, f"{len(row)} fields but the header names {width}; the extra "
                            f"fields are ignored (a delimiter inside an unquoted value?)")
    row_client = cell("client")
    if client and row_client and row_client.lower() != client.lower():
        result.skipped.append(f"{result.source} line {number}: client {row_client!r}, not "
                              f"{client!r}; not imported")
        return
    address, name = cell("host"), cell("name")
    if "/" in address:   # 192.0.2.5/24, as spreadsheets often write it: the address
        try:
            address = str(ipaddress.IPv4Interface(address).ip)
        except ValueError:
            pass
    if not address and not name:
        result.warn(number, "no device name or address in this row; row skipped")
        return
    if address and not _ipv4(address):
        if name:
            result.warn(number, f"{name}: {address!r} is not an IPv4 address; device skipped")
            return
        address, name = "", address   # a host column holding names
    references: list[str] = []
    plaintext = []
    for position, header in columns.secret:
        value = clean(row[position], text_limit).strip() if position < len(row) else ""
        if value.startswith("vault:"):
            references.append(value)
        elif value:
            plaintext.append(header)
    credential = cell("credentials")
    set_names: list[str] = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\s]+", credential))):
        if part.startswith("vault:"):
            references.append(part)
        elif _UNSAFE_NAME.search(part):
            result.warn(number, f"credential {part!r} is neither a credential set name nor a "
                                f"vault:CLIENT/NAME reference; ignored")
        else:
            set_names.append(part)
    username = cell("username")
    label = name or address
    if plaintext:
        result.passwords += 1
        result.warn(number, f"{label}: {', '.join(plaintext)} holds a plaintext secret; it was "
                            f"NOT imported. Store it with `netdoc vault set CLIENT/NAME` and "
                            f"write vault:CLIENT/NAME in that cell instead")
    if username:
        result.usernames[username] = result.usernames.get(username, 0) + 1
    for reference in references:
        owner, _, entry = reference.removeprefix("vault:").partition("/")
        if not owner or not entry:
            result.warn(number, f"{label}: {reference!r} is not a vault reference; expected "
                                f"vault:CLIENT/NAME; ignored")
            continue
        if not username:
            result.warn(number, f"{label}: {reference!r} has no username beside it (add a "
                                f"username column); no credential set made for it")
            continue
        set_name = _credential_set_name(reference)
        body = {"ssh": {"username": username, "password": reference}}
        if result.credential_sets.setdefault(set_name, body) != body:
            result.warn(number, f"{label}: {reference!r} is used with another username than "
                                f"on an earlier line; the first one is kept in credential "
                                f"set {set_name!r}")
        set_names.append(set_name)
    device = _device(result, number, name, address, resolver)
    if device is None:
        return
    device.site = _csv_name(cell("site"))
    if device.name and not _ipv4(name):
        device.name = _csv_name(name)
    device.credentials = list(dict.fromkeys(set_names))
    manual = {key: cell(key, text_limit) for key in _MANUAL if cell(key, text_limit)}
    kinds = [cell("platform"), cell("type")]
    profile = next((p for p in (profile_named(k) for k in kinds if k) if p is not None), None)
    spelled = next((k for k in kinds if k), "")
    if profile is not None or (spelled and spelled.lower() not in ROLE_WORDS):
        device.source_type = spelled
        _assign_platform(result, device, profile, f"platform/type {spelled!r}", spelled)
    if "role" not in manual:
        role = next((ROLE_WORDS[k.lower()] for k in kinds if k.lower() in ROLE_WORDS), "")
        if role:
            manual["role"] = role
    elif manual["role"].lower() in ROLE_WORDS:
        manual["role"] = ROLE_WORDS[manual["role"].lower()]
    device.manual = manual


def manual_docs(result: ImportResult, by_address: set[str] | None = None) \
        -> dict[str, Any]:
    """The imported manual fields in the form of inventory/<client>/docs/*.yaml, each device
    named SITE/NAME, or by its address when it has no name or is in `by_address` (netdoc.yaml
    already lists that address under another name)."""
    devices: dict[str, dict[str, str]] = {}
    for device in result.devices:
        if device.manual:
            if not device.name or device.host in (by_address or set()):
                key = device.host
            else:
                key = f"{device.site}/{device.name}" if device.site else device.name
            devices[key] = dict(device.manual)
    return {"devices": devices} if devices else {}


def csv_yaml(result: ImportResult, default_site: str = "") -> str:
    """What `netdoc import csv` prints: the devices per site, then the manual fields."""
    import yaml

    sites = sorted({d.site for d in result.devices if d.site})
    if not sites:
        text = devices_yaml(result).replace("(csv router.db)", "(spreadsheet)")
    else:
        body: dict[str, Any] = {}
        for device in result.devices:
            site = device.site or default_site or "SITE"
            body.setdefault(site, {"devices": []})["devices"].append(device.as_yaml_dict())
        text = (f"# {len(result.devices)} device(s) imported from {result.source} "
                f"(spreadsheet); paste under clients: CLIENT:\n"
                + yaml.safe_dump({"sites": body}, sort_keys=False, default_flow_style=False))
    if result.credential_sets:
        text += ("---\n# credential sets for the vault: references (top-level credentials:)\n"
                 + yaml.safe_dump({"credentials": result.credential_sets}, sort_keys=False))
    docs = manual_docs(result)
    if docs:
        text += ("---\n# manual fields: inventory/CLIENT/docs/ (written there by --merge)\n"
                 + yaml.safe_dump(docs, sort_keys=False, allow_unicode=True))
    return text


def write_manual_docs(folder: Path, source: str, result: ImportResult,
                      clock: Callable[[], float] = time.time,
                      by_address: set[str] | None = None) -> Path | None:
    """docs/import-<file>.yaml with the imported manual fields (checked as the site reads
    them); a previous import of the same file is kept as a .bak."""
    import yaml

    from netdoc.facts.manual import parse_docs_yaml
    from netdoc.fsutil import atomic_write

    docs = manual_docs(result, by_address)
    if not docs:
        return None
    stem = _safe_name(Path(source).stem) or "spreadsheet"
    path = folder / f"import-{stem}.yaml"
    text = (f"# manual fields imported from {_safe_name(source)} by netdoc import csv; "
            f"edit freely\n" + yaml.safe_dump(docs, sort_keys=False, allow_unicode=True))
    parse_docs_yaml(yaml.safe_load(text), path.name)   # the site must accept what we write
    folder.mkdir(parents=True, exist_ok=True)
    if path.is_file() and not path.is_symlink():
        previous = path.read_text(encoding="utf-8", errors="replace")
        if previous == text:
            return path
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
        atomic_write(path.with_name(f"{path.name}.{stamp}.bak"), previous, mode=0o640)
    atomic_write(path, text, mode=0o640)
    return path


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
        if "credentials" in entry:
            lines.append(f"    credentials: [{', '.join(map(_yaml_scalar, entry['credentials']))}]")
    if not result.devices:
        lines[-1] = "devices: []"
    return "\n".join(lines) + "\n"


def _yaml_scalar(text: str) -> str:
    import yaml

    dumped = yaml.safe_dump(text, default_style=None, allow_unicode=True).strip()
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
    credential_sets: list[str] = field(default_factory=list)   # sets added to credentials:


def merge_devices(config_path: Path, client: str, site: str,
                  devices: list[ImportedDevice], clock: Callable[[], float] = time.time) \
        -> MergeReport:
    """Add `devices` to clients.CLIENT.sites.SITE.devices of netdoc.yaml, keeping comments.

    A device whose host (or name) the client already lists is left as the user wrote it.
    The merged text must pass netdoc's validation before anything is written.
    """
    return merge_sites(config_path, client, {site: devices}, clock=clock)


def merge_sites(config_path: Path, client: str, by_site: dict[str, list[ImportedDevice]],
                clock: Callable[[], float] = time.time,
                credential_sets: dict[str, dict[str, dict[str, str]]] | None = None) \
        -> MergeReport:
    """merge_devices for several sites at once (one validation, one .bak, one write), and
    the credential sets a spreadsheet's `vault:` references call for (an existing set of
    the same name is kept as the user wrote it)."""
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
    new_sets = _add_credential_sets(document, credential_sets or {}, config_path)
    defined = set(document.get("credentials") or {})
    hosts, names = _client_devices(client_body)
    added: list[ImportedDevice] = []
    kept: list[str] = []
    for site, devices in by_site.items():
        if site not in sites or sites[site] is None:
            sites[site] = CommentedMap()
        site_body = sites[site]
        if not isinstance(site_body, dict):
            raise UsageError(f"{config_path}: clients.{client}.sites.{site} is not a mapping")
        listed = site_body.get("devices")
        if listed is None:
            listed = site_body["devices"] = CommentedSeq()
        if not isinstance(listed, list):
            raise UsageError(f"{config_path}: clients.{client}.sites.{site}.devices is not a "
                             f"list")
        for device in devices:
            if device.host in hosts:
                kept.append(f"{device.host}: already listed in site {hosts[device.host]}; "
                            f"kept as is")
                continue
            if device.name and device.name.lower() in names:
                kept.append(f"{device.host}: name {device.name!r} already used in site "
                            f"{names[device.name.lower()]}; kept as is")
                continue
            entry = CommentedMap(device.as_yaml_dict())
            unknown = [c for c in device.credentials if c not in defined]
            if unknown:
                kept.append(f"{device.host}: credential set {', '.join(map(repr, unknown))} is "
                            f"not defined under credentials: in {config_path.name} (defined: "
                            f"{', '.join(sorted(defined)) or 'none'}); device added without "
                            f"it, the site's credentials apply")
                usable = [c for c in device.credentials if c in defined]
                entry.pop("credentials")
                if usable:
                    entry["credentials"] = usable
            if "credentials" in entry:
                entry["credentials"] = CommentedSeq(entry["credentials"])
                entry["credentials"].fa.set_flow_style()
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
    if added or new_sets:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
        backup = config_path.with_name(f"{config_path.name}.{stamp}.bak")
        mode = config_path.stat().st_mode & 0o777
        atomic_write(backup, original, mode=mode)
        atomic_write(config_path, merged, mode=mode)
    return MergeReport(path=config_path, backup=backup, added=added, kept=kept,
                       credential_sets=new_sets)


def _add_credential_sets(document: Any, sets: dict[str, dict[str, dict[str, str]]],
                         config_path: Path) -> list[str]:
    """Top-level credential sets a spreadsheet's vault: references call for."""
    from ruamel.yaml.comments import CommentedMap

    if not sets:
        return []
    defined = document.get("credentials")
    if defined is None:
        defined = document["credentials"] = CommentedMap()
    if not isinstance(defined, dict):
        raise UsageError(f"{config_path}: credentials: is not a mapping")
    added = []
    for name, body in sets.items():
        if name in defined:
            continue
        defined[name] = CommentedMap({kind: CommentedMap(values)
                                      for kind, values in body.items()})
        added.append(name)
    return added


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
    sub = command("import", "Import devices from an Oxidized or RANCID router.db or a "
                            "technician's CSV spreadsheet: print the devices: of a site, or "
                            "merge them into netdoc.yaml.", import_command)
    sub.add_argument("tool", choices=("oxidized", "rancid", "csv"),
                     help="whose file it is: oxidized or rancid (router.db), csv (a "
                          "spreadsheet with a header: name, ip, platform/type, site, client, "
                          "role, location, owner, notes, credentials, username)")
    sub.add_argument("router_db", metavar="FILE", help="the router.db or CSV file ('-' for "
                                                       "stdin)")
    sub.add_argument("--delimiter", help="field delimiter (default: the one the file uses "
                                         "among : , ; tab |)")
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
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    text, encoding = decode_spreadsheet(data) if args.tool == "csv" else \
        (data.decode("utf-8", errors="replace"), "utf-8")
    source = "stdin" if path == "-" else Path(path).name
    resolver = dns_resolver if args.resolve else no_resolver
    if args.tool == "csv":
        if args.field_map:
            raise UsageError("--map is for Oxidized files; a spreadsheet names its columns in "
                             "its header line")
        return _import_csv(args, parse_csv(text, source, getattr(args, "client", None) or "",
                                           args.delimiter, resolver), encoding)
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



def _import_csv(args: argparse.Namespace, result: ImportResult, encoding: str) -> int:
    from netdoc.config import find_config, load_config
    from netdoc.workspace import Workspace

    client = getattr(args, "client", None)
    if encoding != "utf-8":
        log.info(f"{result.source}: not UTF-8, read as Windows-1252 (Excel's CSV)")
    for warning in result.warnings:
        log.warning(warning)
    for note in result.skipped:
        log.info(note)
    for advice in credential_advice(result, client or "CLIENT"):
        log.warning(advice.replace("router.db", "the spreadsheet"))
    if not args.merge:
        if args.site:
            raise UsageError("--site is for --merge; without it the devices are printed")
        if getattr(args, "json", False):
            from netdoc.app.output import emit

            emit(args, {"source": result.source, "tool": "csv",
                        "devices": [{**d.as_yaml_dict(), **({"site": d.site} if d.site else {})}
                                    for d in result.devices],
                        "credential_sets": result.credential_sets,
                        "manual": manual_docs(result).get("devices", {}),
                        "warnings": result.warnings, "skipped": result.skipped}, "")
        else:
            sys.stdout.write(csv_yaml(result))
        return 0
    if not client:
        raise UsageError("--merge needs --client CLIENT (and --site SITE for rows without a "
                         "site column)")
    homeless = [d for d in result.devices if not d.site]
    if homeless and not args.site:
        raise UsageError(f"--merge: {len(homeless)} row(s) of {result.source} name no site "
                         f"(line {homeless[0].line} first); give --site SITE for them")
    by_site: dict[str, list[ImportedDevice]] = {}
    for device in result.devices:
        by_site.setdefault(device.site or args.site, []).append(device)
    config_path = find_config(getattr(args, "config", None))
    report = merge_sites(config_path, client, by_site, credential_sets=result.credential_sets)
    for note in report.kept:
        log.info(note)
    print(f"merged {len(report.added)} of {len(result.devices)} device(s) into "
          f"clients.{client} ({', '.join(f'sites.{s}' for s in by_site) or 'no site'}) of "
          f"{report.path}" + (f" (previous file kept as {report.backup.name})" if report.backup
                              else " (nothing new: file unchanged)"))
    if report.credential_sets:
        print(f"credential sets added for vault references: "
              f"{', '.join(report.credential_sets)}")
    renamed = {note.split(":", 1)[0] for note in report.kept if "already listed" in note}
    docs = write_manual_docs(Workspace.of(load_config(config_path), client).docs,
                             result.source, result, by_address=renamed)
    if docs is not None:
        print(f"manual fields (role, location, owner, notes) written to {docs}")
    return 0
