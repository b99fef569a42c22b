"""netdoc.yaml: find it, parse it, validate all of it before anything runs.

The model below is declarative: every setting is a dataclass field whose default
is written once, here, and whose limits (range, allowed values, kind) sit in the
field's metadata. One generic validator (`_Validator.section`) walks those fields,
so a new setting is one line: its type, default and limits.

Every problem is reported with the file, the line, the key path, the bad value
and what was expected, so a technician can fix it without reading code.

This module does not import the vault: `parse_config` tells netdoc.secrets where
the vault folders are, and the vault reads them from there (netdoc.vault imports
this module, never the other way round).
"""
from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from netdoc import secrets as secret_refs
from netdoc.discover.snmp.protocols import AUTH_NAMES, PRIV_NAMES
from netdoc.errors import ConfigError, SecretError
from netdoc.secrets import Secret, refuse_system_file

SEARCH_PATH = (Path("netdoc.yaml"), Path("/etc/netdoc/netdoc.yaml"))
LARGEST_SUBNET_PREFIX = 16  # anything larger needs allow_large: true
NAME_LIMIT = 64  # characters of a client, site, device or credential name
# what netdoc writes beside the clients' folders (inventory/index.html, assets/, ...)
RESERVED_CLIENT_NAMES = ("index.html", "assets")


# ---------------------------------------------------------------- declaring a setting

def setting(default: Any = dataclasses.MISSING, *, low: float | None = None,
            high: float | None = None, choices: tuple[str, ...] = (), kind: str = "",
            parse: str = "", required: bool = False, yaml_key: bool = True,
            factory: Callable[[], Any] | None = None, always: bool = False) -> Any:
    """A dataclass field with what the validator needs to check it.

    low/high: the allowed range of a number; choices: the allowed texts;
    kind: how to read the value beyond its type ("port", "duration", "secret",
    "folder" and "file" (relative to netdoc.yaml), "address", "name:WHAT");
    parse: the name of a _Validator method that reads this key itself;
    always: call that method even when the key is absent;
    required: the key must be given even though the field has a default;
    yaml_key=False: not a key in netdoc.yaml (filled in by the validator)."""
    metadata = {"low": low, "high": high, "choices": choices, "kind": kind, "parse": parse,
                "required": required, "yaml": yaml_key, "always": always}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    if default is dataclasses.MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


SNMP_AUTH = ("",) + AUTH_NAMES  # "" = noAuth
SNMP_PRIV = ("",) + PRIV_NAMES  # "" = noPriv


# ---------------------------------------------------------------- the model

@dataclass(frozen=True)
class SnmpCredential:
    version: str = setting(choices=("1", "2c", "3"))
    community: Secret | None = setting(None, kind="secret")
    user: str = ""
    auth: str = setting("", choices=SNMP_AUTH)
    auth_key: Secret | None = setting(None, kind="secret")
    priv: str = setting("", choices=SNMP_PRIV)
    priv_key: Secret | None = setting(None, kind="secret")


@dataclass(frozen=True)
class SshCredential:
    username: str = setting()
    password: Secret | None = setting(None, kind="secret")
    enable: Secret | None = setting(None, kind="secret")
    key_file: str = ""


@dataclass(frozen=True)
class CredentialSet:
    name: str = setting(yaml_key=False)
    snmp: SnmpCredential | None = None
    ssh: SshCredential | None = None

    def secrets(self) -> list[Secret]:
        found: list[Secret] = []
        for part in (self.snmp, self.ssh):
            if part is None:
                continue
            for value in vars(part).values():
                if isinstance(value, Secret):
                    found.append(value)
        return found


@dataclass(frozen=True)
class Subnet:
    network: ipaddress.IPv4Network
    allow_large: bool = False

    @property
    def address_count(self) -> int:
        return max(self.network.num_addresses - 2, 1) if self.network.prefixlen < 31 \
            else self.network.num_addresses


@dataclass(frozen=True)
class DeviceSeed:
    host: str = setting(kind="address")
    name: str = setting("", kind="name:device")
    platform: str = ""  # netdoc profile name or netmiko device_type
    ssh_port: int = setting(22, kind="port")
    snmp_port: int = setting(161, kind="port")
    # overrides the site's list when given
    credentials: tuple[str, ...] = setting((), parse="credential_names")
    backup: bool = True
    exclude: bool = False
    # "" = the profile's; "ssh" or "telnet" (credentials in clear)
    transport: str = setting("", choices=("", "ssh", "telnet"))
    telnet_port: int = setting(23, kind="port")


@dataclass(frozen=True)
class Site:
    name: str = setting(yaml_key=False)
    subnets: tuple[Subnet, ...] = setting((), parse="subnets")
    exclude: tuple[ipaddress.IPv4Network, ...] = setting((), parse="networks")
    credentials: tuple[str, ...] = setting((), parse="credential_names")
    devices: tuple[DeviceSeed, ...] = ()
    # `backup: {discover: true, platforms: [...]}`: discovered devices of these
    # platforms get SSH credentials too; without it only the devices listed here do
    backup_discover: bool = setting(False, yaml_key=False)
    backup_platforms: tuple[str, ...] = setting((), yaml_key=False)


