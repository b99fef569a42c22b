r"""Platform profiles: everything netdoc knows about a vendor, as data.

One YAML file per platform in this folder (in the spirit of Oxidized's
one-file-per-model and LibreNMS's OS definitions). A profile says how to
recognise the platform from SNMP (sysObjectID prefixes, sysDescr patterns), how
to read version/model/serial out of sysDescr where ENTITY-MIB is silent, and
how to back it up (netmiko driver, commands, end marker, volatile lines,
secret patterns). Adding a vendor means adding one file and one fixture.

Schema (every key but `name` optional):

    name: cisco_ios              # profile name, also accepted as `platform:` in netdoc.yaml
    vendor: Cisco
    os: IOS
    role: switch                 # role when nothing better is known
    netmiko: cisco_ios           # netmiko device_type used for SSH
    aliases: [cisco_ios_telnet]  # other names technicians use (netmiko types, ...)
    match:
      sys_object_id: ["1.3.6.1.4.1.9.1."]   # prefixes of sysObjectID
      sys_descr: ["Cisco IOS Software"]     # regexes searched in sysDescr
      not_sys_descr: ["IOS-XE"]             # regexes that rule the profile out
      priority: 10                          # higher wins when several match
    extract:                     # regexes on sysDescr, first group is the value
      version: 'Version ([^ ,]+)'
      model: '...'
      serial: '...'
    roles:                       # role refinements: first regex on sysDescr that matches wins
      - {sys_descr: 'Router', role: router}
    snmp:                        # identification extras, read by netdoc.identify (SNMP part)
      get:                       # fields from vendor MIB scalars or ENTITY-MIB; first non-empty
        serial: '1.3.6.1.4.1.14988.1.1.7.3.0'              # wins, before extract and ENTITY-MIB
        model: [{oid: '1.3.6.1.4.1.2636.3.1.2.0', regex: '^Juniper (.+)'}, {entity: model}]
      fdb_per_vlan: true         # read BRIDGE-MIB once per VLAN (community@vlan, v3 context
                                 # vlan-N), VLANs from CISCO-VTP-MIB (Cisco IOS / IOS-XE)

    Matching (netdoc.identify.score): a profile fits when a sysObjectID prefix or a
    sysDescr regex hits and no not_sys_descr regex does; a sysDescr hit outweighs the
    sysObjectID prefix length, and `priority` (vendor profiles 10, generic ones 0-5)
    outweighs both. `extract` regexes with several groups join the groups that matched.
    backup:
      commands: ["show running-config"]
      enable: true               # enter privileged mode when the credential has an enable secret
      end_marker: '^end$'        # regex a complete config must contain
      strip_until: '^!'          # drop lines before the first match (banners, headers)
      volatile: ['^! Last configuration change']   # regexes of whole lines to drop
      secrets:                   # regexes; the named group 'secret' is masked
        - '^ *snmp-server community (?P<secret>\S+)'
      secret_blocks:             # multi-line secrets (keys, certificates): from a line
        - {begin: 'BEGIN .*PRIVATE KEY', end: 'END .*PRIVATE KEY'}  # matching begin to
                                 # one matching end, the lines between are masked as one
      transport: cli             # cli (interactive shell via netmiko, the default) or
                                 # exec (one SSH exec request per command: pfSense, OPNsense)
      pager: ['--More--']        # regexes: seen in the cleaned output = truncated, refused
      facts:                     # context stored in the metadata file, not in the config
        commands: ["show version"]
        version: 'Version ([^ ,]+)'   # regexes on the facts output, first group is the value
        model: '...'
        serial: '...'
      variants:                  # alternative recipes, chosen as `platform: NAME:VARIANT`
        set: {commands: ["show configuration | display set"]}   # keys override the above
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from netdoc.errors import NetdocError

PROFILE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class MatchRules:
    sys_object_id: tuple[str, ...] = ()
    sys_descr: tuple[re.Pattern[str], ...] = ()
    not_sys_descr: tuple[re.Pattern[str], ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class BackupRecipe:
    commands: tuple[str, ...] = ()
    enable: bool = False
    end_marker: re.Pattern[str] | None = None
    strip_until: re.Pattern[str] | None = None
    volatile: tuple[re.Pattern[str], ...] = ()
    secrets: tuple[re.Pattern[str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    secret_blocks: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    transport: str = "cli"
    pager: tuple[re.Pattern[str], ...] = ()
    facts_commands: tuple[str, ...] = ()
    facts: dict[str, re.Pattern[str]] = field(default_factory=dict)
    variants: dict[str, "BackupRecipe"] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    vendor: str = ""
    os: str = ""
    role: str = "unknown"
    netmiko: str = ""
    aliases: tuple[str, ...] = ()
    match: MatchRules = MatchRules()
    extract: dict[str, re.Pattern[str]] = field(default_factory=dict)
    roles: tuple[tuple[re.Pattern[str], str], ...] = ()
    backup: BackupRecipe | None = None
    source: str = ""


class ProfileError(NetdocError):
    """A platform profile file is broken (a netdoc bug, not a user error)."""


def _regex(value: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(value, re.MULTILINE)
    except re.error as exc:
        raise ProfileError(f"{where}: invalid regex {value!r}: {exc}") from None


def _regexes(values: Any, where: str) -> tuple[re.Pattern[str], ...]:
    return tuple(_regex(v, where) for v in (values or []))


_RECIPE_KEYS = {"commands", "enable", "end_marker", "strip_until", "volatile", "secrets",
                "secret_blocks", "transport", "pager", "facts", "variants"}


def _backup_recipe(backup: dict[str, Any], source: str) -> BackupRecipe:
    where = f"{source}: backup"
    if backup.get("transport", "cli") not in ("cli", "exec"):
        raise ProfileError(f"{where}.transport: expected cli or exec, "
                           f"got {backup.get('transport')!r}")
    facts = dict(backup.get("facts") or {})
    variants = backup.get("variants") or {}
    base = {k: v for k, v in backup.items() if k != "variants"}
    return BackupRecipe(
        commands=tuple(backup.get("commands") or ()),
        enable=bool(backup.get("enable", False)),
        end_marker=_regex(backup["end_marker"], where) if backup.get("end_marker") else None,
        strip_until=_regex(backup["strip_until"], where) if backup.get("strip_until") else None,
        volatile=_regexes(backup.get("volatile"), where),
        secrets=_regexes(backup.get("secrets"), where),
        extra={k: v for k, v in backup.items() if k not in _RECIPE_KEYS},
        secret_blocks=tuple((_regex(b["begin"], where), _regex(b["end"], where))
                            for b in backup.get("secret_blocks") or ()),
        transport=str(backup.get("transport", "cli")),
        pager=_regexes(backup.get("pager"), where),
        facts_commands=tuple(facts.pop("commands", None) or ()),
        facts={k: _regex(v, where) for k, v in facts.items()},
        # a variant is the base recipe with some keys replaced
        variants={str(name): _backup_recipe({**base, **(body or {})}, f"{source} variant {name}")
                  for name, body in variants.items()})


def parse_profile(data: dict[str, Any], source: str) -> Profile:
    if not isinstance(data, dict) or not data.get("name"):
        raise ProfileError(f"{source}: a profile needs a 'name'")
    match = data.get("match") or {}
    backup = data.get("backup")
    recipe = _backup_recipe(backup, source) if backup else None
    return Profile(
        name=str(data["name"]),
        vendor=str(data.get("vendor", "")),
        os=str(data.get("os", "")),
        role=str(data.get("role", "unknown")),
        netmiko=str(data.get("netmiko", "")),
        aliases=tuple(data.get("aliases") or ()),
        match=MatchRules(
            sys_object_id=tuple(str(p) for p in match.get("sys_object_id") or ()),
            sys_descr=_regexes(match.get("sys_descr"), source),
            not_sys_descr=_regexes(match.get("not_sys_descr"), source),
            priority=int(match.get("priority", 0))),
        extract={k: _regex(v, source) for k, v in (data.get("extract") or {}).items()},
        roles=tuple((_regex(r["sys_descr"], source), str(r["role"]))
                    for r in data.get("roles") or ()),
        backup=recipe,
        source=source)


@lru_cache(maxsize=1)
def load_profiles() -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        profile = parse_profile(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        if profile.name in profiles:
            raise ProfileError(f"{path.name}: duplicate profile name {profile.name!r}")
        profiles[profile.name] = profile
    return profiles


def profile_named(name: str) -> Profile | None:
    """Look a platform up by netdoc profile name, alias or netmiko device_type."""
    profiles = load_profiles()
    if name in profiles:
        return profiles[name]
    for profile in profiles.values():
        if name in profile.aliases:
            return profile
    for profile in profiles.values():
        if name == profile.netmiko:
            return profile
    return None
