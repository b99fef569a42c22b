"""The vault file: entries encrypted with AES-256-GCM under the client's key.

File format (JSON, one object):

    {"format": "netdoc-vault", "version": 1, "client": "acme",
     "cipher": "AES-256-GCM", "key_id": "<16 hex>", "nonce": "<base64>",
     "ciphertext": "<base64>"}

Everything but the ciphertext is bound in as associated data, so a header
edited by hand, or a vault file copied over another client's, fails to open.
The plaintext is JSON `{"entries": {NAME: {"secret": ..., "updated": ...}}}`:
entry names are encrypted too, so a stolen vault file says nothing.

Every change is read-modify-write under an exclusive lock on a lock file next
to the vault and ends in an atomic replace, so concurrent writers lose no
entries and a failed operation never rewrites the file.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

from netdoc.errors import StoreError
from netdoc.fsutil import FileLock, LockTimeout, atomic_write
from netdoc.vault.base import (VaultDamaged, VaultEntryMissing, VaultError, VaultKeyMismatch,
                               VaultLocations, check_client_name, check_entry_name)
from netdoc.vault.keys import KeySource, VaultKey, find_key, require_key, write_key_file

FORMAT, VERSION, CIPHER = "netdoc-vault", 1, "AES-256-GCM"
NONCE_BYTES = 12
LOCK_TIMEOUT = 30.0  # seconds a writer waits for another netdoc process


@dataclass(frozen=True)
class Entry:
    secret: str
    updated: str  # UTC, ISO 8601

    def __repr__(self) -> str:
        return f"Entry(updated={self.updated!r})"


Entries = dict[str, Entry]


# ---------------------------------------------------------------- encryption

def seal(client: str, entries: Mapping[str, Entry], key: VaultKey) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)  # fresh per write: GCM must never reuse one under a key
    header = {"format": FORMAT, "version": VERSION, "client": client, "cipher": CIPHER,
              "key_id": key.key_id, "nonce": _b64(nonce)}
    plaintext = json.dumps({"entries": {name: {"secret": e.secret, "updated": e.updated}
                                        for name, e in sorted(entries.items())}},
                           sort_keys=True).encode("utf-8")
    ciphertext = AESGCM(key.raw).encrypt(nonce, plaintext, _associated_data(header))
    return (json.dumps({**header, "ciphertext": _b64(ciphertext)}, indent=1, sort_keys=True)
            + "\n").encode("ascii")


def unseal(client: str, data: bytes, key: VaultKey, source: KeySource, path: Path) -> Entries:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, nonce, ciphertext = _parse(client, data, path)
    if header["key_id"] != key.key_id:
        raise VaultKeyMismatch(
            f"the {source} does not open {path} (the vault was sealed with key id "
            f"{header['key_id']}, this key has id {key.key_id}); after a rotation install the "
            f"new key, otherwise this is the wrong client's key", path=path, subject=client)
    try:
        plaintext = AESGCM(key.raw).decrypt(nonce, ciphertext, _associated_data(header))
    except InvalidTag:
        raise _damaged(path, client, "its contents fail the integrity check") from None
    return _entries(plaintext, path, client)


def _parse(client: str, data: bytes, path: Path) -> tuple[dict[str, Any], bytes, bytes]:
    try:
        document = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise _damaged(path, client, "it is not a readable vault document (truncated?)") from None
    fields = ("format", "version", "client", "cipher", "key_id", "nonce", "ciphertext")
    if not isinstance(document, dict) or any(f not in document for f in fields) \
            or document["format"] != FORMAT:
        raise _damaged(path, client, "its header is missing or incomplete")
    if document["version"] != VERSION or document["cipher"] != CIPHER:
        raise VaultError(f"{path} is a vault of format version {document['version']!r} "
                         f"({document['cipher']!r}); this netdoc reads version {VERSION} "
                         f"({CIPHER}); upgrade netdoc", path=path, subject=client)
    if document["client"] != client:
        raise VaultError(f"{path} holds the vault of client {document['client']!r}, not "
                         f"{client!r}; a vault file must not be copied to another client",
                         path=path, subject=client)
    nonce, ciphertext = _b64_strict(document["nonce"]), _b64_strict(document["ciphertext"])
    if nonce is None or ciphertext is None or len(nonce) != NONCE_BYTES:
        raise _damaged(path, client, "its encrypted part is not valid base64")
    header = {f: document[f] for f in fields if f != "ciphertext"}
    return header, nonce, ciphertext


def _entries(plaintext: bytes, path: Path, client: str) -> Entries:
    try:
        raw = json.loads(plaintext.decode("utf-8"))["entries"]
        return {str(name): Entry(secret=str(body["secret"]), updated=str(body["updated"]))
                for name, body in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _damaged(path, client, "its decrypted contents are not vault entries") from None


def _damaged(path: Path, client: str, why: str) -> VaultError:
    return VaultDamaged(f"the vault file {path} is damaged ({why}); it was left as it is. "
                      f"Restore it from a backup (e.g. {path.parent / 'backups'}) or create it "
                      f"again with netdoc vault init", path=path, subject=client)


def _associated_data(header: Mapping[str, Any]) -> bytes:
    return json.dumps(dict(header), sort_keys=True, separators=(",", ":")).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64_strict(text: Any) -> bytes | None:
    """Decode only the one canonical spelling, so no edit to the file goes unnoticed
    (base64 otherwise ignores the spare bits of its last character)."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError):
        return None
    return data if _b64(data) == text else None


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- the store

