"""Encrypted per-client credential vaults: `vault:CLIENT/NAME` in netdoc.yaml.

One vault and one key per client (plus `_shared` for MSP-wide credentials),
so a client's secrets go to exactly the technicians who hold its key, and a
leaver is cut off by rotating that key. See docs/vault.md.

Importing this package registers the resolver for `vault:` references;
loading a netdoc.yaml (netdoc.config.parse_config) tells it where the vault
folder is. Nothing here imports the crypto library until a vault is opened.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from netdoc import secrets
from netdoc.vault.base import (ENV_KEYS_DIR, ENV_VAULT_DIR, SHARED_CLIENT, VaultDamaged,
                               VaultEntryMissing, VaultError, VaultKeyMismatch, VaultKeyMissing,
                               VaultLocations, key_env_var, parse_reference)
from netdoc.vault.keys import KeySource, VaultKey, find_key, read_key_file, write_key_file
from netdoc.vault.store import InitResult, RotateResult, VaultStore, write_vault

if TYPE_CHECKING:
    from netdoc.config import Config

__all__ = [
    "ENV_KEYS_DIR", "ENV_VAULT_DIR", "SHARED_CLIENT", "InitResult", "KeySource", "RotateResult",
    "VaultDamaged", "VaultEntryMissing", "VaultError", "VaultKey", "VaultKeyMismatch",
    "VaultKeyMissing", "VaultLocations", "VaultStore", "activate", "active_locations",
    "find_key", "key_env_var", "locations_for", "parse_reference", "read_key_file",
    "resolve_vault_reference", "use_config", "write_key_file", "write_vault",
]

# Where `vault:` references are looked up: set from the netdoc.yaml loaded last.
_configured: tuple[Path | None, Path | None] = (None, None)


def activate(vault_dir: Path | None, keys_dir: Path | None = None) -> None:
    """Point `vault:` references at these folders (environment variables still win)."""
    global _configured
    _configured = (vault_dir, keys_dir)


def use_config(config: Config) -> None:
    activate(*_settings_of(config))


def locations_for(config: Config | None) -> VaultLocations:
    """The vault and key folders for `config` (or the environment alone when None)."""
    vault_dir, keys_dir = _settings_of(config) if config is not None else (None, None)
    return VaultLocations.from_settings(vault_dir, keys_dir)


def active_locations() -> VaultLocations:
    return VaultLocations.from_settings(*_configured)


def resolve_vault_reference(client: str, name: str) -> str:
    """The resolver behind netdoc.secrets.resolve for `vault:CLIENT/NAME`."""
    return VaultStore(active_locations()).get(client, name)


def _settings_of(config: Config) -> tuple[Path | None, Path | None]:
    base = config.path.absolute().parent
    settings = getattr(config, "vault", None)
    if settings is None:
        return base / "vault", None
    # A Config built in code carries the relative default: it still means next to netdoc.yaml.
    return base / settings.dir, (base / settings.keys if settings.keys else None)


secrets.register_vault_resolver(resolve_vault_reference)
