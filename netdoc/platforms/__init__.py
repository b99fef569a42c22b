r"""Platform profiles: everything netdoc knows about a vendor, as data.

One YAML file per platform in this folder (in the spirit of Oxidized's
one-file-per-model and LibreNMS's OS definitions). A profile says how to
recognise the platform from SNMP (sysObjectID prefixes, sysDescr patterns), how
to read version/model/serial out of sysDescr where ENTITY-MIB is silent, and
how to back it up (netmiko driver, commands, end marker, volatile lines,
secret patterns). Adding a vendor means adding one file and one fixture.

Every profile is checked against one declarative schema (`PROFILE_SCHEMA` below)
when the profiles are loaded: an unknown key or a value of the wrong type is a
ProfileError that names the file and the key path, e.g.
`sonicwall.yaml: backup.secrest: unknown key (did you mean 'secrets'?)`. A typo
can never silently switch a rule (say, secret masking) off.

Schema (every key but `name` optional):

    name: cisco_ios              # profile name, also accepted as `platform:` in netdoc.yaml
    vendor: Cisco
    os: IOS
    role: switch                 # role when nothing better is known
    netmiko: cisco_ios           # netmiko device_type used for SSH
    parser: cisco_ios            # config facts parser (netdoc.facts.PARSERS) for its configs
    structure: ios               # hier-config OS: config changes described per section
    aliases: [ios, cisco_ios_ssh, rancid:cisco]
                                 # other names accepted as `platform:`: the Oxidized model
                                 # name(s) (so an Oxidized router.db maps one to one), netmiko
                                 # types, common spellings. `rancid:TYPE` names a RANCID
                                 # router.db device type (netdoc import rancid). An alias
                                 # belongs to one profile only.
    match:
      sys_object_id: ["1.3.6.1.4.1.9.1."]   # prefixes of sysObjectID
      sys_descr: ["Cisco IOS Software"]     # regexes searched in sysDescr
      not_sys_descr: ["IOS-XE"]             # regexes that rule the profile out
      priority: 10                          # higher wins when several match
      oid_present: ['1.3.6.1.4.1.6574.1.5.1.0']   # behind a generic agent (net-snmp): fits
      oid_value: {'1.3.6.1.4.1.2.0': '^Acme'}     # when one answers / one's value matches
    extract:                     # regexes on sysDescr, first group is the value
      version: 'Version ([^ ,]+)'
      model: '...'
      serial: '...'
    roles:                       # role refinements: first regex on sysDescr that matches wins
      - {sys_descr: 'Router', role: router}
    snmp:                        # identification extras, read by netdoc.discover.identify (SNMP part)
      get:                       # fields from vendor MIB scalars or ENTITY-MIB; first non-empty
        serial: '1.3.6.1.4.1.14988.1.1.7.3.0'              # wins, before extract and ENTITY-MIB
        model: [{oid: '1.3.6.1.4.1.2636.3.1.2.0', regex: '^Juniper (.+)'}, {entity: model}]
      fdb_per_vlan: true         # read BRIDGE-MIB once per VLAN (community@vlan, v3 context
                                 # vlan-N), VLANs from CISCO-VTP-MIB (Cisco IOS / IOS-XE)

    Matching (netdoc.discover.identify.score): a profile fits when a sysObjectID prefix or a
    sysDescr regex hits and no not_sys_descr regex does; a sysDescr hit outweighs the
    sysObjectID prefix length, and `priority` (vendor profiles 10, generic ones 0-5)
    outweighs both. `oid_present`/`oid_value` are a second way in for devices whose
    sysObjectID names no maker (net-snmp on a Linux appliance; netdoc.discover.identify).
    `extract` regexes with several groups join the groups that matched.
    backup:
      commands: ["show running-config"]
      enable: true               # enter privileged mode when the credential has an enable secret
      end_marker: '^end$'        # regex a complete config must contain
      strip_until: '^!'          # drop lines before the first match (banners, headers)
      volatile: ['^! Last configuration change']   # regexes of whole lines to drop
      secrets:                   # regexes; the named group 'secret' is masked (required)
        - '^ *snmp-server community (?P<secret>\S+)'
      secret_sections:           # rules that hold only inside a section: from a line
        - {begin: '^config system snmp community$', end: '^end$',   # matching begin to the
           secrets: ['^\s*set name "(?P<secret>[^"]+)"']}        # next end line indented
                                 # as far (FortiOS names its SNMP communities `set name`)
      secret_blocks:             # multi-line secrets (keys, certificates): from a line
        - {begin: 'BEGIN .*PRIVATE KEY', end: 'END .*PRIVATE KEY'}  # matching begin to
                                 # one matching end, the lines between are masked as one
      transport: cli             # cli (interactive shell via netmiko, the default) or
                                 # exec (one SSH exec request per command: pfSense, OPNsense)
                                 # or scp (commands are files copied off: APC config.ini)
                                 # or sftp (the same over SFTP: pfSense /conf/config.xml)
                                 # or telnet (netmiko's <driver>_telnet; credentials in clear)
      pager: ['--More--']        # regexes: seen in the cleaned output = truncated, refused
      more_prompts: ['<--- More --->']   # the platform's page-break prompts: answered with a
                                 # space while reading and cut out of the transcript. netdoc
                                 # answers every profile's prompts on every device (a device
                                 # may be backed up under a generic profile); one left in the
                                 # cleaned output means it was cut at a page break: refused
      prompt: '^[\w.-]+ tnsr# ?$'  # the platform's prompt, whatever the host name: also ends
                                 # a command's output and is no config line (the prompt
                                 # netdoc found at login is always used too)
      login:                     # questions some devices ask between SSH login and their
        - {expect: 'Select Menu Number', send: '4'}   # prompt (menu, policy banner, second
                                 # login): answered in any order until a prompt shows;
                                 # send may use {username} and {password}
      reformat: json             # the device prints JSON on one line: re-indent it (key order
                                 # kept) before cleaning, so volatile/secret rules see one
                                 # member per line (Eaton Network-M2/M3 save_configuration)
      facts:                     # context stored in the metadata file, not in the config
        commands: ["show version"]
        version: 'Version ([^ ,]+)'   # regexes on the facts output, first group is the value
        model: '...'
        serial: '...'
      variants:                  # alternative recipes, chosen as `platform: NAME:VARIANT`
        set: {commands: ["show configuration | display set"]}   # keys override the above

This module is the one loader of profile YAML. The `snmp:` section (identification
over SNMP) is checked and parsed here too, by netdoc.platforms.snmp; netdoc.discover
uses the parsed `SnmpRules`. Only `events:` (netdoc listen's message rules) is still
validated by its owner: it registers a parser with `register_section`, and
`SECTION_OWNERS` says which module to import so the parser is always there.
"""
from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from netdoc.errors import ProfileError as ProfileError
from netdoc.platforms.snmp import SnmpRules, parse_snmp_section

