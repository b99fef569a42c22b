"""Where a client's key comes from: the environment, a systemd credential, or an
owner-only key file; and that a key never shows up where it could leak."""
from __future__ import annotations

from pathlib import Path

import pytest

from netdoc.vault import (VaultError, VaultKey, VaultLocations, VaultStore, find_key,
                          key_env_var, write_key_file)


def test_environment_variable_names() -> None:
    assert key_env_var("acme") == "NETDOC_VAULT_KEY_ACME"
    assert key_env_var("acme-corp") == "NETDOC_VAULT_KEY_ACME_CORP"
    assert key_env_var("_shared") == "NETDOC_VAULT_KEY__SHARED"


@pytest.fixture
def three_keys(locations: VaultLocations, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, VaultKey]:
    keys = {kind: VaultKey.generate() for kind in ("env", "systemd", "file")}
    write_key_file(locations.key_file("acme"), keys["file"])
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o500)
    (credentials / "netdoc-vault-acme").write_text(keys["systemd"].encoded + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    monkeypatch.setenv("NETDOC_VAULT_KEY_ACME", keys["env"].encoded)
    return keys


def test_environment_wins_then_systemd_then_key_file(
        locations: VaultLocations, three_keys: dict[str, VaultKey],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in ("env", "systemd", "file"):
        found = find_key(locations, "acme")
        assert found is not None
        key, source = found
        assert (source.kind, key) == (kind, three_keys[kind])
        if kind == "env":
            monkeypatch.delenv("NETDOC_VAULT_KEY_ACME")
        elif kind == "systemd":
            monkeypatch.delenv("CREDENTIALS_DIRECTORY")


def test_a_systemd_credential_opens_the_vault(store: VaultStore, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """What a service with LoadCredential=netdoc-vault-acme:/etc/netdoc/keys/acme.key sees."""
    key = VaultKey.generate()
    credentials = tmp_path / "run-credentials"
    credentials.mkdir()
    (credentials / "netdoc-vault-acme").write_text(key.encoded)
    (credentials / "netdoc-vault-acme").chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    result = store.init("acme")
    assert not result.key_created and result.key_source.kind == "systemd"
    store.set("acme", "ssh", "from-systemd")
    assert store.get("acme", "ssh") == "from-systemd"


def test_a_key_that_is_not_a_key_is_refused_without_echoing_it(
        store: VaultStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETDOC_VAULT_KEY_ACME", "hunter2-not-a-key")
    with pytest.raises(VaultError) as caught:
        store.init("acme")
    assert "NETDOC_VAULT_KEY_ACME" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_key_never_shows_in_repr() -> None:
    key = VaultKey.generate()
    assert key.encoded not in repr(key) and key.encoded not in str(key)
    assert key.key_id in repr(key)


def test_the_key_id_does_not_contain_the_key() -> None:
    key = VaultKey.generate()
    assert key.key_id not in key.raw.hex() and key.key_id not in key.encoded
    assert VaultKey.decode(key.encoded + "\n", "test").key_id == key.key_id


def test_init_never_overwrites_a_key_file(store: VaultStore, tmp_path: Path) -> None:
    existing = tmp_path / "elsewhere.key"
    existing.write_text("keep me\n")
    with pytest.raises(VaultError, match="refusing to overwrite"):
        store.init("acme", key_file=existing)
    assert existing.read_text() == "keep me\n"
    assert not store.locations.vault_file("acme").exists()


def test_init_will_not_write_a_key_that_an_installed_one_would_shadow(
        store: VaultStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(key_env_var("acme"), VaultKey.generate().encoded)
    with pytest.raises(VaultError, match="already installed .environment variable "
                                         "NETDOC_VAULT_KEY_ACME."):
        store.init("acme", key_file=tmp_path / "new.key")
    assert not (tmp_path / "new.key").exists()
    assert not store.locations.vault_file("acme").exists()