@dataclass(frozen=True)
class CentralSettings:
    """`central:` the MSP's git server both repositories of every client push to."""

    # template: ssh://git@hub/{client}/{repo}  ({repo}: inventory | configs)
    remote: str = setting("", required=True)
    ssh_key: str = setting("", kind="file")  # private key the probe pushes with ("" = ssh's default)
    known_hosts: str = setting("", kind="file")  # the server's host key ("" = ssh's default files)
    # seconds one repository's push may take, all attempts together
    timeout: float = setting(120.0, kind="duration")


@dataclass(frozen=True)
class Client:
    name: str = setting(yaml_key=False)
    sites: tuple[Site, ...] = setting((), parse="sites", required=True)
    secrets: str = setting("mask", choices=("mask", "keep"))  # in stored configs
    remote: str = setting("", parse="remote")  # git remote the config repository pushes to
    # names of alert channels this client's changes go to
    alerts: tuple[str, ...] = setting((), parse="alert_names")
    backup_variants: dict[str, str] = field(default_factory=dict)  # platform -> variant
    central: CentralSettings | None = None  # overrides the top-level central: (netdoc.hub.central)


@dataclass(frozen=True)
class SnmpSettings:
    timeout: float = setting(2.0, low=0.05, high=60)
    retries: int = setting(1, low=0, high=10)
    max_repetitions: int = setting(25, low=1, high=200)
    device_budget: float = setting(60.0, low=1, high=3600)  # seconds for all of one device's walks
    # first contact with a host not seen answering SNMP (netdoc/discover/probe.py)
    probe_timeout: float = setting(1.0, low=0.05, high=60)


@dataclass(frozen=True)
class DiscoverySettings:
    concurrency: int = setting(64, low=1, high=1024)
    arp_rate: int = setting(2000, low=1, high=100000)  # packets per second
    arp_retries: int = setting(2, low=0, high=10)
    # seconds of passive LLDP/CDP listening (0 = off)
    lldp_listen: float = setting(3.0, low=0, high=300)
    reverse_dns: bool = True
    # seconds for all of one site's name lookups together
    dns_deadline: float = setting(2.0, low=0, high=60)
    missing_after_runs: int = setting(3, low=1, high=1000)
    # a device gone this many runs moves to the archive: still searchable, not counted
    archive_after_runs: int = setting(168, low=0, high=100000)
    snmp: SnmpSettings = SnmpSettings()


@dataclass(frozen=True)
class BackupSettings:
    concurrency: int = setting(20, low=1, high=256)
    # worker processes sharing `concurrency` (paramiko's CPU beyond one interpreter's GIL):
    # 0 or 1 = threads only; -1 = one per 10 concurrent devices, at most the CPUs
    # (1 by default: no gain measured on 2 cores, docs/benchmarks.md §8b)
    processes: int = setting(1, low=-1, high=64)
    timeout: float = setting(120.0, low=1, high=3600)
    # new config smaller than this fraction of the last = truncated
    shrink_limit: float = setting(0.5, low=0, high=1)
    max_age_hours: float = setting(48.0, low=1, high=24 * 365)
    # a device sending more is cut off and failed
    max_config_bytes: int = setting(32 * 1024 * 1024, low=1024, high=1024 ** 3)


@dataclass(frozen=True)
class HealthSettings:
    """`health:` what `netdoc health` and `netdoc metrics` call stale (netdoc.metrics)."""

    max_backup_age: float = setting(0.0, kind="duration")  # seconds; 0 = backup.max_age_hours


@dataclass(frozen=True)
class RunSettings:
    budget: float = setting(0.0, kind="duration")  # seconds for a whole run (0 = no limit)
    lock_wait: float = setting(60.0, kind="duration")  # seconds a second run waits for the lock


@dataclass(frozen=True)
class ScheduleSettings:
    """How often `netdoc daemon` runs each stage (seconds; 0 = never)."""

    discover: float = setting(3600.0, kind="duration")
    backup: float = setting(86400.0, kind="duration")
    render: float = setting(3600.0, kind="duration")


ALERT_KINDS = ("new_device", "device_gone", "device_returned", "device_changed",
               "config_changed", "backup_failing", "backup_stale", "host_key_changed",
               "endpoint_moved", "link_changed", "stage_failed")
DEFAULT_ALERT_KINDS = ("new_device", "device_gone", "config_changed", "backup_failing",
                       "host_key_changed", "endpoint_moved", "stage_failed")


@dataclass(frozen=True)
class AlertChannel:
    name: str = setting(yaml_key=False)
    type: str = setting(choices=("webhook", "slack", "teams", "email"))
    url: Secret | None = setting(None, parse="webhook_url")
    host: str = ""
    port: int = setting(587, kind="port")
    starttls: bool = True
    username: str = ""
    password: Secret | None = setting(None, kind="secret")
    sender: str = ""
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertSettings:
    channels: dict[str, AlertChannel] = field(default_factory=dict)
    on: tuple[str, ...] = setting(DEFAULT_ALERT_KINDS, choices=ALERT_KINDS)
    # consecutive failed backups before an alert
    backup_failing_after: int = setting(2, low=1, high=1000)
    # seconds one delivery may take in all (connect, send, answer)
    timeout: float = setting(30.0, low=0.5, high=600)


