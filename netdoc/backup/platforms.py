"""From a device's `platform` to how it is backed up: profile, recipe, netmiko driver.

`platform` (netdoc.yaml or the inventory) may be a netdoc profile name, an alias
(among them the Oxidized model names, so an Oxidized router.db maps one to one), or a
netmiko device_type, optionally followed by `:VARIANT` to pick one of the profile's
`backup.variants` (e.g. `juniper_junos:set` for set-format configs).

A platform netdoc does not know fails that device alone, before any connection,
with the closest known names and where to look (`platform_problem`, `netdoc
platforms`); `netdoc check` reports the same message for every seeded device.
"""
from __future__ import annotations

import argparse
import difflib
from dataclasses import dataclass
from typing import Any, Callable

from netdoc.errors import BackupError
from netdoc.platforms import (PROFILE_DIR, RANCID_PREFIX, BackupRecipe, Profile, load_profiles,
                             platform_names, profile_for_rancid_type, profile_named,
                             profiles_with_driver)


@dataclass(frozen=True)
class Plan:
    profile: Profile
    recipe: BackupRecipe
    driver: str       # netmiko device_type
    variant: str = ""

    @property
    def platform(self) -> str:
        return self.profile.name + (f":{self.variant}" if self.variant else "")


def resolve(platform: str) -> tuple[Profile | None, str, str]:
    """(profile, the name that found it, variant) for a `platform:` value.

    A whole name wins over NAME:VARIANT, so `rancid:cisco` (a RANCID type alias) works.
    """
    whole = profile_named(platform)
    if whole is not None:
        return whole, platform, ""
    name, _, variant = platform.partition(":")
    return profile_named(name), name, variant


def plan_for(host: str, platform: str, default_variants: dict[str, str] | None = None) -> Plan:
    profile, name, variant = resolve(platform)
    if profile is None:
        raise BackupError(host, _unknown(name))
    if profile.backup is None:
        raise BackupError(host, _no_recipe(profile))
    variant = variant or (default_variants or {}).get(profile.name, "")
    recipe = profile.backup
    if variant:
        if variant not in recipe.variants:
            raise BackupError(host, f"platform {profile.name!r} has no variant {variant!r}; "
                                    f"known: {', '.join(sorted(recipe.variants)) or 'none'}")
        recipe = recipe.variants[variant]
    driver = name if _is_netmiko_type(name) else profile.netmiko
    if not driver:
        raise BackupError(host, f"profile {profile.name!r} names no netmiko driver (netmiko:)")
    return Plan(profile=profile, recipe=recipe, driver=driver, variant=variant)


def platform_problem(platform: str) -> str | None:
    """Why a `platform:` value cannot be backed up, or None when it can."""
    profile, name, variant = resolve(platform)
    if profile is None:
        return _unknown(name)
    if profile.backup is None:
        return _no_recipe(profile)
    if variant and variant not in profile.backup.variants:
        return (f"platform {profile.name!r} has no variant {variant!r}; "
                f"known: {', '.join(sorted(profile.backup.variants)) or 'none'}")
    return None


