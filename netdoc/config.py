"""netdoc.yaml: find it, parse it, validate all of it before anything runs.

Every problem is reported with the file, the line, the key path, the bad value
and what was expected, so a technician can fix it without reading code.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from netdoc.errors import ConfigError, SecretError
from netdoc.secrets import Secret, refuse_system_file

SEARCH_PATH = (Path("netdoc.yaml"), Path("/etc/netdoc/netdoc.yaml"))
LARGEST_SUBNET_PREFIX = 16  # anything larger needs allow_large: true
NAME_LIMIT = 64  # characters of a client, site, device or credential name
# what netdoc writes beside the clients' folders (inventory/index.html, assets/, ...)
RESERVED_CLIENT_NAMES = ("index.html", "assets")


# ---------------------------------------------------------------- the model

@dataclass(frozen=True)
class SnmpCredential:
    version: str  # "1", "2c" or "3"
    community: Secret | None = None
    user: str = ""
    auth: str = ""  # md5, sha, sha224, sha256, sha384, sha512 ("" = noAuth)
    auth_key: Secret | None = None
    priv: str = ""  # des, 3des, aes, aes192, aes256 ("" = noPriv)
    priv_key: Secret | None = None


@dataclass(frozen=True)
class SshCredential:
    username: str
    password: Secret | None = None
    enable: Secret | None = None
    key_file: str = ""


@dataclass(frozen=True)
class CredentialSet:
    name: str
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
    host: str
    name: str = ""
    platform: str = ""  # netdoc profile name or netmiko device_type
    ssh_port: int = 22
    snmp_port: int = 161
    credentials: tuple[str, ...] = ()  # overrides the site's list when given
    backup: bool = True
    exclude: bool = False
    transport: str = ""  # "" = the profile's; "ssh" or "telnet" (credentials in clear)
    telnet_port: int = 23


@dataclass(frozen=True)
class Site:
    name: str
    subnets: tuple[Subnet, ...] = ()
    exclude: tuple[ipaddress.IPv4Network, ...] = ()
    credentials: tuple[str, ...] = ()
    devices: tuple[DeviceSeed, ...] = ()
    # `backup: {discover: true, platforms: [...]}`: discovered devices of these
    # platforms get SSH credentials too; without it only the devices listed here do
    backup_discover: bool = False
    backup_platforms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Client:
    name: str
    sites: tuple[Site, ...] = ()
    secrets: str = "mask"  # "mask" or "keep" in stored configs
    remote: str = ""  # git remote the config repository pushes to
    alerts: tuple[str, ...] = ()  # names of alert channels this client's changes go to
    backup_variants: dict[str, str] = field(default_factory=dict)  # platform -> variant
    central: "CentralSettings | None" = None  # overrides the top-level central: (netdoc.hub.central)


@dataclass(frozen=True)
class CentralSettings:
    """`central:` the MSP's git server both repositories of every client push to."""

    remote: str = ""  # template: ssh://git@hub/{client}/{repo}  ({repo}: inventory | configs)
    ssh_key: str = ""  # private key the probe pushes with ("" = ssh's default)
    known_hosts: str = ""  # the server's host key ("" = ssh's default files)
    timeout: float = 120.0  # seconds one repository's push may take, all attempts together


@dataclass(frozen=True)
class SnmpSettings:
    timeout: float = 2.0
    retries: int = 1
    max_repetitions: int = 25
    device_budget: float = 60.0  # seconds for all of one device's walks
    probe_timeout: float = 1.0  # first contact with a host not seen answering (discover/probe.py)


@dataclass(frozen=True)
class DiscoverySettings:
    concurrency: int = 64
    arp_rate: int = 2000  # packets per second
    arp_retries: int = 2
    lldp_listen: float = 3.0  # seconds of passive LLDP/CDP listening (0 = off)
    reverse_dns: bool = True
    dns_deadline: float = 2.0  # seconds for all of one site's name lookups together
    missing_after_runs: int = 3
    # a device gone this many runs moves to the archive: still searchable, not counted
    archive_after_runs: int = 168
    snmp: SnmpSettings = SnmpSettings()


@dataclass(frozen=True)
class BackupSettings:
    concurrency: int = 20
    timeout: float = 120.0
    shrink_limit: float = 0.5  # new config smaller than this fraction of the last = truncated
    max_age_hours: float = 48.0
    max_config_bytes: int = 32 * 1024 * 1024  # a device sending more is cut off and failed