@dataclass(frozen=True)
class OutputSettings:
    inventory: Path = setting(Path("inventory"), kind="folder")
    config_backups: Path = setting(Path("config_backups"), kind="folder")
    templates: Path | None = setting(None, kind="folder")


@dataclass(frozen=True)
class VaultSettings:
    """Where the encrypted vaults and their keys live (never the keys themselves)."""

    # <client>.vault files; default next to netdoc.yaml
    dir: Path = setting(Path("vault"), kind="folder")
    keys: Path | None = setting(None, kind="folder")  # <client>.key files; None = ~/.config/netdoc/keys


@dataclass(frozen=True)
class Config:
    # Fields are validated in this order: credentials and alert channels come before
    # the clients that refer to them.
    path: Path = setting(yaml_key=False)
    credentials: dict[str, CredentialSet] = setting(factory=dict, parse="credential_sets")
    alerts: AlertSettings = AlertSettings()
    clients: dict[str, Client] = setting(factory=dict, parse="clients", always=True)
    discovery: DiscoverySettings = DiscoverySettings()
    backup: BackupSettings = BackupSettings()
    output: OutputSettings = OutputSettings()
    run: RunSettings = RunSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    vault: VaultSettings = VaultSettings()
    central: CentralSettings | None = None
    health: HealthSettings = HealthSettings()
    warnings: tuple[str, ...] = setting((), yaml_key=False)

    def client(self, name: str) -> Client:
        if name not in self.clients:
            raise ConfigError(f"no client named {name!r}; configured: "
                              f"{', '.join(sorted(self.clients)) or 'none'}", path=str(self.path))
        return self.clients[name]

    def selected_clients(self, name: str | None) -> list[Client]:
        return [self.client(name)] if name else [self.clients[n] for n in sorted(self.clients)]

    def inventory_dir(self, client: str) -> Path:
        return self.output.inventory / client

    def backups_dir(self, client: str) -> Path:
        return self.output.config_backups / client

    def vault_folders(self) -> tuple[Path, Path | None]:
        """Where `vault:` references of this configuration are looked up: the vault
        folder and the keys folder (None = the default keys folder). A Config built
        in code carries the relative defaults: they still mean next to netdoc.yaml."""
        base = self.path.absolute().parent
        return base / self.vault.dir, (base / self.vault.keys if self.vault.keys else None)


# ---------------------------------------------------------------- locating

def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError("configuration file not found (given with --config)", path=str(path))
        return path
    for candidate in SEARCH_PATH:
        if candidate.is_file():
            return candidate
    raise ConfigError("no configuration file found; looked for ./netdoc.yaml and "
                      "/etc/netdoc/netdoc.yaml. Create one with: netdoc init", path="netdoc.yaml")


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    path = find_config(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=str(path)) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    data, lines = _load_yaml_with_lines(text, path)
    config = _Validator(path, lines).config(data)
    # `vault:` references resolve through a (client, name) hook that cannot see the
    # config: tell it which folders this configuration uses.
    secret_refs.use_vault_folders(*config.vault_folders())
    return config


# ---------------------------------------------------------------- YAML with line numbers

MAX_DEPTH = 64          # nesting levels a netdoc.yaml may have (it needs about 8)
MAX_NODES = 200_000     # values after expanding aliases (a "billion laughs" stops here)


def _load_yaml_with_lines(text: str, path: Path) -> tuple[Any, dict[tuple[str, ...], int]]:
    """Parse YAML into plain data and remember the line of every key path.

    Stricter than YAML itself, because a configuration must mean one thing: a key
    given twice, a key that is not plain text (`? [a, b]`), nesting deeper than
    MAX_DEPTH, an alias that contains itself and alias expansion beyond MAX_NODES
    are errors naming the line, never a silent choice or a Python traceback."""
    _check_depth(text, path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        raise ConfigError(f"YAML syntax error{column}: {exc.problem or exc.context}",
                          path=str(path), line=line) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise ConfigError(f"not readable as YAML: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}",
                          path=str(path)) from None
    lines: dict[tuple[str, ...], int] = {}
    count = [0]

    def fail(node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(message, path=str(path), line=node.start_mark.line + 1)

    def build(node: yaml.Node | None, at: tuple[str, ...], inside: tuple[int, ...]) -> Any:
        if node is None:
            return None
        if id(node) in inside:
            raise fail(node, "an alias refers to the value that contains it (alias loop)")
        count[0] += 1
        if count[0] > MAX_NODES:
            raise fail(node, f"more than {MAX_NODES:,} values after expanding aliases; "
                             f"a configuration never needs that many")
        if len(at) > MAX_DEPTH:
            raise fail(node, f"nested more than {MAX_DEPTH} levels deep")
        lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise fail(key_node, "a key must be plain text, not a list or mapping")
                key = key_node.value
                if key in out:
                    raise fail(key_node, f"duplicate key {key!r} (first at line "
                                         f"{lines.get(at + (str(key),), '?')}); YAML would "
                                         f"silently keep only the last one")
                lines[at + (str(key),)] = key_node.start_mark.line + 1
                out[key] = build(value_node, at + (str(key),), inside + (id(node),))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, at + (f"[{i}]",), inside + (id(node),))
                    for i, item in enumerate(node.value)]
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            raise fail(node, f"invalid value: {str(exc).splitlines()[0] if str(exc) else exc}"
                       ) from None
        finally:
            loader.dispose()

    return (build(root, (), ()) if root is not None else {}), lines


