"""Secret references: how netdoc.yaml points at a password without holding it.

    env:NAME        the environment variable NAME
    file:PATH       the first line of PATH (which must not be world-readable)
    vault:CLIENT/N  entry N of CLIENT's encrypted vault (see `netdoc vault`)
    anything else   a plaintext secret: accepted, with a warning naming the key

A `Secret` never shows its value in repr/str, so it cannot leak into a log line
or an exception message by accident; call `reveal()` where the value is needed.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from netdoc.errors import SecretError

SCHEMES = ("env", "file", "vault")

# Filled in by the vault module so this module needs no crypto imports.
VaultResolver = Callable[[str, str], str]
_vault_resolver: VaultResolver | None = None
# Where `vault:` references are looked up: set by netdoc.config.parse_config from the
# netdoc.yaml loaded last, read by netdoc.vault (so config never imports the vault).
_vault_folders: tuple[Path | None, Path | None] = (None, None)
VAULT_PLUGIN = "netdoc.vault"  # imported on the first vault: reference; it registers itself


def register_vault_resolver(resolver: VaultResolver) -> None:
    global _vault_resolver
    _vault_resolver = resolver


def use_vault_folders(vault_dir: Path | None, keys_dir: Path | None = None) -> None:
    """Point `vault:` references at these folders (environment variables still win)."""
    global _vault_folders
    _vault_folders = (vault_dir, keys_dir)


def vault_folders() -> tuple[Path | None, Path | None]:
    return _vault_folders


@dataclass(frozen=True)
class Secret:
    reference: str
    key: str = ""  # the config key path it came from, for messages
    _plain: str | None = field(default=None, repr=False, compare=False)

    @property
    def scheme(self) -> str:
        head, sep, _ = self.reference.partition(":")
        return head if sep and head in SCHEMES else "plain"

    @property
    def is_plaintext(self) -> bool:
        return self.scheme == "plain"

    def reveal(self) -> str:
        if self._plain is not None:
            remember_secret(self._plain)
            return self._plain
        return resolve(self.reference, self.key)

    def __repr__(self) -> str:
        if self.is_plaintext:
            return "Secret(<plaintext>)"
        return f"Secret({self.reference!r})"

    __str__ = __repr__


# Every secret value netdoc has revealed in this process. Logs, reports and
# error messages pass through redact() so none of them can carry one.
_revealed: set[str] = set()
MIN_REDACTED_LENGTH = 3


def redact(text: str) -> str:
    for value in sorted(_revealed, key=len, reverse=True):
        text = text.replace(value, "*****")
    return text


def remember_secret(value: str) -> None:
    if len(value) >= MIN_REDACTED_LENGTH:
        _revealed.add(value)


def resolve(reference: str, key: str = "") -> str:
    value = _resolve(reference, key)
    remember_secret(value)
    return value


def _resolve(reference: str, key: str) -> str:
    scheme, _, rest = reference.partition(":")
    if scheme == "env":
        value = os.environ.get(rest)
        if value is None:
            raise SecretError(f"environment variable {rest!r} is not set "
                              f"(referenced as {reference!r})", key=key)
        return value
    if scheme == "file":
        return _read_secret_file(Path(rest), reference, key)
    if scheme == "vault":
        client, _, name = rest.partition("/")
        if not client or not name:
            raise SecretError(f"{reference!r} is not a vault reference; expected vault:CLIENT/NAME",
                              key=key)
        if _vault_resolver is None:
            import importlib

            try:  # the vault is a plugin of this module: load it on first use
                importlib.import_module(VAULT_PLUGIN)
            except ImportError as exc:
                raise SecretError(f"{reference!r} needs the vault, which cannot be loaded "
                                  f"({exc})", key=key) from None
        if _vault_resolver is None:
            raise SecretError(f"{reference!r} needs the vault, which is not available", key=key)
        return _vault_resolver(client, name)
    return reference


# Files that hold the machine's own credentials: never a netdoc secret, whatever
# netdoc.yaml says (a typo or a hostile edit must not ship them to a device).
SYSTEM_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
                "/etc/security/opasswd", "/etc/sudoers", "/etc/master.passwd",
                "/etc/krb5.keytab")
SYSTEM_PATTERNS = ("/etc/ssh/ssh_host_*", "/etc/ssl/private/*", "/root/.ssh/*",
                   "/home/*/.ssh/*", "/proc/*", "/sys/*", "/dev/*", "/run/secrets/*",
                   "/var/lib/sss/*", "/etc/sudoers.d/*")


def refuse_system_file(path: Path) -> None:
    """SecretError when `path` is one of the system's own credential files."""
    import fnmatch

    candidates = {str(path)}
    try:
        candidates.add(str(path.resolve()))
    except OSError:
        pass
    for text in candidates:
        if text in SYSTEM_FILES or any(fnmatch.fnmatch(text, p) for p in SYSTEM_PATTERNS):
            raise SecretError(f"file:{path} is a system credential file; netdoc never sends it "
                              f"anywhere. Put the secret in a file of its own (chmod 600)")


def _read_secret_file(path: Path, reference: str, key: str) -> str:
    refuse_system_file(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretError(f"secret file {str(path)!r} does not exist (referenced as {reference!r})",
                          key=key) from None
    except PermissionError:
        raise SecretError(f"secret file {str(path)!r} cannot be read by this user", key=key) from None
    if mode & stat.S_IROTH:
        raise SecretError(f"secret file {str(path)!r} is readable by everyone; "
                          f"run: chmod o-rwx {path}", key=key)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"secret file {str(path)!r} cannot be read: {exc.__class__.__name__}",
                          key=key) from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise SecretError(f"secret file {str(path)!r} is empty", key=key)
    return lines[0]