@dataclass(frozen=True)
class HealthSettings:
    """`health:` what `netdoc health` and `netdoc metrics` call stale (netdoc.metrics)."""

    max_backup_age: float = 0.0  # seconds; 0 = backup.max_age_hours


@dataclass(frozen=True)
class RunSettings:
    budget: float = 0.0  # seconds for a whole run (0 = no limit)
    lock_wait: float = 60.0  # seconds a second run waits for the client's lock


@dataclass(frozen=True)
class ScheduleSettings:
    """How often `netdoc daemon` runs each stage (seconds; 0 = never)."""

    discover: float = 3600.0
    backup: float = 86400.0
    render: float = 3600.0


ALERT_KINDS = ("new_device", "device_gone", "device_returned", "device_changed",
               "config_changed", "backup_failing", "backup_stale", "host_key_changed",
               "endpoint_moved", "link_changed", "stage_failed")
DEFAULT_ALERT_KINDS = ("new_device", "device_gone", "config_changed", "backup_failing",
                       "host_key_changed", "endpoint_moved", "stage_failed")


@dataclass(frozen=True)
class AlertChannel:
    name: str
    type: str  # webhook | slack | teams | email
    url: Secret | None = None
    host: str = ""
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: Secret | None = None
    sender: str = ""
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertSettings:
    channels: dict[str, AlertChannel] = field(default_factory=dict)
    on: tuple[str, ...] = DEFAULT_ALERT_KINDS
    backup_failing_after: int = 2  # consecutive failed backups before an alert
    timeout: float = 30.0  # seconds one delivery may take in all (connect, send, answer)


@dataclass(frozen=True)
class OutputSettings:
    inventory: Path = Path("inventory")
    config_backups: Path = Path("config_backups")
    templates: Path | None = None


@dataclass(frozen=True)
class VaultSettings:
    """Where the encrypted vaults and their keys live (never the keys themselves)."""

    dir: Path = Path("vault")  # <client>.vault files; default next to netdoc.yaml
    keys: Path | None = None  # <client>.key files; None = ~/.config/netdoc/keys


@dataclass(frozen=True)
class Config:
    path: Path
    credentials: dict[str, CredentialSet] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    discovery: DiscoverySettings = DiscoverySettings()
    backup: BackupSettings = BackupSettings()
    output: OutputSettings = OutputSettings()
    run: RunSettings = RunSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    vault: VaultSettings = VaultSettings()
    central: CentralSettings | None = None
    health: HealthSettings = HealthSettings()
    warnings: tuple[str, ...] = ()

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
    _point_vault_at(config)
    return config


def _point_vault_at(config: Config) -> None:
    """`vault:` references resolve through a (client, name) hook that cannot see the
    config, so tell the vault which folders this configuration uses."""
    from netdoc.vault import use_config

    use_config(config)


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

