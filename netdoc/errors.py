"""One exception tree for netdoc.

Every message is written for the technician reading it: it names what failed,
where (file, key, device, client) and, where we can tell, what to do about it.
"""
from __future__ import annotations


class NetdocError(Exception):
    """Root of every error netdoc raises on purpose."""

    exit_code = 1


class ConfigError(NetdocError):
    """netdoc.yaml is missing, unreadable or invalid. Nothing has run yet."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None,
                 line: int | None = None) -> None:
        self.path = path
        self.key = key
        self.line = line
        where = path or "configuration"
        if line is not None:
            where += f":{line}"
        if key:
            where += f": {key}"
        super().__init__(f"{where}: {message}")


class SecretError(ConfigError):
    """A secret reference (env:, file:, vault:) could not be resolved."""


class UsageError(NetdocError):
    """The command line was wrong."""

    exit_code = 2


class LabError(NetdocError):
    """The site lab could not be built, inspected or removed."""

    exit_code = 2


class DeviceError(NetdocError):
    """One device failed; the run carries on with the others."""

    def __init__(self, host: str, message: str) -> None:
        self.host = host
        self.reason = message
        super().__init__(f"{host}: {message}")


class SnmpError(DeviceError):
    """An SNMP conversation with one device failed."""


class SnmpTimeout(SnmpError):
    """The agent did not answer (host down, no SNMP, or wrong community: v2c cannot tell)."""


class SnmpAuthError(SnmpError):
    """The agent refused our SNMPv3 user, key or protocol."""


class BackupError(DeviceError):
    """Fetching or storing one device's configuration failed."""


class HostKeyChanged(BackupError):
    """The device's SSH host key differs from the one remembered for it."""


class StoreError(NetdocError):
    """An output folder or git repository could not be written."""