@dataclass(frozen=True)
class InitResult:
    vault_file: Path
    key_id: str
    key_source: KeySource
    key_created: bool  # False: an existing key (env, systemd, file) was used


@dataclass(frozen=True)
class RotateResult:
    vault_file: Path
    new_key_file: Path
    new_key_id: str
    backup_file: Path
    old_key_source: KeySource


class VaultStore:
    """All vault operations for the vault and key folders in `locations`."""

    def __init__(self, locations: VaultLocations) -> None:
        self.locations = locations

    # reading ----------------------------------------------------------------
    def open(self, client: str) -> Entries:
        return self._unseal_current(client)[3]

    def get(self, client: str, name: str) -> str:
        check_entry_name(client, name)
        try:
            entries = self.open(client)
        except VaultError as exc:  # say which entry was wanted, whatever went wrong
            raise type(exc)(f"cannot read {client}/{name} because {exc.reason}",
                            path=self.locations.vault_file(client),
                            subject=f"{client}/{name}") from None
        if name not in entries:
            raise self._missing(client, name, entries)
        return entries[name].secret

    def names(self, client: str) -> list[tuple[str, str]]:
        """(name, last updated) of every entry, sorted; never the secrets."""
        return [(name, entry.updated) for name, entry in sorted(self.open(client).items())]

    # writing ----------------------------------------------------------------
    def init(self, client: str, key_file: Path | None = None) -> InitResult:
        path = self.locations.vault_file(client)
        with self._locked(client):
            if path.exists():
                raise VaultError(f"client {client!r} already has a vault at {path}; nothing was "
                                 f"changed. Use netdoc vault set to add entries, or rotate to "
                                 f"change its key", path=path, subject=client)
            found = find_key(self.locations, client)
            if found is not None and key_file is not None:
                raise VaultError(f"a key for {client!r} is already installed ({found[1]}) and "
                                 f"would be used instead of a new one in {key_file}; remove it "
                                 f"or drop --key-file", path=path, subject=client)
            created = found is None
            if found is None:
                key = VaultKey.generate()
                target = key_file or self.locations.key_file(client)
                if target.exists():
                    raise VaultError(f"{target} already exists; refusing to overwrite a key "
                                     f"file", path=path, subject=client)
                write_key_file(target, key)
                found = key, KeySource("file", str(target))
            atomic_write(path, seal(client, {}, found[0]), mode=0o600)
            return InitResult(path, found[0].key_id, found[1], created)

    def set(self, client: str, name: str, secret: str) -> bool:
        """Store `secret` under `name`; True if it replaced an earlier value."""
        check_entry_name(client, name)
        if not secret:
            raise VaultError("refusing to store an empty secret", subject=f"{client}/{name}")
        with self._modify(client) as entries:
            replaced = name in entries
            entries[name] = Entry(secret=secret, updated=now_utc())
        return replaced

    def remove(self, client: str, name: str) -> None:
        check_entry_name(client, name)
        with self._modify(client) as entries:
            if name not in entries:
                raise self._missing(client, name, entries)
            del entries[name]

    def rotate(self, client: str, key_file: Path | None = None) -> RotateResult:
        """Re-seal under a new key; the old key stops opening the vault.

        Order matters for a crash at any point: the new key is written beside
        the key file first, then the old vault is backed up, then the vault is
        replaced, and only then does the new key take the key file's place.
        """
        path = self.locations.vault_file(client)
        with self._locked(client):
            data, _, old_source, entries = self._unseal_current(client)
            new_key = VaultKey.generate()
            target = key_file or self.locations.key_file(client)
            pending = _pending(target)
            write_key_file(pending, new_key)
            try:
                backup = self._backup(client, data)
                atomic_write(path, seal(client, entries, new_key), mode=0o600)
            except BaseException:
                pending.unlink(missing_ok=True)
                raise
            os.replace(pending, target)
            return RotateResult(path, target, new_key.key_id, backup, old_source)

    # helpers ----------------------------------------------------------------
    @contextmanager
    def _modify(self, client: str) -> Iterator[Entries]:
        """Read-modify-write under the lock; nothing is written if the body raises."""
        with self._locked(client):
            _, key, _, entries = self._unseal_current(client)
            yield entries
            atomic_write(self.locations.vault_file(client), seal(client, entries, key),
                         mode=0o600)

    def _unseal_current(self, client: str) -> tuple[bytes, VaultKey, KeySource, Entries]:
        """The vault file's bytes, the key that opened it, where that came from, the entries."""
        path = self.locations.vault_file(client)
        data = self._read(client, path)
        key, source = require_key(self.locations, client)
        try:
            return data, key, source, unseal(client, data, key, source, path)
        except VaultError as exc:
            raise self._with_rotation_hint(exc, client) from None

    @contextmanager
    def _locked(self, client: str) -> Iterator[None]:
        """The vault's writer lock: netdoc's one file lock (netdoc.fsutil.FileLock)."""
        lock_path = self.locations.lock_file(client)
        lock = FileLock(lock_path, LOCK_TIMEOUT, poll=0.02)
        try:
            lock.__enter__()
        except LockTimeout:
            raise VaultError(f"the vault of client {client!r} stayed locked by "
                             f"another netdoc process for {LOCK_TIMEOUT:g} s "
                             f"(lock file {lock_path}); try again when it is done",
                             subject=client) from None
        except StoreError as exc:
            raise VaultError(str(exc), subject=client) from None  # cannot create the file
        try:
            yield
        finally:
            lock.__exit__()

    def _read(self, client: str, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise VaultError(f"client {client!r} has no vault at {path}; create it with "
                             f"netdoc vault init {client}", path=path, subject=client) from None
        except OSError as exc:
            raise VaultError(f"cannot read {path} ({exc.strerror or exc})", path=path,
                             subject=client) from None

    def _backup(self, client: str, data: bytes) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        backup = self.locations.backups_dir() / f"{client}-{stamp}.vault"
        atomic_write(backup, data, mode=0o600)
        return backup

    def _missing(self, client: str, name: str, entries: Entries) -> VaultError:
        known = ", ".join(sorted(entries)) or "none"
        return VaultEntryMissing(f"no entry {name!r} in the vault of client {client!r} (entries "
                          f"{known}); add it with netdoc vault set {client}/{name}",
                          path=self.locations.vault_file(client), subject=f"{client}/{name}")

    def _with_rotation_hint(self, error: VaultError, client: str) -> VaultError:
        """A wrong key right after an interrupted rotation: point at the new key."""
        pending = _pending(self.locations.key_file(client))
        if not isinstance(error, VaultKeyMismatch) or not pending.exists():
            return error
        return VaultKeyMismatch(f"{error.reason}. An interrupted rotation left "
                          f"the new key in {pending}; if it opens the vault, move it to "
                          f"{self.locations.key_file(client)}",
                          path=self.locations.vault_file(client), subject=client)


def _pending(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".new")


def write_vault(vault_dir: Path, client: str, entries: Mapping[str, str], *,
                keys_dir: Path | None = None, key: VaultKey | None = None) -> VaultKey:
    """Write `client`'s whole vault from a dict in one go and return its key.

    For tests and lab set-up: e.g. plant known secrets, run netdoc with
    NETDOC_VAULT_KEY_<CLIENT>=key.encoded, then search every output for them.
    With `keys_dir` the key is also written there as <client>.key (0600).
    """
    check_client_name(client)
    key = key or VaultKey.generate()
    stamp = now_utc()
    sealed = seal(client, {check_entry_name(client, n): Entry(secret=s, updated=stamp)
                           for n, s in entries.items()}, key)
    atomic_write(vault_dir / f"{client}.vault", sealed, mode=0o600)
    if keys_dir is not None:
        write_key_file(keys_dir / f"{client}.key", key)
    return key
