"""The vault store: secrets round-trip, stay encrypted at rest, each client's
behind its own key, and no failed operation ever rewrites the vault file."""
from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netdoc.vault import (VaultDamaged, VaultEntryMissing, VaultError, VaultKey,
                          VaultKeyMismatch, VaultKeyMissing, VaultLocations, VaultStore,
                          key_env_var, read_key_file, write_vault)
from vault_helpers import REPO

PLANTED = {"core-ssh": "Tr0ub4dor&3 with spaces", "snmp-community": "c0mmunity-ÄÖÜ-🔑",
           "enable": "line1\nline2"}


def file_state(path: Path) -> tuple[bytes, int, int]:
    """Content, inode and mtime: all three stay put when a file is not rewritten."""
    info = path.stat()
    return path.read_bytes(), info.st_ino, info.st_mtime_ns


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def filled(store: VaultStore) -> VaultStore:
    store.init("acme")
    for name, secret in PLANTED.items():
        store.set("acme", name, secret)
    return store


# ---------------------------------------------------------------- round trips

def test_entries_round_trip_exactly(filled: VaultStore) -> None:
    for name, secret in PLANTED.items():
        assert filled.get("acme", name) == secret
    assert [name for name, _ in filled.names("acme")] == sorted(PLANTED)


def test_set_replaces_and_remove_deletes(filled: VaultStore) -> None:
    assert filled.set("acme", "core-ssh", "new-password") is True
    assert filled.get("acme", "core-ssh") == "new-password"
    filled.remove("acme", "enable")
    assert [name for name, _ in filled.names("acme")] == ["core-ssh", "snmp-community"]


def test_nothing_readable_at_rest(filled: VaultStore, locations: VaultLocations) -> None:
    raw = locations.vault_file("acme").read_bytes()
    for name, secret in PLANTED.items():
        assert name.encode() not in raw, "entry names are encrypted too"
        for piece in secret.split():
            assert piece.encode() not in raw
    assert json.loads(raw)["cipher"] == "AES-256-GCM"


def test_files_and_folders_are_owner_only(filled: VaultStore, locations: VaultLocations) -> None:
    assert mode_of(locations.vault_file("acme")) == 0o600
    assert mode_of(locations.key_file("acme")) == 0o600
    assert mode_of(locations.vault_dir) == 0o700
    assert mode_of(locations.keys_dir) == 0o700


def test_every_write_uses_a_fresh_nonce(filled: VaultStore, locations: VaultLocations) -> None:
    nonces = set()
    for round_ in range(5):
        filled.set("acme", "core-ssh", "same value")
        nonces.add(json.loads(locations.vault_file("acme").read_bytes())["nonce"])
    assert len(nonces) == 5


def test_init_refuses_an_existing_vault(filled: VaultStore, locations: VaultLocations) -> None:
    before = file_state(locations.vault_file("acme"))
    with pytest.raises(VaultError, match="already has a vault"):
        filled.init("acme")
    assert file_state(locations.vault_file("acme")) == before