def _check_depth(text: str, path: Path) -> None:
    """Reject deep nesting before PyYAML's recursive composer meets it (it would end in a
    RecursionError); the scanner's token stream is flat and cheap to count."""
    depth = 0
    openers = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken,
               yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
    closers = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, openers):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ConfigError(f"nested more than {MAX_DEPTH} levels deep",
                                      path=str(path), line=token.start_mark.line + 1)
            elif isinstance(token, closers):
                depth -= 1
    except yaml.YAMLError:
        return  # the composer reports syntax errors with their line


# ---------------------------------------------------------------- validation

At = tuple[str, ...]


class _Validator:
    """Reads the parsed YAML into the model above, one dataclass at a time.

    `section` is the generic part: it checks a mapping's keys against the
    dataclass's fields (unknown key: did you mean ...?), reads each given key by
    its type and metadata, and leaves absent keys at their declared default.
    The methods named by `parse=` and the `_before_*`/`_after_*` hooks hold the
    rules that span several keys (an SNMP v3 user needs a user name, ...)."""

    def __init__(self, path: Path, lines: dict[At, int]) -> None:
        self.path = path
        self.base = path.resolve().parent
        self.lines = lines
        self.warnings: list[str] = []
        self.credentials: dict[str, CredentialSet] = {}
        self.channels: dict[str, AlertChannel] = {}
        self.before: dict[type, Callable[[dict[str, Any], At], None]] = {
            CredentialSet: self._before_credential_set, SnmpCredential: self._before_snmp,
            SshCredential: self._before_ssh, AlertChannel: self._before_alert_channel}
        self.after: dict[type, Callable[[Any, At], Any]] = {
            Client: self._after_client,
            CentralSettings: self._after_central, AlertChannel: self._after_alert_channel}

    # the generic part -------------------------------------------------------
    def config(self, data: Any) -> Config:
        config: Config = self.section(Config, data, (), path=self.path)
        return dataclasses.replace(config, warnings=tuple(self.warnings))

    def section(self, cls: type, value: Any, at: At, extras: dict[str, Callable[[Any, At],
                dict[str, Any]]] | None = None, **fixed: Any) -> Any:
        """Build dataclass `cls` from the mapping `value` found at key path `at`.

        `fixed` fills the fields that are not keys (a client's name is its key one
        level up); `extras` are keys read by a function into several fields."""
        extras = extras or {}
        fields = [f for f in dataclasses.fields(cls) if f.init and f.metadata.get("yaml", True)]
        required = tuple(f.name for f in fields if f.metadata.get("required") or
                         (f.default is dataclasses.MISSING and
                          f.default_factory is dataclasses.MISSING))
        body = self.mapping(value, at, tuple(f.name for f in fields) + tuple(extras), required)
        if cls in self.before:
            self.before[cls](body, at)
        hints = _hints(cls)
        values = dict(fixed)
        for f in fields:
            meta = f.metadata
            if meta.get("parse") and (f.name in body or meta.get("always")):
                values[f.name] = getattr(self, meta["parse"])(body.get(f.name), at + (f.name,))
            elif f.name in body:
                values[f.name] = self.value(hints[f.name], meta, body[f.name], at + (f.name,))
            elif meta.get("kind") == "folder" and f.default not in (None, dataclasses.MISSING):
                values[f.name] = self.folder(str(f.default), at + (f.name,))
            elif (nested := _dataclass_of(hints[f.name])) and not _optional(hints[f.name]):
                # an absent section is an empty one: its defaults, its folders resolved
                values[f.name] = self.section(nested, None, at + (f.name,))
        for key, reader in extras.items():
            if key in body:
                values.update(reader(body[key], at + (key,)))
        built = cls(**values)
        return self.after[cls](built, at) if cls in self.after else built

    def value(self, hint: Any, meta: typing.Mapping[str, Any], raw: Any, at: At) -> Any:
        """One value read by its declared type and its field's metadata."""
        kind = meta.get("kind", "")
        optional = _optional(hint)
        hint = _strip_none(hint)
        if raw is None and optional:
            return None
        if kind == "secret":
            return self.secret(raw, at)
        if kind == "port":
            return self.port(raw, at)
        if kind == "duration":
            return self.duration(raw, at)
        if kind == "address":
            return self.address(raw, at)
        if kind.startswith("name:"):
            return self.name(raw, at, kind[5:])
        if kind == "folder":
            text = self.string(raw, at)
            return self.folder(text, at) if text or not optional else None
        if kind == "file":
            text = self.string(raw, at)
            return str(self._relative(text)) if text else ""
        nested = _dataclass_of(hint)
        if nested is not None:
            return self.section(nested, raw, at)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is tuple:
            return tuple(self.value(args[0], meta, item, at + (f"[{i}]",))
                         for i, item in enumerate(self.listing(raw, at)))
        if origin is dict:
            body = self.mapping(raw or {}, at, tuple(map(str, raw or {})))
            item_class = _dataclass_of(args[1])
            if item_class is not None:
                return {str(k): self.section(item_class, v, at + (str(k),), name=str(k))
                        for k, v in body.items()}
            return {str(k): self.value(args[1], {}, v, at + (str(k),)) for k, v in body.items()}
        if hint is bool:
            return self.boolean(raw, at)
        if hint is int or hint is float:
            low, high = meta.get("low"), meta.get("high")
            return self.number(raw, at, -float("inf") if low is None else low,
                               float("inf") if high is None else high, hint)
        if hint is str:
            return self.string(raw, at, meta.get("choices", ()))
        raise TypeError(f"netdoc.config: no reader for {hint!r} at {_dotted(at)}")  # a bug here

    # the values ------------------------------------------------------------
    def fail(self, at: At, message: str) -> ConfigError:
        line = None
        for depth in range(len(at), -1, -1):
            line = self.lines.get(at[:depth])
            if line is not None:
                break
        return ConfigError(message, path=str(self.path), key=_dotted(at), line=line)

    def mapping(self, value: Any, at: At, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, Any]:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self.fail(at, f"expected a mapping of {', '.join(allowed)}, got {_show(value)}")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else \
                    f"; valid keys here: {', '.join(allowed)}"
                raise self.fail(at + (str(key),), f"unknown key {str(key)!r}{hint}")
        for key in required:
            if key not in value or value[key] in (None, ""):
                raise self.fail(at + (key,), f"{key!r} is required")
        return value

    def string(self, value: Any, at: At, choices: tuple[str, ...] = ()) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(at, f"expected text, got {_show(value)}")
        text = str(value)
        if choices and text not in choices:
            raise self.fail(at, f"invalid value {text!r}; expected one of: {', '.join(choices)}")
        return text

    def number(self, value: Any, at: At, low: float, high: float,
               kind: type[int] | type[float] = float) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (kind is int and not isinstance(value, int)):
            expected = "a whole number" if kind is int else "a number"
            raise self.fail(at, f"invalid value {_show(value)}; expected {expected} "
                                f"from {low:g} to {high:g}")
        if not low <= value <= high:
            raise self.fail(at, f"invalid value {value!r}; expected from {low:g} to {high:g}")
        return kind(value)

    def port(self, value: Any, at: At) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise self.fail(at, f"invalid port {_show(value)}; expected a whole number "
                                f"from 1 to 65535")
        return value

    def boolean(self, value: Any, at: At) -> bool:
        if not isinstance(value, bool):
            raise self.fail(at, f"invalid value {_show(value)}; expected true or false")
        return value

    def duration(self, value: Any, at: At) -> float:
        """Seconds, or a number with a unit: 90s, 30m, 1h, 1d."""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        text = str(value).strip().lower()
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        if text[-1:] in units:
            try:
                number = float(text[:-1])
                if number >= 0:
                    return number * units[text[-1]]
            except ValueError:
                pass
        raise self.fail(at, f"invalid duration {_show(value)}; expected seconds or e.g. "
                            f"90s, 30m, 1h, 1d")

    def secret(self, value: Any, at: At) -> Secret:
        text = self.string(value, at)
        if text.startswith("file:"):
            # relative to netdoc.yaml, not to wherever netdoc happens to be started
            target = self._relative(text[5:])
            try:
                refuse_system_file(target)
            except SecretError as exc:
                raise self.fail(at, str(exc.args[0])) from None
            text = f"file:{target}"
        secret = Secret(text, key=_dotted(at))
        if secret.is_plaintext:
            self.warnings.append(f"{self.path}: {_dotted(at)}: plaintext secret; "
                                 f"use env:, file: or vault: instead")
        return secret

    def listing(self, value: Any, at: At) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(at, f"expected a list, got {_show(value)}")
        return value

    def folder(self, text: str, at: At) -> Path:
        return self._relative(text)

    def _relative(self, text: str) -> Path:
        """A path from netdoc.yaml: `~` expanded, relative ones relative to the file."""
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.base / path

    def name(self, value: Any, at: At, what: str) -> str:
        """Names become folder and file names, page titles and commit lines: no path
        characters, no control characters, not too long; client names must not collide
        with what netdoc writes beside the clients' folders (index.html, assets)."""
        text = self.string(value, at)
        hint = f"invalid {what} name {text!r}; use letters, digits, '-', '_', '.'"
        if not text or any(ch in text for ch in "/\\") or text.startswith(".") or \
                any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in text) or \
                text.strip() != text:
            raise self.fail(at, hint)
        if len(text) > NAME_LIMIT:
            raise self.fail(at, f"{what} name {text[:20]!r}... is {len(text)} characters long; "
                                f"at most {NAME_LIMIT}")
        if what == "client" and text.lower() in RESERVED_CLIENT_NAMES:
            raise self.fail(at, f"{text!r} is reserved (netdoc writes a file or folder of that "
                                f"name beside the clients' folders); choose another client name")
        return text

    def network(self, value: Any, at: At) -> ipaddress.IPv4Network:
        text = self.string(value, at)
        try:
            return ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            raise self.fail(at, f"invalid CIDR {text!r}: {exc}; expected e.g. 192.0.2.0/24") from None

    def address(self, value: Any, at: At) -> str:
        text = self.string(value, at)
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise self.fail(at, f"invalid IP address {text!r}; expected e.g. 192.0.2.1") from None

    # keys read by their own rules (parse=) ---------------------------------
    def credential_sets(self, value: Any, at: At) -> dict[str, CredentialSet]:
        for cred_name, body in self.mapping(value, at, tuple(map(str, value or {}))).items():
            key = at + (str(cred_name),)
            name = self.name(cred_name, key, "credential")
            self.credentials[name] = self.section(CredentialSet, body, key, name=name)
        return self.credentials

    def clients(self, value: Any, at: At) -> dict[str, Client]:
        if not isinstance(value, dict) or not value:
            raise self.fail(at, "at least one client is required "
                                "(clients: {NAME: {sites: ...}})")
        clients: dict[str, Client] = {}
        for client_name, body in value.items():
            key = at + (str(client_name),)
            name = self.name(client_name, key, "client")
            if name.lower() in {c.lower() for c in clients}:
                raise self.fail(key, f"duplicate client name {name!r}")
            clients[name] = self.section(Client, body, key, name=name)
        return clients

    def sites(self, value: Any, at: At) -> tuple[Site, ...]:
        sites = []
        for site_name, body in self.mapping(value, at, tuple(map(str, value or {}))).items():
            key = at + (str(site_name),)
            sites.append(self.section(Site, body, key, extras={"backup": self.site_backup},
                                      name=self.name(site_name, key, "site")))
        return tuple(sites)

    def site_backup(self, value: Any, at: At) -> dict[str, Any]:
        """`backup: {discover: true, platforms: [cisco_ios, ...]}`: the explicit opt-in that
        lets discovered (unlisted) devices of those platforms receive SSH credentials."""
        body = self.mapping(value, at, ("discover", "platforms"))
        discover = self.boolean(body.get("discover", False), at + ("discover",))
        platforms = tuple(self.string(p, at + ("platforms", f"[{i}]")) for i, p in
                          enumerate(self.listing(body.get("platforms"), at + ("platforms",))))
        if discover and not platforms:
            raise self.fail(at + ("platforms",), "backup.discover needs the list of platforms "
                                                 "whose discovered devices may receive SSH "
                                                 "credentials, e.g. platforms: [cisco_ios]")
        return {"backup_discover": discover, "backup_platforms": platforms}

    def subnets(self, value: Any, at: At) -> tuple[Subnet, ...]:
        subnets = tuple(self.subnet(item, at + (f"[{i}]",))
                        for i, item in enumerate(self.listing(value, at)))
        for i, first in enumerate(subnets):
            for j, second in enumerate(subnets[i + 1:], start=i + 1):
                if first.network.overlaps(second.network):
                    raise self.fail(at + (f"[{j}]",),
                                    f"subnet {second.network} overlaps {first.network} "
                                    f"in the same site")
        return subnets

    def subnet(self, value: Any, at: At) -> Subnet:
        allow_large = False
        if isinstance(value, dict):
            body = self.mapping(value, at, ("cidr", "allow_large"), required=("cidr",))
            allow_large = self.boolean(body.get("allow_large", False), at + ("allow_large",))
            value, at = body["cidr"], at + ("cidr",)
        network = self.network(value, at)
        if network.prefixlen < LARGEST_SUBNET_PREFIX and not allow_large:
            raise self.fail(at, f"subnet {network} has {network.num_addresses:,} addresses, more "
                                f"than a /{LARGEST_SUBNET_PREFIX}; if you mean it, write "
                                f"{{cidr: {network}, allow_large: true}}")
        return Subnet(network=network, allow_large=allow_large)

    def networks(self, value: Any, at: At) -> tuple[ipaddress.IPv4Network, ...]:
        return tuple(self.network(item, at + (f"[{i}]",))
                     for i, item in enumerate(self.listing(value, at)))

    def credential_names(self, value: Any, at: At) -> tuple[str, ...]:
        names = []
        for i, item in enumerate(self.listing(value, at)):
            name = self.string(item, at + (f"[{i}]",))
            if name not in self.credentials:
                close = difflib.get_close_matches(name, list(self.credentials), n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else \
                    f"; defined: {', '.join(sorted(self.credentials)) or 'none'}"
                raise self.fail(at + (f"[{i}]",), f"credential set {name!r} is not defined "
                                                  f"under credentials:{hint}")
            names.append(name)
        return tuple(names)

    def alert_names(self, value: Any, at: At) -> tuple[str, ...]:
        channels = []
        for i, item in enumerate(self.listing(value, at)):
            channel = self.string(item, at + (f"[{i}]",))
            if channel not in self.channels:
                raise self.fail(at + (f"[{i}]",),
                                f"alert channel {channel!r} is not defined under alerts.channels; "
                                f"defined: {', '.join(sorted(self.channels)) or 'none'}")
            channels.append(channel)
        return tuple(channels)

    def remote(self, value: Any, at: At) -> str:
        url = self.string(value, at)
        if url and _url_has_token(url):
            self.warnings.append(f"{self.path}: {_dotted(at)}: plaintext token in the git "
                                 f"remote URL; use an SSH key or a git credential helper")
        return url

    def webhook_url(self, value: Any, at: At) -> Secret | None:
        # Webhook URLs often embed a token (Slack, Teams): treat them as secrets, and
        # warn about a plaintext one like about any plaintext secret.
        if value is None or value == "":
            return None
        url = Secret(self.string(value, at), key=_dotted(at))
        if url.is_plaintext and _url_has_token(url.reference):
            self.warnings.append(f"{self.path}: {_dotted(at)}: plaintext token in "
                                 f"the URL; use env:, file: or vault: instead")
        return url

    # rules that span several keys ------------------------------------------
    def _before_credential_set(self, body: dict[str, Any], at: At) -> None:
        if not body:
            raise self.fail(at, "a credential set needs an snmp: or ssh: part")

    def _before_snmp(self, body: dict[str, Any], at: At) -> None:
        version = self.string(body["version"], at + ("version",), ("1", "2c", "3"))
        if version in ("1", "2c"):
            if "community" not in body:
                raise self.fail(at + ("community",), f"SNMP v{version} needs a community")
            for key in ("user", "auth", "auth_key", "priv", "priv_key"):
                if key in body:
                    raise self.fail(at + (key,), f"{key!r} is for SNMP v3, not v{version}")
            return
        if "community" in body:
            raise self.fail(at + ("community",), "SNMP v3 uses user/auth/priv, not a community")
        if not body.get("user"):
            raise self.fail(at + ("user",), "SNMP v3 needs a user")
        auth = self.string(body.get("auth", ""), at + ("auth",), SNMP_AUTH)
        priv = self.string(body.get("priv", ""), at + ("priv",), SNMP_PRIV)
        if priv and not auth:
            raise self.fail(at + ("priv",), "SNMP v3 privacy needs authentication (auth:) too")
        if auth and "auth_key" not in body:
            raise self.fail(at + ("auth_key",), "auth is set but auth_key is missing")
        if priv and "priv_key" not in body:
            raise self.fail(at + ("priv_key",), "priv is set but priv_key is missing")
        # a key without its protocol means nothing: read as absent, as before
        for proto, key in (("auth", "auth_key"), ("priv", "priv_key")):
            if not body.get(proto):
                body.pop(key, None)

    def _before_ssh(self, body: dict[str, Any], at: At) -> None:
        if "password" not in body and "key_file" not in body:
            raise self.fail(at, "an ssh credential needs a password or a key_file")

    def _before_alert_channel(self, body: dict[str, Any], at: At) -> None:
        kind = self.string(body["type"], at + ("type",), ("webhook", "slack", "teams", "email"))
        if kind == "email":
            for key in ("host", "sender", "to"):
                if not body.get(key):
                    raise self.fail(at + (key,), f"an email channel needs {key!r}")
        elif not body.get("url"):
            raise self.fail(at + ("url",), f"a {kind} channel needs a url")

    def _after_alert_channel(self, channel: AlertChannel, at: At) -> AlertChannel:
        if channel.type == "email" and channel.username and not channel.starttls \
                and channel.port != 465:
            self.warnings.append(f"{self.path}: {_dotted(at)}: SMTP login without TLS "
                                 f"(starttls: false) sends the password in clear text; "
                                 f"set starttls: true")
        self.channels[channel.name] = channel
        return channel

    def _after_client(self, client: Client, at: At) -> Client:
        device_names: dict[str, At] = {}
        for site in client.sites:
            site_at = at + ("sites", site.name)
            for index, device in enumerate(site.devices):
                if not device.name:
                    continue
                if device.name.lower() in device_names:
                    raise self.fail(site_at + ("devices", f"[{index}]", "name"),
                                    f"duplicate device name {device.name!r} in client "
                                    f"{client.name!r} (also at "
                                    f"{_dotted(device_names[device.name.lower()])})")
                device_names[device.name.lower()] = site_at + ("devices", f"[{index}]")
        return client

    def _after_central(self, central: CentralSettings, at: At) -> CentralSettings:
        """`central: {remote: "ssh://git@hub/{client}/{repo}", ssh_key, known_hosts, timeout}`"""
        remote = central.remote
        # ssh://git@hub is a user name, not a token: warn about user:TOKEN@ and http(s) ones
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@]*:[^/@]*@", remote) or \
                re.match(r"^https?://[^/@]+@", remote, re.I):
            self.warnings.append(f"{self.path}: {_dotted(at + ('remote',))}: plaintext token "
                                 f"in the git remote URL; use an SSH key or a git credential "
                                 f"helper")
        if "{repo}" not in remote:
            raise self.fail(at + ("remote",), "the central remote needs {repo} (each client "
                                              "pushes two repositories, inventory and configs), "
                                              "e.g. ssh://git@hub/{client}/{repo}")
        if at == ("central",) and "{client}" not in remote:
            raise self.fail(at + ("remote",), "the top-level central remote needs {client}, or "
                                              "every client would push to the same repository")
        return central


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(hint: Any) -> bool:
    return isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)


