"""What every part of the vault shares: its error, its names and where its files live.

Layout (all owner-only):

    <vault dir>/<client>.vault              the client's encrypted entries
    <vault dir>/.<client>.lock              serialises writers (flock)
    <vault dir>/backups/<client>-<UTC>.vault  the previous vault, kept by `rotate`
    <keys dir>/<client>.key                 the client's key (one line, base64)

The vault folder holds only ciphertext, so it may be copied or synced; keys
live apart (by default in the user's ~/.config/netdoc/keys) so that each
technician holds the keys of exactly the clients they serve.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from netdoc.errors import SecretError

ENV_VAULT_DIR = "NETDOC_VAULT_DIR"
ENV_KEYS_DIR = "NETDOC_VAULT_KEYS_DIR"
ENV_KEY_PREFIX = "NETDOC_VAULT_KEY_"
SYSTEMD_CREDENTIAL_PREFIX = "netdoc-vault-"
SHARED_CLIENT = "_shared"  # the MSP-wide vault, for credentials that really are shared

_ENTRY_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,127}$")


class VaultError(SecretError):
    """A vault could not be opened, read or changed.

    `where` is the vault file and `subject` the client or `client/entry`, so the
    message names both. Messages avoid ": " because netdoc.config.verify_secrets
    re-wraps secret errors by splitting on it.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, subject: str = "") -> None:
        self.subject = subject
        self.reason = message
        super().__init__(message, path=str(path) if path is not None else None,
                         key=subject or None)


class VaultKeyMissing(VaultError):
    """No key for the client in the environment, systemd credentials or key folder."""


class VaultKeyMismatch(VaultError):
    """The key found is not the one the vault was sealed with (wrong client, or rotated)."""


class VaultDamaged(VaultError):
    """The vault file is truncated, edited or otherwise fails its integrity check."""


class VaultEntryMissing(VaultError):
    """The vault opened but holds no entry of that name."""


def check_client_name(client: str) -> str:
    """The same rule netdoc.yaml applies to client names, so every client can have a vault."""
    if not client or any(ch in client for ch in "/\\\0") or client.startswith(".") \
            or client != client.strip():
        raise VaultError(f"invalid client name {client!r}; use letters, digits, '-', '_' "
                         f"(the shared vault is {SHARED_CLIENT!r})")
    return client


def check_entry_name(client: str, name: str) -> str:
    if not _ENTRY_NAME.match(name):
        raise VaultError(f"invalid entry name {name!r}; use up to 128 letters, digits and "
                         f"'_', '.', '@', '+', '-' (no '/')", subject=client)
    return name


def parse_reference(text: str) -> tuple[str, str]:
    """`CLIENT/NAME` or `vault:CLIENT/NAME` -> (client, name)."""
    body = text[len("vault:"):] if text.startswith("vault:") else text
    client, sep, name = body.partition("/")
    if not sep or not client or not name:
        raise VaultError(f"{text!r} is not an entry reference; write CLIENT/NAME, "
                         f"e.g. acme/core-ssh (the part after 'vault:' in netdoc.yaml)")
    return check_client_name(client), check_entry_name(client, name)


def key_env_var(client: str) -> str:
    """NETDOC_VAULT_KEY_<CLIENT>: upper-case, anything but letters and digits becomes '_'."""
    return ENV_KEY_PREFIX + re.sub(r"[^A-Z0-9]", "_", client.upper())


def default_keys_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "netdoc" / "keys"


@dataclass(frozen=True)
class VaultLocations:
    vault_dir: Path
    keys_dir: Path

    @classmethod
    def from_settings(cls, vault_dir: Path | None, keys_dir: Path | None) -> VaultLocations:
        """Environment first (one-off overrides, tests), then netdoc.yaml, then defaults."""
        env_vault, env_keys = os.environ.get(ENV_VAULT_DIR), os.environ.get(ENV_KEYS_DIR)
        chosen_vault = Path(env_vault).expanduser() if env_vault else vault_dir
        if chosen_vault is None:
            raise VaultError(f"the vault folder is unknown; give --config PATH (the vault lives "
                             f"next to netdoc.yaml) or set {ENV_VAULT_DIR}")
        chosen_keys = Path(env_keys).expanduser() if env_keys else keys_dir or default_keys_dir()
        return cls(vault_dir=chosen_vault.absolute(), keys_dir=chosen_keys.absolute())

    def vault_file(self, client: str) -> Path:
        return self.vault_dir / f"{check_client_name(client)}.vault"

    def lock_file(self, client: str) -> Path:
        return self.vault_dir / f".{check_client_name(client)}.lock"

    def backups_dir(self) -> Path:
        return self.vault_dir / "backups"

    def key_file(self, client: str) -> Path:
        return self.keys_dir / f"{check_client_name(client)}.key"

    def clients(self) -> list[str]:
        """Clients that have a vault file here, sorted."""
        if not self.vault_dir.is_dir():
            return []
        return sorted(path.stem for path in self.vault_dir.glob("*.vault")
                      if path.is_file() and not path.name.startswith("."))