def is_netmiko_type(name: str) -> bool:
    """A netmiko SSH device_type (telnet ones are not used)."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    return name in CLASS_MAPPER and not name.endswith("_telnet")


_is_netmiko_type = is_netmiko_type


def _no_recipe(profile: Profile) -> str:
    return (f"platform {profile.name!r} has no backup recipe yet; add a backup: section to "
            f"netdoc/platforms/{profile.source}")


def _unknown(name: str) -> str:
    shared = [p.name for p in profiles_with_driver(name) if p.backup is not None]
    if len(shared) > 1:
        return (f"netmiko device_type {name!r} is the driver of several netdoc platforms "
                f"({', '.join(sorted(shared)[:8])}{', ...' if len(shared) > 8 else ''}); "
                f"set the platform itself")
    if _is_netmiko_type(name):
        return (f"netmiko knows device_type {name!r} but no netdoc profile backs it up; add a "
                f"profile with `netmiko: {name}` and a backup: section")
    hints = []
    rancid = profile_for_rancid_type(name)
    if rancid is not None:  # a RANCID router.db type written as a platform
        hints.append(f"RANCID type {name!r} is platform {rancid.name!r}")
    close = suggestions(name)
    if close:
        hints.append("did you mean " + ", ".join(repr(c) for c in close) + "?")
    return (f"unknown platform {name!r}" + (f" ({'; '.join(hints)})" if hints else "") +
            "; set platform: to a netdoc profile name or alias (Oxidized model names such as "
            "ios, aoscx, fortios are aliases) or a netmiko device_type: `netdoc platforms` "
            f"lists them (the name: and aliases: of {PROFILE_DIR}/*.yaml), or leave platform: "
            "out for SSH autodetection")


def suggestions(name: str, limit: int = 3) -> list[str]:
    """The known platform names closest to `name` (profile names first among equals)."""
    names = platform_names()
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.7)
    contained = [n for key, n in lowered.items()
                 if len(name) >= 3 and (name.lower() in key or key in name.lower())
                 and n not in close]
    found = [lowered[c] for c in close] + sorted(contained, key=len)
    profiles = load_profiles()
    # show what each alias stands for: 'aosw' -> 'aosw (aruba_aos)'
    out: list[str] = []
    shown: set[str] = set()  # one suggestion per profile
    for candidate in found:
        profile = profile_named(candidate)
        owner = profile.name if profile is not None else candidate
        if owner in shown:
            continue
        shown.add(owner)
        out.append(candidate if profile is None or profile.name == candidate or
                   candidate in profiles else f"{candidate} ({profile.name})")
        if len(out) == limit:
            break
    return out


def platform_rows() -> list[dict[str, str]]:
    """One row per profile for `netdoc platforms`: name, vendor/os, backup, aliases."""
    rows = []
    for profile in sorted(load_profiles().values(), key=lambda p: p.name):
        aliases = [a for a in profile.aliases if not a.startswith(RANCID_PREFIX)]
        rancid = [a[len(RANCID_PREFIX):] for a in profile.aliases if a.startswith(RANCID_PREFIX)]
        rows.append({"name": profile.name, "vendor": profile.vendor, "os": profile.os,
                     "backup": "yes" if profile.backup is not None else "no",
                     "netmiko": profile.netmiko, "aliases": ", ".join(aliases),
                     "rancid": ", ".join(rancid)})
    return rows


def platform_warnings(config: Any, client_filter: str | None = None) -> list[str]:
    """For `netdoc check`: every seeded device whose platform: cannot be backed up."""
    warnings = []
    for client in config.selected_clients(client_filter):
        for site in client.sites:
            for device in site.devices:
                problem = platform_problem(device.platform) if device.platform else None
                if problem and device.backup:
                    warnings.append(f"client {client.name}, site {site.name}, device "
                                    f"{device.name or device.host}: {problem}")
    return warnings


Command = Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]


def add_platforms_command(command: Command) -> None:
    command("platforms", "List the platform names platform: accepts: netdoc profiles, their "
                         "aliases (Oxidized model names) and RANCID types.", platforms_command)


def platforms_command(args: argparse.Namespace) -> int:
    from netdoc.app.output import emit

    rows = platform_rows()
    lines = [f"{'platform':<24} {'backup':<6} {'vendor / os':<32} aliases (RANCID types)"]
    for row in rows:
        rancid = f" (rancid: {row['rancid']})" if row["rancid"] else ""
        lines.append(f"{row['name']:<24} {row['backup']:<6} "
                     f"{(row['vendor'] + ' ' + row['os']).strip()[:32]:<32} "
                     f"{row['aliases']}{rancid}")
    lines.append(f"{len(rows)} profiles in {PROFILE_DIR}; a netmiko device_type is accepted "
                 f"too (the profile with that netmiko: driver)")
    emit(args, rows, "\n".join(lines))
    return 0
