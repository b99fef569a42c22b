"""Which devices a client's backup covers, and how to reach each.

SSH credentials go only where they belong. Devices: every device listed in
netdoc.yaml, plus - only when a site opts in with
`backup: {discover: true, platforms: [...]}` - the devices discovery found and
identified as one of those platforms. Anything else on the LAN that merely
answers SNMP like a switch gets no credential. A netdoc.yaml entry wins over
the inventory: it can rename a device, force its platform (a netdoc profile
name or a netmiko device_type, optionally `:VARIANT`), give its SSH port and
credentials, or leave it out (`backup: false`/`exclude: true`).
"""
from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field, replace

from netdoc.config import Client, Config, CredentialSet, DeviceSeed, Site, SshCredential
from netdoc.models import Device
from netdoc.textsafe import NAME_LIMIT, bounded_name, clean

log = logging.getLogger("netdoc.backup")

BACKUP_ROLES = ("router", "switch", "firewall", "wireless")


@dataclass(frozen=True)
class BackupTarget:
    client: str
    site: str
    host: str
    name: str                      # file name stem: configured name, hostname, else IP
    platform: str = ""             # as configured or discovered; "" = autodetect
    port: int = 22
    transport: str = ""            # "" = the profile's; "telnet" from the seed
    credentials: tuple[CredentialSet, ...] = ()
    device: Device | None = field(default=None, compare=False)

    @property
    def path(self) -> str:
        """Where its config lives in the client's repository, without suffix."""
        return f"{safe_name(self.site)}/{safe_name(self.name)}"

    @property
    def label(self) -> str:
        return f"{self.site}/{self.name}" + (f" ({self.host})" if self.name != self.host else "")

    def ssh_credentials(self) -> list[tuple[str, SshCredential]]:
        return [(c.name, c.ssh) for c in self.credentials if c.ssh is not None]


def safe_name(text: str) -> str:
    """A file-name-safe version of a device or site name (no slashes, no dot-files);
    a long one is cut and ends in a hash of the whole, so it stays unique."""
    return bounded_name(text, 120)


def backup_targets(config: Config, client: Client) -> list[BackupTarget]:
    inventory = _inventory_devices(config, client)
    targets: list[BackupTarget] = []
    for site in client.sites:
        discovered = {d.mgmt_ip: d for d in inventory
                      if d.site == site.name and d.role in BACKUP_ROLES and d.mgmt_ip}
        # keyed by address and port: two seeds may share an address (port forwards)
        entries: dict[tuple[str, int], tuple[DeviceSeed | None, Device | None]] = {}
        for seed in site.devices:
            entries[(seed.host, seed.ssh_port)] = (seed, discovered.get(seed.host))
        seeded = {seed.host for seed in site.devices}
        for ip, device in discovered.items():
            if ip not in seeded and opted_in(site, device):
                entries[(ip, 22)] = (None, device)
        for (host, _), (known_seed, known_device) in sorted(
                entries.items(), key=lambda e: (ipaddress.IPv4Address(e[0][0]), e[0][1])):
            if not _left_out(site, host, known_seed):
                targets.append(_target(config, client, site, host, known_seed, known_device))
    from netdoc.app.selection import selected  # `netdoc backup DEVICE...` names a few

    return [t for t in _unique_paths(targets) if selected(t.name, t.host, t.path)]


def opted_in(site: Site, device: Device) -> bool:
    """A discovered, unlisted device is backed up only with the site's explicit opt-in
    for its platform (`backup: {discover: true, platforms: [...]}`)."""
    if not site.backup_discover or not device.platform:
        return False
    return device.platform.split(":", 1)[0] in {p.split(":", 1)[0]
                                                 for p in site.backup_platforms}


def _unique_paths(targets: list[BackupTarget]) -> list[BackupTarget]:
    """Two devices with one name (a cloned hostname) must not share a file."""
    seen: set[str] = set()
    unique = []
    for target in targets:
        if target.path.lower() in seen:
            target = replace(target, name=f"{target.name}_{target.host}_{target.port}")
        seen.add(target.path.lower())
        unique.append(target)
    return unique


def _left_out(site: Site, host: str, seed: DeviceSeed | None) -> bool:
    if seed is not None and (seed.exclude or not seed.backup):
        return True
    address = ipaddress.IPv4Address(host)
    return any(address in network for network in site.exclude)


def _target(config: Config, client: Client, site: Site, host: str, seed: DeviceSeed | None,
            device: Device | None) -> BackupTarget:
    names = (seed.credentials if seed and seed.credentials else site.credentials)
    return BackupTarget(
        client=client.name, site=site.name, host=host,
        name=(seed.name if seed and seed.name else "")
        or (clean(device.hostname, NAME_LIMIT) if device else "") or host,
        platform=(seed.platform if seed and seed.platform else "")
        or (device.platform if device else ""),
        port=(seed.telnet_port if seed.transport == "telnet" else seed.ssh_port) if seed
        else 22,
        transport=seed.transport if seed and seed.transport != "ssh" else "",
        credentials=tuple(config.credentials[n] for n in names if n in config.credentials),
        device=device)


def _inventory_devices(config: Config, client: Client) -> list[Device]:
    """The client's inventoried devices; none when discovery has not run yet."""
    from netdoc.inventory.store import load_devices

    folder = config.inventory_dir(client.name)
    if not folder.exists():
        return []
    try:
        return list(load_devices(folder, present_only=True))
    except Exception as exc:  # noqa: BLE001 - a broken inventory must not stop backups
        log.warning("%s: cannot read the inventory in %s (%s); backing up the devices listed "
                    "in netdoc.yaml only", client.name, folder, exc)
        return []
