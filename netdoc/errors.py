"""One exception tree for netdoc.

Every message is written for the technician reading it: it names what failed,
where (file, key, device, client) and, where we can tell, what to do about it.

Exit codes live here and nowhere else: each class carries the code the command
line returns when it ends a command (`netdoc` maps an error to its exit code by
type, never by message). The README's "Exit codes" table lists the same codes.
"""
from __future__ import annotations

EXIT_OK = 0           # all well
EXIT_DEVICES = 1      # the run finished, some devices failed
EXIT_USAGE = 2        # command line or configuration wrong: nothing ran
EXIT_LOCKED = 3       # another run holds the client's lock
EXIT_ENVIRONMENT = 4  # this machine is not ready: permissions, a missing tool
EXIT_STAGE = 5        # a whole stage failed (not one device)
EXIT_TERMINATED = 143  # SIGTERM: the run stopped early, its report is written


class NetdocError(Exception):
    """Root of every error netdoc raises on purpose."""

    exit_code = EXIT_DEVICES

    @property
    def kind(self) -> str:
        """A stable name for programs (`--json` errors): the class name."""
        return self.__class__.__name__


class ConfigError(NetdocError):
    """netdoc.yaml is missing, unreadable or invalid. Nothing has run yet."""

    exit_code = EXIT_USAGE

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


class ProfileError(NetdocError):
    """A platform profile file is broken (a netdoc bug, not a user error); the message
    names the file and the key path."""


class UsageError(NetdocError):
    """The command line was wrong."""

    exit_code = EXIT_USAGE


class LockHeld(NetdocError):
    """Another netdoc run is working on this client (its lock is held)."""

    exit_code = EXIT_LOCKED


class EnvironmentProblem(NetdocError):
    """This machine is not ready: a permission is missing, a tool is not installed."""

    exit_code = EXIT_ENVIRONMENT


class StageFailed(NetdocError):
    """A whole stage failed for a client (not one device)."""

    exit_code = EXIT_STAGE


class LabError(EnvironmentProblem):
    """The site lab could not be built, inspected or removed."""


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


class SnmpPortClosed(SnmpTimeout):
    """Nothing listens on the agent's UDP port (the host said port unreachable): another
    credential or a smaller request will not get an answer either."""

    def __init__(self, host: str, message: str, *, port: int) -> None:
        self.port = port
        super().__init__(host, message)


class SnmpBudgetSpent(SnmpTimeout):
    """The device's SNMP time budget (discovery.snmp.device_budget) is used up."""

    def __init__(self, host: str, message: str, *, budget: float) -> None:
        self.budget = budget
        super().__init__(host, message)


class SnmpAuthError(SnmpError):
    """The agent refused our SNMPv3 user, key or protocol."""


class SnmpWrongDigest(SnmpAuthError):
    """The agent reported wrongDigests: our SNMPv3 auth key or auth protocol is wrong."""


class SnmpPrivacyError(SnmpAuthError):
    """The agent answers our SNMPv3 user unencrypted but ignores encrypted requests: the
    privacy key or privacy protocol is wrong."""


class BackupError(DeviceError):
    """Fetching or storing one device's configuration failed."""


class SshUnreachable(BackupError):
    """No TCP connection to the device's SSH (or telnet) port: down, wrong port, filtered."""

    def __init__(self, host: str, message: str, *, port: int) -> None:
        self.port = port
        super().__init__(host, message)


class SshNoPrompt(BackupError):
    """The login started but the device's prompt never came back in time."""


class SessionClosed(BackupError):
    """The device closed the session (or it was cut off) before all output was read."""


class HostKeyChanged(BackupError):
    """The device's SSH host key differs from the one remembered for it."""


class StoreError(EnvironmentProblem):
    """An output folder or git repository could not be written."""