def test_init_uses_a_key_provisioned_in_the_environment(store: VaultStore,
                                                        locations: VaultLocations,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    key = VaultKey.generate()
    monkeypatch.setenv(key_env_var("acme"), key.encoded)
    result = store.init("acme")
    assert not result.key_created and result.key_id == key.key_id
    assert not locations.key_file("acme").exists(), "no second copy of a provisioned key"
    store.set("acme", "x", "y")
    assert store.get("acme", "x") == "y"


def test_empty_secret_and_bad_names_are_refused(filled: VaultStore) -> None:
    with pytest.raises(VaultError, match="empty secret"):
        filled.set("acme", "blank", "")
    with pytest.raises(VaultError, match="invalid entry name"):
        filled.set("acme", "a/b", "x")
    with pytest.raises(VaultError, match="invalid client name"):
        filled.get("../etc", "x")


# ---------------------------------------------------------------- separation

def test_each_client_has_its_own_key(store: VaultStore, locations: VaultLocations) -> None:
    store.init("acme")
    store.init("globex")
    assert read_key_file(locations.key_file("acme")) != read_key_file(locations.key_file("globex"))


def test_one_clients_key_does_not_open_another_clients_vault(
        store: VaultStore, locations: VaultLocations) -> None:
    store.init("acme")
    store.init("globex")
    store.set("globex", "ssh", "globex-secret")
    locations.key_file("globex").write_bytes(locations.key_file("acme").read_bytes())
    with pytest.raises(VaultKeyMismatch) as caught:
        store.get("globex", "ssh")
    assert "globex" in str(caught.value) and "globex-secret" not in str(caught.value)


def test_a_vault_copied_over_another_client_is_refused(
        store: VaultStore, locations: VaultLocations) -> None:
    store.init("acme")
    store.set("acme", "ssh", "acme-secret")
    store.init("globex")
    # Even with acme's key installed for globex, the file says whose it is.
    locations.vault_file("globex").write_bytes(locations.vault_file("acme").read_bytes())
    locations.key_file("globex").write_bytes(locations.key_file("acme").read_bytes())
    with pytest.raises(VaultError, match="holds the vault of client 'acme', not 'globex'"):
        store.get("globex", "ssh")


# ---------------------------------------------------------------- failures

def test_missing_entry_names_client_and_entry(filled: VaultStore,
                                              locations: VaultLocations) -> None:
    before = file_state(locations.vault_file("acme"))
    with pytest.raises(VaultEntryMissing) as caught:
        filled.remove("acme", "no-such")
    message = str(caught.value)
    assert "'no-such'" in message and "'acme'" in message and "netdoc vault set acme/no-such" \
        in message
    assert file_state(locations.vault_file("acme")) == before


def test_missing_key_says_where_keys_are_looked_for(filled: VaultStore,
                                                    locations: VaultLocations) -> None:
    locations.key_file("acme").unlink()
    with pytest.raises(VaultKeyMissing) as caught:
        filled.get("acme", "core-ssh")
    message = str(caught.value)
    for hint in ("'acme'", "NETDOC_VAULT_KEY_ACME", "netdoc-vault-acme",
                 str(locations.key_file("acme"))):
        assert hint in message


def test_missing_vault_says_how_to_create_it(store: VaultStore) -> None:
    with pytest.raises(VaultError, match="netdoc vault init acme"):
        store.get("acme", "x")


def test_wrong_key_fails_and_leaves_the_file_alone(filled: VaultStore, locations: VaultLocations,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = file_state(locations.vault_file("acme"))
    monkeypatch.setenv(key_env_var("acme"), VaultKey.generate().encoded)
    with pytest.raises(VaultKeyMismatch) as caught:
        filled.set("acme", "core-ssh", "overwrite attempt")
    assert "environment variable NETDOC_VAULT_KEY_ACME" in str(caught.value)
    assert file_state(locations.vault_file("acme")) == before


def corruptions(data: bytes) -> dict[str, bytes]:
    document = json.loads(data)
    sealed = bytearray(base64.b64decode(document["ciphertext"]))
    sealed[len(sealed) // 2] ^= 0x01
    flipped_ciphertext = json.dumps({**document, "ciphertext": base64.b64encode(
        bytes(sealed)).decode()}).encode()
    edited_header = json.dumps({**document, "format": "netdoc-vault", "version": 1,
                                "nonce": base64.b64encode(bytes(12)).decode()}).encode()
    return {"truncated to half": data[:len(data) // 2], "emptied": b"",
            "last byte cut": data[:-2], "a bit of the ciphertext flipped": flipped_ciphertext,
            "nonce replaced": edited_header, "not JSON at all": b"\x00\xff" * 40}


@pytest.mark.parametrize("damage", ["truncated to half", "emptied", "last byte cut",
                                    "a bit of the ciphertext flipped", "nonce replaced",
                                    "not JSON at all"])
def test_damaged_vault_is_reported_not_rewritten(filled: VaultStore, locations: VaultLocations,
                                                 damage: str) -> None:
    path = locations.vault_file("acme")
    path.write_bytes(corruptions(path.read_bytes())[damage])
    before = file_state(path)
    with pytest.raises(VaultDamaged) as caught:
        filled.set("acme", "new-entry", "value")
    assert "damaged" in str(caught.value) and "acme" in str(caught.value)
    assert file_state(path) == before


def test_every_single_bit_flip_anywhere_is_detected(filled: VaultStore,
                                                    locations: VaultLocations) -> None:
    path = locations.vault_file("acme")
    good = path.read_bytes()
    for position in range(len(good)):
        for bit in (0x01, 0x40):
            bad = bytearray(good)
            bad[position] ^= bit
            path.write_bytes(bytes(bad))
            with pytest.raises(VaultError):
                filled.get("acme", "core-ssh")
    path.write_bytes(good)
    assert filled.get("acme", "core-ssh") == PLANTED["core-ssh"]


def test_key_file_readable_by_others_is_refused(filled: VaultStore,
                                                locations: VaultLocations) -> None:
    key_file = locations.key_file("acme")
    for loose in (0o640, 0o604, 0o660):
        key_file.chmod(loose)
        with pytest.raises(VaultError, match=f"chmod 600 {key_file}"):
            filled.get("acme", "core-ssh")
    key_file.chmod(0o400)
    assert filled.get("acme", "core-ssh") == PLANTED["core-ssh"]


# ---------------------------------------------------------------- rotation

def test_rotation_revokes_the_old_key_and_keeps_a_backup(
        filled: VaultStore, locations: VaultLocations, monkeypatch: pytest.MonkeyPatch) -> None:
    old_key = read_key_file(locations.key_file("acme"))
    result = filled.rotate("acme")
    new_key = read_key_file(locations.key_file("acme"))
    assert new_key != old_key and result.new_key_id == new_key.key_id
    for name, secret in PLANTED.items():
        assert filled.get("acme", name) == secret

    monkeypatch.setenv(key_env_var("acme"), old_key.encoded)  # the leaver's copy
    with pytest.raises(VaultKeyMismatch):
        filled.get("acme", "core-ssh")

    assert result.backup_file.parent == locations.backups_dir()
    assert mode_of(result.backup_file) == 0o600
    restored = locations.vault_dir / "restore-test"
    restored.mkdir()
    (restored / "acme.vault").write_bytes(result.backup_file.read_bytes())
    assert VaultStore(VaultLocations(restored, locations.keys_dir)).get("acme", "enable") == \
        PLANTED["enable"], "the backup opens with the old key (from the environment)"


def test_rotating_a_key_kept_outside_files(store: VaultStore, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A key from the environment (or systemd) cannot be rewritten in place: the new
    key goes to the file asked for, and the old one stops working."""
    old_key = VaultKey.generate()
    monkeypatch.setenv(key_env_var("acme"), old_key.encoded)
    store.init("acme")
    store.set("acme", "ssh", "pw")
    result = store.rotate("acme", key_file=tmp_path / "handover" / "acme.key")
    assert result.old_key_source.kind == "env"
    assert result.new_key_file == tmp_path / "handover" / "acme.key"
    with pytest.raises(VaultKeyMismatch):
        store.get("acme", "ssh")
    monkeypatch.setenv(key_env_var("acme"), read_key_file(result.new_key_file).encoded)
    assert store.get("acme", "ssh") == "pw"


def test_rotation_with_the_wrong_key_changes_nothing(
        filled: VaultStore, locations: VaultLocations, monkeypatch: pytest.MonkeyPatch) -> None:
    vault_before = file_state(locations.vault_file("acme"))
    key_before = file_state(locations.key_file("acme"))
    monkeypatch.setenv(key_env_var("acme"), VaultKey.generate().encoded)
    with pytest.raises(VaultKeyMismatch):
        filled.rotate("acme")
    assert file_state(locations.vault_file("acme")) == vault_before
    assert file_state(locations.key_file("acme")) == key_before
    assert not locations.backups_dir().exists()
    assert not list(locations.keys_dir.glob("*.new"))


def test_interrupted_rotation_points_at_the_new_key(filled: VaultStore,
                                                    locations: VaultLocations) -> None:
    """The state a crash between 'vault replaced' and 'key moved into place' leaves."""
    key_file = locations.key_file("acme")
    old_key_text = key_file.read_bytes()
    filled.rotate("acme")
    pending = key_file.with_name("acme.key.new")
    pending.write_bytes(key_file.read_bytes())
    pending.chmod(0o600)
    key_file.write_bytes(old_key_text)
    with pytest.raises(VaultKeyMismatch, match=f"move it to {key_file}") as caught:
        filled.get("acme", "core-ssh")
    assert str(pending) in str(caught.value)
    os.replace(pending, key_file)
    assert filled.get("acme", "core-ssh") == PLANTED["core-ssh"]


# ---------------------------------------------------------------- concurrency

WRITER = """
import sys, time
from pathlib import Path
from netdoc.vault import VaultLocations, VaultStore
vault_dir, keys_dir, writer, count, go = sys.argv[1:6]
store = VaultStore(VaultLocations(Path(vault_dir), Path(keys_dir)))
while not Path(go).exists():
    time.sleep(0.005)
for i in range(int(count)):
    store.set("acme", f"w{writer}-e{i}", f"secret-{writer}-{i}")
"""


def test_concurrent_writers_lose_no_entries(filled: VaultStore, locations: VaultLocations,
                                            tmp_path: Path) -> None:
    writers, per_writer = 6, 15
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(locations.vault_dir),
                                   str(locations.keys_dir), str(w), str(per_writer), str(go)],
                                  env=env, stderr=subprocess.PIPE, text=True)
                 for w in range(writers)]
    try:
        time.sleep(0.3)  # let them all start and wait at the line
        go.touch()
        for process in processes:
            _, errors = process.communicate(timeout=120)
            assert process.returncode == 0, errors
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    names = {name for name, _ in filled.names("acme")}
    expected = {f"w{w}-e{i}" for w in range(writers) for i in range(per_writer)}
    assert expected <= names, f"lost: {sorted(expected - names)}"
    assert filled.get("acme", "w3-e7") == "secret-3-7"
    assert set(PLANTED) <= names


# ---------------------------------------------------------------- the helper for lab runs

def test_write_vault_plants_a_whole_vault(locations: VaultLocations,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    key = write_vault(locations.vault_dir, "acme", PLANTED)
    assert "encoded" not in repr(key) and key.encoded not in repr(key)
    monkeypatch.setenv(key_env_var("acme"), key.encoded)
    store = VaultStore(locations)
    assert {name: store.get("acme", name) for name in PLANTED} == PLANTED

    write_vault(locations.vault_dir, "globex", {"ssh": "pw"}, keys_dir=locations.keys_dir)
    assert store.get("globex", "ssh") == "pw"
    assert mode_of(locations.key_file("globex")) == 0o600
