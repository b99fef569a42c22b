"""`netdoc check` warnings for backups that send credentials in clear (telnet)."""
from __future__ import annotations

from typing import Any

from netdoc.backup.transport import telnet_driver


def cleartext_warnings(config: Any, client_filter: str | None = None) -> list[str]:
    """Every seeded device backed up over telnet (its seed's `transport: telnet`, or a
    profile whose recipe says so): the login and enable secret cross the network
    readable by anyone on the path. Also: a telnet device whose driver has no telnet
    class in netmiko (it would fail at every run)."""
    from netdoc.backup.platforms import plan_for
    from netdoc.errors import BackupError

    warnings = []
    for client in config.selected_clients(client_filter):
        for site in client.sites:
            for device in site.devices:
                if not device.backup or device.exclude:
                    continue
                plan = None
                if device.platform:
                    try:
                        plan = plan_for(device.host, device.platform, client.backup_variants)
                    except BackupError:
                        plan = None  # platform_warnings names that problem
                transport = device.transport or (plan.recipe.transport if plan else "")
                if transport != "telnet":
                    continue
                label = f"client {client.name}, site {site.name}, device " \
                        f"{device.name or device.host}"
                warnings.append(f"{label}: backed up over telnet, which sends the username, "
                                f"password and enable secret in clear; use SSH wherever the "
                                f"device offers it")
                if plan is not None and not telnet_driver(plan.driver):
                    warnings.append(f"{label}: netmiko has no telnet driver for "
                                    f"{plan.driver!r}; this platform can only be backed up "
                                    f"over SSH")
                elif plan is None:
                    warnings.append(f"{label}: telnet needs a platform: (autodetection "
                                    f"works over SSH only)")
    return warnings
