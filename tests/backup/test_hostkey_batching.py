"""First-contact host keys at scale: a backup run's workers do not write known_hosts
one device at a time (issue 18: 200 devices queued on that lock and its fsync)."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

import netdoc.backup.hostkeys as hostkeys
from netdoc.backup.hostkeys import KNOWN, HostKeyStore
from netdoc.backup.transport import HostKey


def key(n: int) -> HostKey:
    return HostKey("ssh-ed25519", f"AAAAC3NzaC1lZDI1NTE5AAAAI{n:040d}")


def test_a_deferred_store_writes_the_run_s_keys_once_at_flush(tmp_path: Path) -> None:
    store = HostKeyStore(tmp_path, deferred=True)
    for n in range(1, 51):
        store.remember(f"192.0.2.{n}", 22, key(n))
    assert not (tmp_path / KNOWN).exists()  # nothing written during the run
    assert store.known("192.0.2.7", 22) == key(7)  # but the run already knows them
    store.flush()
    reread = HostKeyStore(tmp_path)
    assert reread.pinned() == {f"192.0.2.{n}": key(n) for n in range(1, 51)}
    assert reread.known("192.0.2.50", 22) == key(50)


def test_a_remembered_key_is_never_replaced_by_a_first_contact_key(tmp_path: Path) -> None:
    HostKeyStore(tmp_path).remember("192.0.2.1", 22, key(1))
    store = HostKeyStore(tmp_path, deferred=True)
    store.remember("192.0.2.1", 22, key(99))  # another key for a known device: not taken
    store.flush()
    assert HostKeyStore(tmp_path).known("192.0.2.1", 22) == key(1)
    assert store.known("192.0.2.1", 22) == key(1)


def test_concurrent_first_contacts_share_writes_and_all_land(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) \
        -> None:
    writes: list[int] = []
    real_write = hostkeys._write

    def counted(path: Path, keys: dict[str, HostKey]) -> None:
        writes.append(len(keys))
        threading.Event().wait(0.02)  # an fsync's worth: the others queue meanwhile
        real_write(path, keys)

    monkeypatch.setattr(hostkeys, "_write", counted)
    store = HostKeyStore(tmp_path)  # not deferred: each remember() returns once written
    done: list[str] = []

    def worker(n: int) -> None:
        store.remember(f"192.0.2.{n}", 2222, key(n))
        assert f"[192.0.2.{n}]:2222" in HostKeyStore(tmp_path).pinned()  # durable on return
        done.append(str(n))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 41)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) == 40
    assert len(HostKeyStore(tmp_path).pinned()) == 40
    assert len(writes) < 40  # keys queued during a write went out together