def _strip_none(hint: Any) -> Any:
    if isinstance(hint, types.UnionType):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else hint
    return hint


def _dataclass_of(hint: Any) -> type | None:
    hint = _strip_none(hint)
    return hint if isinstance(hint, type) and dataclasses.is_dataclass(hint) else None


def _url_has_token(url: str) -> bool:
    """user:password@ in the URL, a token-like query value, or a long random-looking path
    segment (Slack's /services/T../B../XXXX, Teams' webhook ids)."""
    import re
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.password or (parts.username and not parts.password and "@" in parts.netloc):
        return True
    if any(re.search(r"(?i)token|key|sig|secret|pass|auth|code", k) for k, _ in
           parse_qsl(parts.query)):
        return True
    return any(len(seg) >= 16 and re.search(r"[A-Za-z]", seg) and re.search(r"\d", seg)
               for seg in parts.path.split("/"))


def _dotted(at: tuple[str, ...]) -> str:
    out = ""
    for part in at:
        out += part if part.startswith("[") or not out else "." + part
    return out


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def verify_secrets(config: Config, client: str | None = None) -> list[str]:
    """Resolve every secret the selected clients use; raise on the first that fails.

    Returns the names of the credential sets checked. Values are resolved and
    dropped: nothing is cached or printed.
    """
    used: set[str] = set()
    secrets: list[Secret] = []
    for chosen in config.selected_clients(client):
        for site in chosen.sites:
            used.update(site.credentials)
            for device in site.devices:
                used.update(device.credentials)
        for channel in chosen.alerts:
            alert = config.alerts.channels[channel]
            secrets += [s for s in (alert.url, alert.password) if s is not None]
    for name in sorted(used):
        secrets += config.credentials[name].secrets()
    for secret in secrets:
        try:
            secret.reveal()
        except SecretError as exc:
            raise SecretError(exc.args[0].split(": ", 2)[-1], path=str(config.path),
                              key=secret.key) from None
    return sorted(used)


