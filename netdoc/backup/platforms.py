"""From a device's `platform` to how it is backed up: profile, recipe, netmiko driver.

`platform` (netdoc.yaml or the inventory) may be a netdoc profile name, an alias,
or a netmiko device_type, optionally followed by `:VARIANT` to pick one of the
profile's `backup.variants` (e.g. `juniper_junos:set` for set-format configs).
"""
from __future__ import annotations

from dataclasses import dataclass

from netdoc.errors import BackupError
from netdoc.profiles import BackupRecipe, Profile, load_profiles, profile_named


@dataclass(frozen=True)
class Plan:
    profile: Profile
    recipe: BackupRecipe
    driver: str       # netmiko device_type
    variant: str = ""

    @property
    def platform(self) -> str:
        return self.profile.name + (f":{self.variant}" if self.variant else "")


def plan_for(host: str, platform: str, default_variants: dict[str, str] | None = None) -> Plan:
    name, _, variant = platform.partition(":")
    profile = profile_named(name)
    if profile is None:
        raise BackupError(host, _unknown(name))
    if profile.backup is None:
        raise BackupError(host, f"platform {profile.name!r} has no backup recipe yet; add a "
                                f"backup: section to netdoc/profiles/{profile.source}")
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


def _is_netmiko_type(name: str) -> bool:
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    return name in CLASS_MAPPER and not name.endswith("_telnet")


def _unknown(name: str) -> str:
    known = sorted(p.name for p in load_profiles().values() if p.backup is not None)
    if _is_netmiko_type(name):
        return (f"netmiko knows device_type {name!r} but no netdoc profile backs it up; add a "
                f"profile with `netmiko: {name}` and a backup: section")
    return (f"unknown platform {name!r}; use a netdoc profile name ({', '.join(known)}) or a "
            f"netmiko device_type, or leave it out for autodetection")
