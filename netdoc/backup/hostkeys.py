"""SSH host keys, remembered per client (trust on first contact).

The first session with a device records its key in the client's state folder
(`known_hosts`, OpenSSH format, readable with ssh-keygen -F). Later sessions
must see the same key; a different one fails the device before any password is
sent, and the offered key is parked in `known_hosts.pending` until a technician
runs `netdoc hostkey accept CLIENT DEVICE`, which makes it the remembered key.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write
from netdoc.backup.transport import HostKey

KNOWN = "known_hosts"
PENDING = "known_hosts.pending"


def host_entry(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


@dataclass(frozen=True)
class Accepted:
    host: str
    port: int
    old: HostKey | None
    new: HostKey


class HostKeyStore:
    """known_hosts and pending keys of one client; safe to use from worker threads."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._lock = threading.Lock()

    def known(self, host: str, port: int) -> HostKey | None:
        with self._lock:
            return _read(self.state_dir / KNOWN).get(host_entry(host, port))

    def remember(self, host: str, port: int, key: HostKey) -> None:
        """Record a first-contact key; never replaces a different remembered key."""
        with self._lock:
            keys = _read(self.state_dir / KNOWN)
            entry = host_entry(host, port)
            if entry in keys:
                return
            keys[entry] = key
            _write(self.state_dir / KNOWN, keys)

    def park(self, host: str, port: int, offered: HostKey) -> None:
        with self._lock:
            keys = _read(self.state_dir / PENDING)
            keys[host_entry(host, port)] = offered
            _write(self.state_dir / PENDING, keys)

    def pending(self) -> dict[str, HostKey]:
        with self._lock:
            return _read(self.state_dir / PENDING)

    def accept(self, host: str, port: int) -> Accepted:
        """Make the parked key the remembered one."""
        entry = host_entry(host, port)
        with self._lock:
            pending = _read(self.state_dir / PENDING)
            if entry not in pending:
                raise StoreError(f"no changed host key is waiting for {entry}; a key is parked "
                                 f"only after a backup run saw it change")
            known = _read(self.state_dir / KNOWN)
            old = known.get(entry)
            known[entry] = pending.pop(entry)
            _write(self.state_dir / KNOWN, known)
            _write(self.state_dir / PENDING, pending)
            return Accepted(host, port, old, known[entry])


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