PROFILE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class MatchRules:
    sys_object_id: tuple[str, ...] = ()
    sys_descr: tuple[re.Pattern[str], ...] = ()
    not_sys_descr: tuple[re.Pattern[str], ...] = ()
    priority: int = 0
    # OIDs the poller GETs behind a generic agent (netdoc.discover.identify.match_oids): one holds
    oid_present: tuple[str, ...] = ()
    oid_value: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def oid_conditions(self) -> bool:
        return bool(self.oid_present or self.oid_value)


@dataclass(frozen=True)
class BackupRecipe:
    commands: tuple[str, ...] = ()
    enable: bool = False
    end_marker: re.Pattern[str] | None = None
    strip_until: re.Pattern[str] | None = None
    volatile: tuple[re.Pattern[str], ...] = ()
    secrets: tuple[re.Pattern[str], ...] = ()
    secret_blocks: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    transport: str = "cli"
    pager: tuple[re.Pattern[str], ...] = ()
    more_prompts: tuple[re.Pattern[str], ...] = ()  # page-break prompts (see pager_rules)
    login: tuple[tuple[re.Pattern[str], str], ...] = ()   # (question, answer) after login
    # (begin, end, secret rules that hold between them)
    secret_sections: tuple[tuple[re.Pattern[str], re.Pattern[str],
                                 tuple[re.Pattern[str], ...]], ...] = ()
    prompt: re.Pattern[str] | None = None   # the platform's prompt shape (any host name)
    reformat: str = ""            # "" (as printed) or "json" (re-indented before cleaning)
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
    # parsed sections: {"snmp": SnmpRules(...), "events": ...} (see Parsed, Hooked)
    sections: Mapping[str, Any] = field(default_factory=dict)
    parser: str = ""   # the config facts parser (netdoc.facts.PARSERS), "" for none
    structure: str = ""  # hier-config's OS name for section-aware change lines

    @property
    def snmp(self) -> SnmpRules:
        """The `snmp:` section, parsed (empty rules when the profile has none)."""
        rules = self.sections.get("snmp")
        return rules if isinstance(rules, SnmpRules) else SnmpRules()