def weak_credential_warnings(config: Config, client: str | None = None) -> list[str]:
    """What `netdoc check` warns about beside plaintext secrets: SNMP v1/v2c credential
    sets in use, whose community goes in clear text to every address they are tried on."""
    used: set[str] = set()
    for chosen in config.selected_clients(client):
        for site in chosen.sites:
            used.update(site.credentials)
            for device in site.devices:
                used.update(device.credentials)
    found = []
    for name in sorted(used):
        snmp = config.credentials[name].snmp
        if snmp is not None and snmp.version in ("1", "2c"):
            found.append(f"{config.path}: credentials.{name}.snmp: SNMP v{snmp.version} sends "
                         f"the community in clear text to every address it is tried on; "
                         f"prefer SNMPv3 (version: 3, auth and priv)")
    return found


def credential_routes(config: Config, client: Client) -> list[dict[str, Any]]:
    """Where each credential set of a client goes: SNMP parts to the sites' subnets and
    listed devices, SSH parts only to listed devices (and to discovered devices of the
    platforms a site opted in with `backup: {discover: true, platforms: [...]}`)."""
    routes: dict[str, dict[str, Any]] = {}

    def route(name: str) -> dict[str, Any]:
        credential = config.credentials[name]
        kinds = ([f"snmp v{credential.snmp.version}"] if credential.snmp else []) + \
            (["ssh"] if credential.ssh else [])
        return routes.setdefault(name, {"credential": name, "kinds": kinds, "snmp_to": [],
                                        "ssh_to": []})

    for site in client.sites:
        for name in site.credentials:
            entry = route(name)
            if config.credentials[name].snmp:
                entry["snmp_to"] += [f"{site.name}: {s.network}" for s in site.subnets]
            if config.credentials[name].ssh and site.backup_discover:
                entry["ssh_to"].append(f"{site.name}: discovered {', '.join(site.backup_platforms)}"
                                       f" devices")
        for device in site.devices:
            if device.exclude:
                continue
            for name in device.credentials or site.credentials:
                entry = route(name)
                where = f"{site.name}: {device.name or device.host} ({device.host})"
                if config.credentials[name].snmp and not device.credentials == () \
                        and where not in entry["snmp_to"]:
                    entry["snmp_to"].append(where)
                if config.credentials[name].ssh and device.backup:
                    entry["ssh_to"].append(where)
    return [routes[name] for name in sorted(routes)]