class _Validator:
    def __init__(self, path: Path, lines: dict[tuple[str, ...], int]) -> None:
        self.path = path
        self.lines = lines
        self.warnings: list[str] = []

    # helpers --------------------------------------------------------------
    def fail(self, at: tuple[str, ...], message: str) -> ConfigError:
        line = None
        for depth in range(len(at), -1, -1):
            line = self.lines.get(at[:depth])
            if line is not None:
                break
        return ConfigError(message, path=str(self.path), key=_dotted(at), line=line)

    def mapping(self, value: Any, at: tuple[str, ...], allowed: tuple[str, ...],
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

    def string(self, value: Any, at: tuple[str, ...], choices: tuple[str, ...] = ()) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(at, f"expected text, got {_show(value)}")
        text = str(value)
        if choices and text not in choices:
            raise self.fail(at, f"invalid value {text!r}; expected one of: {', '.join(choices)}")
        return text

    def number(self, value: Any, at: tuple[str, ...], low: float, high: float,
               kind: Callable[[Any], Any] = float) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (kind is int and not isinstance(value, int)):
            expected = "a whole number" if kind is int else "a number"
            raise self.fail(at, f"invalid value {_show(value)}; expected {expected} "
                                f"from {low:g} to {high:g}")
        if not low <= value <= high:
            raise self.fail(at, f"invalid value {value!r}; expected from {low:g} to {high:g}")
        return kind(value)

    def port(self, value: Any, at: tuple[str, ...]) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise self.fail(at, f"invalid port {_show(value)}; expected a whole number "
                                f"from 1 to 65535")
        return value

    def boolean(self, value: Any, at: tuple[str, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.fail(at, f"invalid value {_show(value)}; expected true or false")
        return value

    def secret(self, value: Any, at: tuple[str, ...]) -> Secret:
        text = self.string(value, at)
        if text.startswith("file:"):
            # relative to netdoc.yaml, not to wherever netdoc happens to be started
            target = Path(text[5:]).expanduser()
            if not target.is_absolute():
                target = self.path.resolve().parent / target
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

    def listing(self, value: Any, at: tuple[str, ...]) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(at, f"expected a list, got {_show(value)}")
        return value

    def name(self, value: Any, at: tuple[str, ...], what: str) -> str:
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

    # the document ----------------------------------------------------------
    def config(self, data: Any) -> Config:
        top = self.mapping(data, (), ("credentials", "clients", "discovery", "backup", "output",
                                      "run", "schedule", "alerts", "vault", "central",
                                      "health"))
        credentials = {}
        for cred_name, body in self.mapping(top.get("credentials"), ("credentials",),
                                            tuple(map(str, (top.get("credentials") or {})))).items():
            at = ("credentials", str(cred_name))
            credentials[str(cred_name)] = self.credential_set(self.name(cred_name, at, "credential"),
                                                              body, at)
        output = self.output(top.get("output"))
        alerts = self.alerts(top.get("alerts"))
        clients: dict[str, Client] = {}
        raw_clients = top.get("clients")
        if not isinstance(raw_clients, dict) or not raw_clients:
            raise self.fail(("clients",), "at least one client is required "
                                          "(clients: {NAME: {sites: ...}})")
        for client_name, body in raw_clients.items():
            at = ("clients", str(client_name))
            name = self.name(client_name, at, "client")
            if name.lower() in {c.lower() for c in clients}:
                raise self.fail(at, f"duplicate client name {name!r}")
            clients[name] = self.client(name, body, at, credentials, alerts)
        return Config(path=self.path, credentials=credentials, clients=clients,
                      discovery=self.discovery(top.get("discovery")),
                      backup=self.backup(top.get("backup")), output=output,
                      run=self.run(top.get("run")), schedule=self.schedule(top.get("schedule")),
                      alerts=alerts, vault=self.vault(top.get("vault")),
                      central=self.central(top.get("central"), ("central",)),
                      health=self.health(top.get("health")),
                      warnings=tuple(self.warnings))

    def credential_set(self, name: str, body: Any, at: tuple[str, ...]) -> CredentialSet:
        body = self.mapping(body, at, ("snmp", "ssh"))
        if not body:
            raise self.fail(at, "a credential set needs an snmp: or ssh: part")
        snmp = self.snmp_credential(body["snmp"], at + ("snmp",)) if "snmp" in body else None
        ssh = self.ssh_credential(body["ssh"], at + ("ssh",)) if "ssh" in body else None
        return CredentialSet(name=name, snmp=snmp, ssh=ssh)

    def snmp_credential(self, body: Any, at: tuple[str, ...]) -> SnmpCredential:
        body = self.mapping(body, at, ("version", "community", "user", "auth", "auth_key",
                                       "priv", "priv_key"), required=("version",))
        version = self.string(body["version"], at + ("version",), ("1", "2c", "3"))
        if version in ("1", "2c"):
            if "community" not in body:
                raise self.fail(at + ("community",), f"SNMP v{version} needs a community")
            for key in ("user", "auth", "auth_key", "priv", "priv_key"):
                if key in body:
                    raise self.fail(at + (key,), f"{key!r} is for SNMP v3, not v{version}")
            return SnmpCredential(version=version,
                                  community=self.secret(body["community"], at + ("community",)))
        if "community" in body:
            raise self.fail(at + ("community",), "SNMP v3 uses user/auth/priv, not a community")
        if not body.get("user"):
            raise self.fail(at + ("user",), "SNMP v3 needs a user")
        auth = self.string(body.get("auth", ""), at + ("auth",),
                           ("", "md5", "sha", "sha224", "sha256", "sha384", "sha512"))
        priv = self.string(body.get("priv", ""), at + ("priv",),
                           ("", "des", "3des", "aes", "aes192", "aes256", "aes192c", "aes256c"))
        if priv and not auth:
            raise self.fail(at + ("priv",), "SNMP v3 privacy needs authentication (auth:) too")
        auth_key = self.secret(body["auth_key"], at + ("auth_key",)) if auth else None
        priv_key = self.secret(body["priv_key"], at + ("priv_key",)) if priv else None
        if auth and "auth_key" not in body:
            raise self.fail(at + ("auth_key",), "auth is set but auth_key is missing")
        if priv and "priv_key" not in body:
            raise self.fail(at + ("priv_key",), "priv is set but priv_key is missing")
        return SnmpCredential(version="3", user=self.string(body["user"], at + ("user",)),
                              auth=auth, auth_key=auth_key, priv=priv, priv_key=priv_key)

    def ssh_credential(self, body: Any, at: tuple[str, ...]) -> SshCredential:
        body = self.mapping(body, at, ("username", "password", "enable", "key_file"),
                            required=("username",))
        if "password" not in body and "key_file" not in body:
            raise self.fail(at, "an ssh credential needs a password or a key_file")
        return SshCredential(
            username=self.string(body["username"], at + ("username",)),
            password=self.secret(body["password"], at + ("password",)) if "password" in body
            else None,
            enable=self.secret(body["enable"], at + ("enable",)) if "enable" in body else None,
            key_file=self.string(body.get("key_file", ""), at + ("key_file",)))

    def client(self, name: str, body: Any, at: tuple[str, ...],
               credentials: dict[str, CredentialSet], alerts: AlertSettings) -> Client:
        body = self.mapping(body, at, ("sites", "secrets", "remote", "alerts",
                                       "backup_variants", "central"), required=("sites",))
        variants_at = at + ("backup_variants",)
        raw_variants = body.get("backup_variants") or {}
        variants = {str(k): self.string(v, variants_at + (str(k),))
                    for k, v in self.mapping(raw_variants, variants_at,
                                             tuple(map(str, raw_variants))).items()}
        channels = []
        for i, item in enumerate(self.listing(body.get("alerts"), at + ("alerts",))):
            channel = self.string(item, at + ("alerts", f"[{i}]"))
            if channel not in alerts.channels:
                raise self.fail(at + ("alerts", f"[{i}]"),
                                f"alert channel {channel!r} is not defined under alerts.channels; "
                                f"defined: {', '.join(sorted(alerts.channels)) or 'none'}")
            channels.append(channel)
        raw_sites = self.mapping(body["sites"], at + ("sites",),
                                 tuple(map(str, body["sites"] or {})))
        sites = []
        device_names: dict[str, tuple[str, ...]] = {}
        for site_name, site_body in raw_sites.items():
            site_at = at + ("sites", str(site_name))
            site = self.site(self.name(site_name, site_at, "site"), site_body, site_at, credentials)
            for index, device in enumerate(site.devices):
                if device.name:
                    if device.name.lower() in device_names:
                        raise self.fail(site_at + ("devices", f"[{index}]", "name"),
                                        f"duplicate device name {device.name!r} in client "
                                        f"{name!r} (also at {_dotted(device_names[device.name.lower()])})")
                    device_names[device.name.lower()] = site_at + ("devices", f"[{index}]")
            sites.append(site)
        return Client(name=name, sites=tuple(sites),
                      secrets=self.string(body.get("secrets", "mask"), at + ("secrets",),
                                          ("mask", "keep")),
                      remote=self.remote(body.get("remote", ""), at + ("remote",)),
                      alerts=tuple(channels), backup_variants=variants,
                      central=self.central(body.get("central"), at + ("central",)))

    def central(self, value: Any, at: tuple[str, ...]) -> CentralSettings | None:
        """`central: {remote: "ssh://git@hub/{client}/{repo}", ssh_key, known_hosts, timeout}`"""
        if value is None:
            return None
        body = self.mapping(value, at, ("remote", "ssh_key", "known_hosts", "timeout"),
                            required=("remote",))
        remote = self.string(body["remote"], at + ("remote",))
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
        base = self.path.resolve().parent

        def file(key: str) -> str:
            text = self.string(body.get(key, ""), at + (key,))
            if not text:
                return ""
            path = Path(text).expanduser()
            return str(path if path.is_absolute() else base / path)

        return CentralSettings(remote=remote, ssh_key=file("ssh_key"),
                               known_hosts=file("known_hosts"),
                               timeout=self.duration(body.get("timeout", 120), at + ("timeout",)))

    def remote(self, value: Any, at: tuple[str, ...]) -> str:
        url = self.string(value, at)
        if url and _url_has_token(url):
            self.warnings.append(f"{self.path}: {_dotted(at)}: plaintext token in the git "
                                 f"remote URL; use an SSH key or a git credential helper")
        return url

    def site(self, name: str, body: Any, at: tuple[str, ...],
             credentials: dict[str, CredentialSet]) -> Site:
        body = self.mapping(body, at, ("subnets", "exclude", "credentials", "devices", "backup"))
        subnets = tuple(self.subnet(value, at + ("subnets", f"[{i}]"))
                        for i, value in enumerate(self.listing(body.get("subnets"),
                                                               at + ("subnets",))))
        for i, first in enumerate(subnets):
            for j, second in enumerate(subnets[i + 1:], start=i + 1):
                if first.network.overlaps(second.network):
                    raise self.fail(at + ("subnets", f"[{j}]"),
                                    f"subnet {second.network} overlaps {first.network} "
                                    f"in the same site")
        exclude = tuple(self.network(value, at + ("exclude", f"[{i}]"))
                        for i, value in enumerate(self.listing(body.get("exclude"),
                                                               at + ("exclude",))))
        names = self.credential_names(body.get("credentials"), at + ("credentials",), credentials)
        devices = tuple(self.device(value, at + ("devices", f"[{i}]"), credentials)
                        for i, value in enumerate(self.listing(body.get("devices"),
                                                               at + ("devices",))))
        discover, platforms = self.site_backup(body.get("backup"), at + ("backup",))
        return Site(name=name, subnets=subnets, exclude=exclude, credentials=names, devices=devices,
                    backup_discover=discover, backup_platforms=platforms)

    def site_backup(self, value: Any, at: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]:
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
        return discover, platforms

    def credential_names(self, value: Any, at: tuple[str, ...],
                         credentials: dict[str, CredentialSet]) -> tuple[str, ...]:
        names = []
        for i, item in enumerate(self.listing(value, at)):
            name = self.string(item, at + (f"[{i}]",))
            if name not in credentials:
                close = difflib.get_close_matches(name, list(credentials), n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else \
                    f"; defined: {', '.join(sorted(credentials)) or 'none'}"
                raise self.fail(at + (f"[{i}]",), f"credential set {name!r} is not defined "
                                                  f"under credentials:{hint}")
            names.append(name)
        return tuple(names)

    def subnet(self, value: Any, at: tuple[str, ...]) -> Subnet:
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

    def network(self, value: Any, at: tuple[str, ...]) -> ipaddress.IPv4Network:
        text = self.string(value, at)
        try:
            return ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            raise self.fail(at, f"invalid CIDR {text!r}: {exc}; expected e.g. 192.0.2.0/24") from None

    def address(self, value: Any, at: tuple[str, ...]) -> str:
        text = self.string(value, at)
        try:
            return str(ipaddress.IPv4Address(text))
        except ValueError:
            raise self.fail(at, f"invalid IP address {text!r}; expected e.g. 192.0.2.1") from None

    def device(self, value: Any, at: tuple[str, ...],
               credentials: dict[str, CredentialSet]) -> DeviceSeed:
        body = self.mapping(value, at, ("host", "name", "platform", "ssh_port", "snmp_port",
                                        "credentials", "backup", "exclude", "transport", "telnet_port"),
                            required=("host",))
        return DeviceSeed(
            host=self.address(body["host"], at + ("host",)),
            name=self.name(body["name"], at + ("name",), "device") if "name" in body else "",
            platform=self.string(body.get("platform", ""), at + ("platform",)),
            ssh_port=self.port(body.get("ssh_port", 22), at + ("ssh_port",)),
            snmp_port=self.port(body.get("snmp_port", 161), at + ("snmp_port",)),
            credentials=self.credential_names(body.get("credentials"), at + ("credentials",),
                                              credentials),
            backup=self.boolean(body.get("backup", True), at + ("backup",)),
            exclude=self.boolean(body.get("exclude", False), at + ("exclude",)),
            transport=self.string(body.get("transport", ""), at + ("transport",),
                                  ("", "ssh", "telnet")),
            telnet_port=self.port(body.get("telnet_port", 23), at + ("telnet_port",)))

    def discovery(self, value: Any) -> DiscoverySettings:
        at = ("discovery",)
        body = self.mapping(value, at, ("concurrency", "arp_rate", "arp_retries", "lldp_listen",
                                        "reverse_dns", "dns_deadline", "missing_after_runs",
                                        "archive_after_runs", "snmp"))
        snmp_at = at + ("snmp",)
        snmp = self.mapping(body.get("snmp"), snmp_at,
                            ("timeout", "retries", "max_repetitions", "device_budget",
                             "probe_timeout"))
        defaults = DiscoverySettings()
        return DiscoverySettings(
            concurrency=self.number(body.get("concurrency", defaults.concurrency),
                                    at + ("concurrency",), 1, 1024, int),
            arp_rate=self.number(body.get("arp_rate", defaults.arp_rate), at + ("arp_rate",),
                                 1, 100000, int),
            arp_retries=self.number(body.get("arp_retries", defaults.arp_retries),
                                    at + ("arp_retries",), 0, 10, int),
            lldp_listen=self.number(body.get("lldp_listen", defaults.lldp_listen),
                                    at + ("lldp_listen",), 0, 300),
            reverse_dns=self.boolean(body.get("reverse_dns", True), at + ("reverse_dns",)),
            dns_deadline=self.number(body.get("dns_deadline", defaults.dns_deadline),
                                     at + ("dns_deadline",), 0, 60),
            missing_after_runs=self.number(body.get("missing_after_runs",
                                                    defaults.missing_after_runs),
                                           at + ("missing_after_runs",), 1, 1000, int),
            archive_after_runs=self.number(body.get("archive_after_runs",
                                                    defaults.archive_after_runs),
                                           at + ("archive_after_runs",), 0, 100000, int),
            snmp=SnmpSettings(
                timeout=self.number(snmp.get("timeout", 2.0), snmp_at + ("timeout",), 0.05, 60),
                retries=self.number(snmp.get("retries", 1), snmp_at + ("retries",), 0, 10, int),
                max_repetitions=self.number(snmp.get("max_repetitions", 25),
                                            snmp_at + ("max_repetitions",), 1, 200, int),
                device_budget=self.number(snmp.get("device_budget", 60.0),
                                          snmp_at + ("device_budget",), 1, 3600),
                probe_timeout=self.number(snmp.get("probe_timeout", 1.0),
                                          snmp_at + ("probe_timeout",), 0.05, 60)))

    def backup(self, value: Any) -> BackupSettings:
        at = ("backup",)
        body = self.mapping(value, at, ("concurrency", "timeout", "shrink_limit", "max_age_hours",
                                        "max_config_bytes"))
        defaults = BackupSettings()
        return BackupSettings(
            concurrency=self.number(body.get("concurrency", defaults.concurrency),
                                    at + ("concurrency",), 1, 256, int),
            timeout=self.number(body.get("timeout", defaults.timeout), at + ("timeout",), 1, 3600),
            shrink_limit=self.number(body.get("shrink_limit", defaults.shrink_limit),
                                     at + ("shrink_limit",), 0, 1),
            max_age_hours=self.number(body.get("max_age_hours", defaults.max_age_hours),
                                      at + ("max_age_hours",), 1, 24 * 365),
            max_config_bytes=self.number(body.get("max_config_bytes",
                                                  defaults.max_config_bytes),
                                         at + ("max_config_bytes",), 1024, 1024 ** 3, int))

    def run(self, value: Any) -> RunSettings:
        at = ("run",)
        body = self.mapping(value, at, ("budget", "lock_wait"))
        return RunSettings(
            budget=self.duration(body.get("budget", 0), at + ("budget",)),
            lock_wait=self.duration(body.get("lock_wait", 60), at + ("lock_wait",)))

    def health(self, value: Any) -> HealthSettings:
        body = self.mapping(value, ("health",), ("max_backup_age",))
        return HealthSettings(max_backup_age=self.duration(body.get("max_backup_age", 0),
                                                           ("health", "max_backup_age")))

    def schedule(self, value: Any) -> ScheduleSettings:
        at = ("schedule",)
        body = self.mapping(value, at, ("discover", "backup", "render"))
        defaults = ScheduleSettings()
        return ScheduleSettings(**{
            stage: self.duration(body.get(stage, getattr(defaults, stage)), at + (stage,))
            for stage in ("discover", "backup", "render")})

    def duration(self, value: Any, at: tuple[str, ...]) -> float:
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

    def alerts(self, value: Any) -> AlertSettings:
        at = ("alerts",)
        body = self.mapping(value, at, ("channels", "on", "backup_failing_after", "timeout"))
        raw = body.get("channels") or {}
        channels = {}
        for name, channel in self.mapping(raw, at + ("channels",), tuple(map(str, raw))).items():
            channels[str(name)] = self.alert_channel(str(name), channel,
                                                     at + ("channels", str(name)))
        kinds = tuple(self.string(k, at + ("on", f"[{i}]"), ALERT_KINDS)
                      for i, k in enumerate(self.listing(body.get("on", list(DEFAULT_ALERT_KINDS)),
                                                         at + ("on",))))
        return AlertSettings(channels=channels, on=kinds, backup_failing_after=self.number(
            body.get("backup_failing_after", 2), at + ("backup_failing_after",), 1, 1000, int),
            timeout=self.number(body.get("timeout", 30), at + ("timeout",), 0.5, 600))

    def alert_channel(self, name: str, body: Any, at: tuple[str, ...]) -> AlertChannel:
        body = self.mapping(body, at, ("type", "url", "host", "port", "starttls", "username",
                                       "password", "sender", "to"), required=("type",))
        kind = self.string(body["type"], at + ("type",), ("webhook", "slack", "teams", "email"))
        if kind == "email":
            for key in ("host", "sender", "to"):
                if not body.get(key):
                    raise self.fail(at + (key,), f"an email channel needs {key!r}")
            if body.get("username") and body.get("starttls", True) is False \
                    and body.get("port", 587) != 465:
                self.warnings.append(f"{self.path}: {_dotted(at)}: SMTP login without TLS "
                                     f"(starttls: false) sends the password in clear text; "
                                     f"set starttls: true")
            return AlertChannel(
                name=name, type=kind, host=self.string(body["host"], at + ("host",)),
                port=self.port(body.get("port", 587), at + ("port",)),
                starttls=self.boolean(body.get("starttls", True), at + ("starttls",)),
                username=self.string(body.get("username", ""), at + ("username",)),
                password=self.secret(body["password"], at + ("password",))
                if "password" in body else None,
                sender=self.string(body["sender"], at + ("sender",)),
                to=tuple(self.string(t, at + ("to", f"[{i}]"))
                         for i, t in enumerate(self.listing(body["to"], at + ("to",)))))
        if not body.get("url"):
            raise self.fail(at + ("url",), f"a {kind} channel needs a url")
        # Webhook URLs often embed a token (Slack, Teams): treat them as secrets, and
        # warn about a plaintext one like about any plaintext secret.
        url = Secret(self.string(body["url"], at + ("url",)), key=_dotted(at + ("url",)))
        if url.is_plaintext and _url_has_token(url.reference):
            self.warnings.append(f"{self.path}: {_dotted(at + ('url',))}: plaintext token in "
                                 f"the URL; use env:, file: or vault: instead")
        return AlertChannel(name=name, type=kind, url=url)

    def output(self, value: Any) -> OutputSettings:
        at = ("output",)
        body = self.mapping(value, at, ("inventory", "config_backups", "templates"))
        base = self.path.resolve().parent

        def folder(key: str, default: str) -> Path:
            path = Path(self.string(body.get(key, default), at + (key,))).expanduser()
            return path if path.is_absolute() else base / path

        templates = folder("templates", "") if body.get("templates") else None
        return OutputSettings(inventory=folder("inventory", "inventory"),
                              config_backups=folder("config_backups", "config_backups"),
                              templates=templates)

    def vault(self, value: Any) -> VaultSettings:
        at = ("vault",)
        body = self.mapping(value, at, ("dir", "keys"))
        base = self.path.resolve().parent

        def folder(key: str, default: str) -> Path:
            path = Path(self.string(body.get(key, default), at + (key,))).expanduser()
            return path if path.is_absolute() else base / path

        return VaultSettings(dir=folder("dir", "vault"),
                             keys=folder("keys", "") if body.get("keys") else None)


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