RANCID_PREFIX = "rancid:"


# ---------------------------------------------------------------- the schema language

class _Invalid(Exception):
    """A value breaks the schema; `at` is its key path inside the profile."""

    def __init__(self, at: str, message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


def _child(at: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{at}[{key}]"
    return f"{at}.{key}" if at else str(key)


def _shown(value: Any) -> str:
    kind = {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "a list", dict: "a mapping", type(None): "nothing"}.get(type(value))
    text = repr(value)
    return f"{kind or type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}" \
        if value is not None else "nothing (an empty value)"


class Kind:
    """One node of the schema: checks a YAML value and returns it in its parsed form."""

    label = "a value"
    many = "values"  # the label of a list of them

    def check(self, value: Any, at: str, source: str) -> Any:
        raise NotImplementedError

    def fail(self, value: Any, at: str) -> _Invalid:
        return _Invalid(at, f"expected {self.label}, got {_shown(value)}")


class Scalar(Kind):
    def __init__(self, types: tuple[type, ...], label: str, many: str) -> None:
        self.types = types
        self.label = label
        self.many = many

    def check(self, value: Any, at: str, source: str) -> Any:
        # YAML's true/false are ints to Python: never accept them as numbers
        if not isinstance(value, self.types) or (isinstance(value, bool) and bool not in self.types):
            raise self.fail(value, at)
        return value


class Named(Kind):
    """A string that is used as a name (no spaces, no ':' which selects a variant)."""

    def __init__(self, pattern: str, label: str, many: str) -> None:
        self.pattern = re.compile(pattern)
        self.label = label
        self.many = many

    def check(self, value: Any, at: str, source: str) -> str:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise self.fail(value, at)
        return value


class Regex(Kind):
    label = "a regular expression (a string)"
    many = "regular expressions (strings)"

    def __init__(self, group: str = "") -> None:
        self.group = group  # a named group every pattern must have
        if group:
            self.label = f"a regular expression with a (?P<{group}>...) group"
            self.many = f"regular expressions, each with a (?P<{group}>...) group"

    def check(self, value: Any, at: str, source: str) -> re.Pattern[str]:
        if not isinstance(value, str):
            raise self.fail(value, at)
        try:
            pattern = re.compile(value, re.MULTILINE)
        except re.error as exc:
            raise _Invalid(at, f"invalid regex {value!r}: {exc}") from None
        if self.group and self.group not in pattern.groupindex:
            raise _Invalid(at, f"regex {value!r} has no (?P<{self.group}>...) group, so it "
                               f"would match without masking anything")
        return pattern


class Choice(Kind):
    def __init__(self, *values: str) -> None:
        self.values = values
        self.label = " or ".join(repr(v) for v in values)

    def check(self, value: Any, at: str, source: str) -> str:
        if value not in self.values:
            raise self.fail(value, at)
        return str(value)


class ListOf(Kind):
    def __init__(self, item: Kind) -> None:
        self.item = item
        self.label = f"a list of {item.many} (write [x] for one)"

    def check(self, value: Any, at: str, source: str) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise self.fail(value, at)
        return tuple(self.item.check(v, _child(at, i), source) for i, v in enumerate(value))


class MapOf(Kind):
    """A mapping with free key names (each a plain name) and values of one kind."""

    def __init__(self, value: Kind) -> None:
        self.value = value
        self.label = f"a mapping of names to {value.label.removeprefix('a ')}"

    def check(self, value: Any, at: str, source: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(value, at)
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or not _NAME.fullmatch(key):
                raise _Invalid(_child(at, str(key)), "expected a plain name as key")
            out[key] = self.value.check(item, _child(at, key), source)
        return out


class Section(Kind):
    """A mapping with known keys, each of its own kind.

    `rest` (optional) is the kind of any other key (e.g. the facts fields); without
    it an unknown key is an error that suggests the closest known one.
    """

    def __init__(self, fields: Mapping[str, Kind], required: tuple[str, ...] = (),
                 rest: Kind | None = None, label: str = "a mapping") -> None:
        self.fields = dict(fields)
        self.required = required
        self.rest = rest
        self.label = label
        self.many = label.replace("a mapping", "mappings", 1)

    def check(self, value: Any, at: str, source: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(value, at)
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = _child(at, str(key))
            kind = self.fields.get(key) if isinstance(key, str) else None
            if kind is None and self.rest is not None and isinstance(key, str) \
                    and _NAME.fullmatch(key):
                kind = self.rest
            if kind is None:
                close = difflib.get_close_matches(str(key), list(self.fields), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else \
                    f"; known keys: {', '.join(sorted(self.fields))}"
                raise _Invalid(where, f"unknown key{hint}")
            out[key] = kind.check(item, where, source)
        for key in self.required:
            if key not in value:
                raise _Invalid(_child(at, key), "required key is missing")
        return out


# A section parsed by another module: parser(value, "FILE: KEY.PATH") -> parsed value,
# raising ProfileError (whose message starts with that "FILE: KEY.PATH") when invalid.
SectionParser = Callable[[Any, str], Any]
_SECTION_PARSERS: dict[str, SectionParser] = {}
# The module that registers each hooked section's parser when it is imported.
SECTION_OWNERS = {"events": "netdoc.listen.rules"}


def register_section(name: str, parser: SectionParser) -> None:
    """Let the module that knows a profile section's keys validate and parse it."""
    _SECTION_PARSERS[name] = parser


class Parsed(Kind):
    """A section parsed by a function of the profile loader's own (netdoc.platforms.*)."""

    label = "a section"

    def __init__(self, parser: SectionParser) -> None:
        self.parser = parser

    def check(self, value: Any, at: str, source: str) -> Any:
        return self.parser(value, f"{source}: {at}")


class Hooked(Kind):
    label = "a section checked by its owner"

    def __init__(self, name: str) -> None:
        self.name = name

    def check(self, value: Any, at: str, source: str) -> Any:
        parser = _SECTION_PARSERS.get(self.name)
        if parser is None:
            owner = SECTION_OWNERS.get(self.name, "")
            if owner:
                importlib.import_module(owner)  # registers on import
                parser = _SECTION_PARSERS.get(self.name)
        if parser is None:
            raise _Invalid(at, "no parser registered for this section (a netdoc bug)")
        return parser(value, f"{source}: {at}")


# ---------------------------------------------------------------- the schema

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
STR = Scalar((str,), "a string", "strings")
OID = Named(r"\.?[0-9]+(?:\.[0-9]+)+", "a numeric OID (1.3.6.1...)", "numeric OIDs")
INT = Scalar((int,), "an integer", "integers")
BOOL = Scalar((bool,), "true or false", "booleans")
REGEX = Regex()
NAME = Named(_NAME.pattern, "a name (letters, digits, _ . + -; no spaces or ':')", "names")
ALIAS = Named(rf"(?:{RANCID_PREFIX})?{_NAME.pattern}",
              f"a name (letters, digits, _ . + -), or {RANCID_PREFIX}TYPE for a RANCID type",
              "names")

# Identification: H6/H7 may add keys here (one line each).
MATCH_SCHEMA = Section({
    "sys_object_id": ListOf(STR),
    "sys_descr": ListOf(REGEX),
    "not_sys_descr": ListOf(REGEX),
    "priority": INT,
    "oid_present": ListOf(OID),
    "oid_value": MapOf(REGEX),  # numeric OID -> regex (keys checked in parse_profile)
})

_RECIPE_FIELDS: dict[str, Kind] = {
    "commands": ListOf(STR),
    "enable": BOOL,
    "end_marker": REGEX,
    "strip_until": REGEX,
    "volatile": ListOf(REGEX),
    "secrets": ListOf(Regex(group="secret")),
    "secret_blocks": ListOf(Section({"begin": REGEX, "end": REGEX}, required=("begin", "end"),
                                    label="a mapping {begin: REGEX, end: REGEX}")),
    "transport": Choice("cli", "exec", "scp", "sftp", "telnet"),
    "pager": ListOf(REGEX),
    "more_prompts": ListOf(REGEX),
    "prompt": REGEX,
    "secret_sections": ListOf(Section(
        {"begin": REGEX, "end": REGEX, "secrets": ListOf(Regex(group="secret"))},
        required=("begin", "end", "secrets"),
        label="a mapping {begin: REGEX, end: REGEX, secrets: [REGEX with (?P<secret>...)]}")),
    "login": ListOf(Section({"expect": REGEX, "send": STR}, required=("expect", "send"),
                            label="a mapping {expect: REGEX, send: TEXT}")),
    "reformat": Choice("json"),
    # `commands` plus any fact name (version, model, serial, ...) -> regex
    "facts": Section({"commands": ListOf(STR)}, rest=REGEX),
}
# A variant replaces some keys of the base recipe; it cannot nest variants.
RECIPE_SCHEMA = Section({**_RECIPE_FIELDS,
                         "variants": MapOf(Section(_RECIPE_FIELDS, label="a recipe mapping"))})

PROFILE_SCHEMA = Section({
    "name": NAME,
    "vendor": STR,
    "os": STR,
    "role": STR,
    "netmiko": STR,
    "aliases": ListOf(ALIAS),
    "match": MATCH_SCHEMA,
    "extract": MapOf(REGEX),
    "roles": ListOf(Section({"sys_descr": REGEX, "role": STR}, required=("sys_descr", "role"),
                            label="a mapping {sys_descr: REGEX, role: ROLE}")),
    "snmp": Parsed(parse_snmp_section),
    "events": Hooked("events"),  # netdoc listen: config/link change messages
    "backup": RECIPE_SCHEMA,
    "parser": NAME,
    "structure": Choice("ios", "iosxe", "iosxr", "nxos", "eos"),
}, required=("name",))


# ---------------------------------------------------------------- building profiles

def _recipe(body: dict[str, Any], base: dict[str, Any] | None = None) -> BackupRecipe:
    data = {**(base or {}), **body}
    facts = dict(data.get("facts") or {})
    return BackupRecipe(
        commands=data.get("commands", ()),
        enable=data.get("enable", False),
        end_marker=data.get("end_marker"),
        strip_until=data.get("strip_until"),
        volatile=data.get("volatile", ()),
        secrets=data.get("secrets", ()),
        secret_blocks=tuple((b["begin"], b["end"]) for b in data.get("secret_blocks", ())),
        transport=data.get("transport", "cli"),
        pager=data.get("pager", ()),
        more_prompts=data.get("more_prompts", ()),
        login=tuple((step["expect"], step["send"]) for step in data.get("login", ())),
        prompt=data.get("prompt"),
        secret_sections=tuple((section["begin"], section["end"], tuple(section["secrets"]))
                              for section in data.get("secret_sections", ())),
        reformat=data.get("reformat", ""),
        facts_commands=facts.pop("commands", ()),
        facts=facts,
        # a variant is the base recipe with some keys replaced
        variants={name: _recipe(variant, {k: v for k, v in data.items() if k != "variants"})
                  for name, variant in (body.get("variants") or {}).items()} if base is None
        else {})


def parse_profile(data: Any, source: str) -> Profile:
    """Check one profile's YAML data against the schema and build the Profile."""
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: expected a mapping of profile keys, got {_shown(data)}")
    try:
        body = PROFILE_SCHEMA.check(data, "", source)
    except _Invalid as exc:
        raise ProfileError(f"{source}: {exc.at}: {exc.message}") from None
    match = body.get("match", {})
    for oid in match.get("oid_value", {}):
        if not OID.pattern.fullmatch(oid):
            raise ProfileError(f"{source}: match.oid_value.{oid}: expected a numeric OID "
                               f"(1.3.6.1...) as key")
    return Profile(
        name=body["name"],
        vendor=body.get("vendor", ""),
        os=body.get("os", ""),
        role=body.get("role", "unknown"),
        netmiko=body.get("netmiko", ""),
        aliases=body.get("aliases", ()),
        match=MatchRules(sys_object_id=match.get("sys_object_id", ()),
                         sys_descr=match.get("sys_descr", ()),
                         not_sys_descr=match.get("not_sys_descr", ()),
                         priority=match.get("priority", 0),
                         oid_present=tuple(o.strip(".") for o in match.get("oid_present", ())),
                         oid_value=tuple((o.strip("."), r) for o, r in
                                         match.get("oid_value", {}).items())),
        extract=body.get("extract", {}),
        roles=tuple((r["sys_descr"], r["role"]) for r in body.get("roles", ())),
        backup=_recipe(body["backup"]) if body.get("backup") is not None else None,
        source=source,
        sections={name: body[name] for name in _hooked_sections() if name in body},
        parser=body.get("parser", ""), structure=body.get("structure", ""))


def _hooked_sections() -> list[str]:
    return [key for key, kind in PROFILE_SCHEMA.fields.items()
            if isinstance(kind, (Hooked, Parsed))]


SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_profile(path: Path) -> Profile:
    try:
        # libyaml's safe loader where PyYAML has it: 370 profiles load in 0.08 s of CPU
        # instead of 0.55 s, which every discover and backup pays at start-up
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path.name}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise ProfileError(f"{path.name}: cannot read: {exc.strerror}") from None
    return parse_profile(data, path.name)


@lru_cache(maxsize=1)
def load_profiles() -> dict[str, Profile]:
    """Every profile in PROFILE_DIR, each fully checked; names and aliases unique."""
    profiles: dict[str, Profile] = {}
    owner: dict[str, Profile] = {}  # lower-case name or alias -> profile
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        profile = read_profile(path)
        if profile.name in profiles:
            raise ProfileError(f"{path.name}: duplicate profile name {profile.name!r} "
                               f"(also in {profiles[profile.name].source})")
        profiles[profile.name] = profile
        for key in (profile.name, *profile.aliases):
            other = owner.get(key.lower())
            if other is not None and other is not profile:
                raise ProfileError(f"{path.name}: aliases: {key!r} already names profile "
                                   f"{other.name!r} ({other.source}); a platform name must "
                                   f"point at one profile")
            owner[key.lower()] = profile
    return profiles


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Profile]:
    index = {}
    for profile in load_profiles().values():
        for key in (profile.name, *profile.aliases):
            index[key.lower()] = profile
    return index


def profile_named(name: str) -> Profile | None:
    """Look a platform up by netdoc profile name, alias (Oxidized model names among them)
    or netmiko device_type (when exactly one profile uses that driver); case does not
    matter."""
    profiles = load_profiles()
    if name in profiles:
        return profiles[name]
    found = _by_name().get(name.lower())
    if found is not None:
        return found
    drivers = profiles_with_driver(name)
    return drivers[0] if len(drivers) == 1 else None


def profiles_with_driver(device_type: str) -> list[Profile]:
    """The profiles whose `netmiko:` driver is `device_type` (`generic` serves many)."""
    return [p for p in load_profiles().values()
            if p.netmiko and p.netmiko.lower() == device_type.lower()]


def profile_for_rancid_type(device_type: str) -> Profile | None:
    """The profile for a RANCID router.db device type (its `rancid:TYPE` alias)."""
    return _by_name().get((RANCID_PREFIX + device_type).lower())


@dataclass(frozen=True)
class PagerRules:
    """Every profile's page-break prompts (`backup.more_prompts`), combined.

    at_end: a prompt ending what the device sent so far: answer it with a space.
    remnant: a prompt inside a transcript line, with the blanks around it: cut it out.
    left: a prompt still in a cleaned configuration: it was cut at a page break."""

    at_end: re.Pattern[str]
    remnant: re.Pattern[str]
    left: re.Pattern[str]

    @classmethod
    def of(cls, profiles: Iterable[Profile]) -> PagerRules:
        found: dict[str, None] = {}
        for profile in profiles:
            recipes = [profile.backup, *profile.backup.variants.values()] \
                if profile.backup else []
            for recipe in recipes:
                found.update((p.pattern, None) for p in recipe.more_prompts)
        # the long prompts first: "--More--" alone must not leave the rest of a longer one
        union = "|".join(f"(?:{p})" for p in sorted(found, key=lambda p: (-len(p), p))) \
            or r"(?!)"
        return cls(at_end=re.compile(rf"(?:{union})\s*$", re.IGNORECASE),
                   remnant=re.compile(rf"\s*(?:{union})\s*", re.IGNORECASE),
                   left=re.compile(union, re.IGNORECASE))


@lru_cache(maxsize=1)
def pager_rules() -> PagerRules:
    """The pager rules of all profiles: a device is paged the way its maker pages, and
    it may be backed up under another (generic) profile, so every prompt is known."""
    return PagerRules.of(load_profiles().values())


def platform_names() -> list[str]:
    """Every name `platform:` accepts: profile names, aliases and profiles' netmiko types."""
    names = set()
    for profile in load_profiles().values():
        names.add(profile.name)
        names.update(a for a in profile.aliases if not a.startswith(RANCID_PREFIX))
        if profile.netmiko and profile_named(profile.netmiko) is profile:
            names.add(profile.netmiko)  # a driver several profiles share names none of them
    return sorted(names)
