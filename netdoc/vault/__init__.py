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

def activate(vault_dir: Path | None, keys_dir: Path | None = None) -> None:
    """Point `vault:` references at these folders (environment variables still win).
    The folders are kept by netdoc.secrets, where netdoc.config.parse_config sets them
    from the netdoc.yaml loaded last (the config never imports the vault)."""
    secrets.use_vault_folders(vault_dir, keys_dir)


def use_config(config: Config) -> None:
    activate(*config.vault_folders())


def locations_for(config: Config | None) -> VaultLocations:
    """The vault and key folders for `config` (or the environment alone when None)."""
    vault_dir, keys_dir = config.vault_folders() if config is not None else (None, None)
    return VaultLocations.from_settings(vault_dir, keys_dir)


def active_locations() -> VaultLocations:
    return VaultLocations.from_settings(*secrets.vault_folders())


def resolve_vault_reference(client: str, name: str) -> str:
    """The resolver behind netdoc.secrets.resolve for `vault:CLIENT/NAME`."""
    return VaultStore(active_locations()).get(client, name)


secrets.register_vault_resolver(resolve_vault_reference)
