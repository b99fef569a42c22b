"""SSH host keys, remembered per client (trust on first contact).

The first session with a device records its key in the client's state folder
(`known_hosts`, OpenSSH format, readable with ssh-keygen -F). Later sessions
must see the same key; a different one fails the device before any password is
sent, and the offered key is parked in `known_hosts.pending` until a technician
runs `netdoc hostkey accept CLIENT DEVICE`, which makes it the remembered key.

Identity claims are held the same way. The serial number and base MAC a
device claims (from discovery) are remembered per address (`identities.json`).
A device whose claim conflicts - another serial than the device known at that
address had, or the serial/MAC of a known device at another address (a clone) -
gets no credential until the technician accepts it with the same command.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.backup.transport import HostKey
from netdoc.textsafe import FIELD_LIMIT, clean

KNOWN = "known_hosts"
PENDING = "known_hosts.pending"
IDENTITIES = "identities.json"
IDENTITY_PENDING = "identities.pending.json"


def host_entry(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


@dataclass(frozen=True)
class Accepted:
    host: str
    port: int
    old: HostKey | None
    new: HostKey | None                       # None: no key was waiting, only an identity
    identity: dict[str, str] | None = None    # the accepted identity claim, if one waited


class HostKeyStore:
    """known_hosts and pending keys of one client; safe to use from worker threads."""

    def __init__(self, state_dir: Path, deferred: bool = False) -> None:
        """deferred: remember() returns at once and flush() writes the keys (a backup
        run flushes after its worker pool); otherwise remember() returns once written."""
        self.state_dir = state_dir
        self.deferred = deferred
        self._lock = threading.Lock()  # every read and write of the files
        self._queue_lock = threading.Lock()
        self._first_contact: dict[str, HostKey] = {}  # keys remember() was given
        self._known: dict[str, HostKey] | None = None  # known_hosts as last read or written
        self._queued = 0  # remember() calls so far
        self._saved = 0   # of which in known_hosts

    def known(self, host: str, port: int) -> HostKey | None:
        """The remembered key of a device. known_hosts is read once per instance (one
        backup run) and kept up to date by remember(), so the workers asking before each
        session do not queue behind a worker writing known_hosts."""
        entry = host_entry(host, port)
        with self._queue_lock:
            if self._known is None:
                self._known = _read(self.state_dir / KNOWN)
            return self._known.get(entry) or self._first_contact.get(entry)

    def remember(self, host: str, port: int, key: HostKey) -> None:
        """Record a first-contact key; never replaces a different remembered key.
        Returns once the key is in known_hosts, or at once when the store is deferred.

        Group commit: the workers of a run meeting devices for the first time queue
        their keys, and one write of known_hosts (with its fsync) takes every key queued
        so far; a worker whose key an earlier write took returns at once. One write
        per device, each holding the lock, made 200 first contacts wait in line."""
        entry = host_entry(host, port)
        with self._queue_lock:
            self._first_contact.setdefault(entry, key)
            self._queued += 1
            ticket = self._queued
        if not self.deferred:
            self.flush(ticket)

    def flush(self, ticket: int = 0) -> None:
        """Write the first-contact keys queued so far (up to `ticket`: all of them by
        default) to known_hosts; already written, nothing happens."""
        with self._lock:
            if ticket and self._saved >= ticket or self._saved >= self._queued:
                return  # written with another worker's key
            with self._queue_lock:
                queued, count = dict(self._first_contact), self._queued
            keys = _read(self.state_dir / KNOWN)
            new = {e: k for e, k in queued.items() if e not in keys}
            if new:
                keys.update(new)
                _write(self.state_dir / KNOWN, keys)
            self._saved = count
            with self._queue_lock:
                self._known = keys

    def park(self, host: str, port: int, offered: HostKey) -> None:
        with self._lock:
            keys = _read(self.state_dir / PENDING)
            keys[host_entry(host, port)] = offered
            _write(self.state_dir / PENDING, keys)

    def pending(self) -> dict[str, HostKey]:
        with self._lock:
            return _read(self.state_dir / PENDING)

    def pinned(self) -> dict[str, HostKey]:
        """The remembered (trusted) keys, by known_hosts entry."""
        with self._lock:
            return _read(self.state_dir / KNOWN)

    def accept(self, host: str, port: int) -> Accepted:
        """Make the parked key (and/or the held identity claim) the remembered one."""
        entry = host_entry(host, port)
        with self._lock:
            pending = _read(self.state_dir / PENDING)
            claims = _read_claims(self.state_dir / IDENTITY_PENDING)
            if entry not in pending and entry not in claims:
                raise StoreError(f"no changed host key or identity is waiting for {entry}; one "
                                 f"is parked only after a backup run saw it change")
            known = _read(self.state_dir / KNOWN)
            old = known.get(entry)
            new = None
            if entry in pending:
                new = known[entry] = pending.pop(entry)
                _write(self.state_dir / KNOWN, known)
                _write(self.state_dir / PENDING, pending)
            identity = None
            if entry in claims:
                identity = claims.pop(entry)["claims"]
                identities = _read_claims(self.state_dir / IDENTITIES)
                # the accepted claim is this address's now, and no other address's
                for other, ids in identities.items():
                    for kind, value in identity.items():
                        if other != entry and ids.get(kind) == value:
                            ids.pop(kind)
                identities[entry] = dict(identity)
                _write_claims(self.state_dir / IDENTITIES, identities)
                _write_claims(self.state_dir / IDENTITY_PENDING, claims)
            return Accepted(host, port, old, new, identity)

    # ------------------------------------------------------------ identity claims
    def check_identity(self, host: str, port: int, claims: dict[str, str]) -> str:
        """'' when what the device claims (serial, mac) fits what is known; else the
        reason it is held, and the claim is parked until `netdoc hostkey accept`."""
        entry = host_entry(host, port)
        wanted = {kind: clean(value, FIELD_LIMIT).strip().lower()
                  for kind, value in claims.items() if value and value.strip()}
        with self._lock:
            known = _read_claims(self.state_dir / IDENTITIES)
            held = _read_claims(self.state_dir / IDENTITY_PENDING)
            mine = known.get(entry, {})
            reason = ""
            for kind, value in sorted(wanted.items()):
                if mine.get(kind) and mine[kind] != value:
                    reason = (f"claims {kind} {value!r}, but the device known at this address "
                              f"has {kind} {mine[kind]!r} (replaced, or an impostor?)")
                    break
                # another address claiming it (one address behind several ports - port
                # forwards - is one inventory record: not a clone)
                other = next((e for e, ids in sorted(known.items())
                              if _host_of(e) != host and ids.get(kind) == value), None)
                if other is not None:
                    reason = (f"claims {kind} {value!r}, which belongs to the known device at "
                              f"{other} (a clone or an impostor?)")
                    break
            if reason:
                if held.get(entry, {}).get("claims") != wanted:
                    held[entry] = {"claims": wanted, "reason": reason}
                    _write_claims(self.state_dir / IDENTITY_PENDING, held)
                return reason
            if entry in held:
                held.pop(entry)
                _write_claims(self.state_dir / IDENTITY_PENDING, held)
            if wanted and any(mine.get(k) != v for k, v in wanted.items()):
                known[entry] = {**mine, **wanted}
                _write_claims(self.state_dir / IDENTITIES, known)
            return ""

    def pending_identities(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return _read_claims(self.state_dir / IDENTITY_PENDING)


def _host_of(entry: str) -> str:
    """'192.0.2.1' and '[192.0.2.1]:2222' -> '192.0.2.1'."""
    return entry[1:].split("]", 1)[0] if entry.startswith("[") else entry


def _read_claims(path: Path) -> dict[str, Any]:
    data = read_json(path, {}) or {}
    return data if isinstance(data, dict) else {}


def _write_claims(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, stable_json(data), mode=0o600)


def _read(path: Path) -> dict[str, HostKey]:
    keys: dict[str, HostKey] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return keys
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#"):
            keys[parts[0]] = HostKey(parts[1], parts[2])
    return keys


def _write(path: Path, keys: dict[str, HostKey]) -> None:
    atomic_write(path, "".join(f"{entry} {key.key_type} {key.base64}\n"
                               for entry, key in sorted(keys.items())), mode=0o600)
