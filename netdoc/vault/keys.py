"""Vault keys: 256 random bits per client, found in the environment, a systemd
credential or an owner-only key file, and never in netdoc.yaml.

A key is written as one line of URL-safe base64 (44 characters). Its *key id*
(a short hash) is stored in the vault header so "wrong key" and "damaged file"
can be told apart; the id reveals nothing usable about the key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from netdoc.fsutil import atomic_write
from netdoc.vault.base import (SYSTEMD_CREDENTIAL_PREFIX, VaultError, VaultKeyMissing,
                               VaultLocations, key_env_var)

KEY_BYTES = 32  # AES-256
OWNER_ONLY_MASK = 0o077


class VaultKey:
    """Key material that cannot end up in a log line by accident."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_BYTES:
            raise ValueError(f"a vault key is {KEY_BYTES} bytes, not {len(raw)}")
        self._raw = raw

    @classmethod
    def generate(cls) -> VaultKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def decode(cls, text: str, source: str) -> VaultKey:
        try:
            raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != KEY_BYTES:
            raise VaultError(f"the key from {source} is not a netdoc vault key (expected one "
                             f"line of 44 base64 characters, as written by netdoc vault init)")
        return cls(raw)

    @property
    def raw(self) -> bytes:
        return self._raw

    @property
    def encoded(self) -> str:
        """The form kept in key files, environment variables and systemd credentials."""
        return base64.urlsafe_b64encode(self._raw).decode("ascii")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"netdoc-vault-key-id\0" + self._raw).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"VaultKey(id={self.key_id})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VaultKey) and secrets.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(self.key_id)


@dataclass(frozen=True)
class KeySource:
    """Where a key came from, for messages and for `rotate` (which can only rewrite files)."""

    kind: str  # "env", "systemd" or "file"
    where: str  # variable name or path

    def __str__(self) -> str:
        return {"env": "environment variable", "systemd": "systemd credential",
                "file": "key file"}[self.kind] + f" {self.where}"


def find_key(locations: VaultLocations, client: str) -> tuple[VaultKey, KeySource] | None:
    """The client's key: environment, then systemd credential, then key file; None if absent.

    The environment wins so a one-off command can override; a service started
    by systemd gets its key from LoadCredential= without it touching the disk.
    """
    variable = key_env_var(client)
    if os.environ.get(variable):
        source = KeySource("env", variable)
        return VaultKey.decode(os.environ[variable], str(source)), source
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        path = Path(credentials) / f"{SYSTEMD_CREDENTIAL_PREFIX}{client}"
        if path.is_file():
            # systemd makes credential files private to the service; no mode check needed.
            source = KeySource("systemd", str(path))
            return VaultKey.decode(_read_text(path, source), str(source)), source
    path = locations.key_file(client)
    if path.exists():
        source = KeySource("file", str(path))
        return read_key_file(path), source
    return None


def require_key(locations: VaultLocations, client: str) -> tuple[VaultKey, KeySource]:
    found = find_key(locations, client)
    if found is None:
        raise VaultKeyMissing(
            f"no key for client {client!r}; set {key_env_var(client)}, install the systemd "
            f"credential {SYSTEMD_CREDENTIAL_PREFIX}{client} (LoadCredential=), or put the key "
            f"in {locations.key_file(client)} with mode 0600. A technician without the key "
            f"cannot open this client's vault by design",
            path=locations.vault_file(client), subject=client)
    return found


def read_key_file(path: Path) -> VaultKey:
    source = KeySource("file", str(path))
    mode = _mode(path, source)
    if mode & OWNER_ONLY_MASK:
        raise VaultError(f"refusing the key file {path} because group or others may access it "
                         f"(mode {stat.S_IMODE(mode):04o}); run  chmod 600 {path}  and consider "
                         f"rotating the key (netdoc vault rotate) if others could have copied it")
    return VaultKey.decode(_read_text(path, source), str(source))


def write_key_file(path: Path, key: VaultKey) -> None:
    """Owner-only, atomic: a crash leaves the old key file or the new one."""
    atomic_write(path, key.encoded + "\n", mode=0o600)


def _mode(path: Path, source: KeySource) -> int:
    try:
        return path.stat().st_mode
    except OSError as exc:
        raise VaultError(f"cannot read the {source} ({exc.strerror or exc})") from None


def _read_text(path: Path, source: KeySource) -> str:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise VaultError(f"cannot read the {source} ({reason or exc})") from None
