"""netdoc.yaml and the vault: `vault:CLIENT/NAME` references resolve through
verify_secrets, the `vault:` section says where vaults and keys live, and a
reference that cannot resolve names the config key, the client and the entry."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netdoc.config import load_config, verify_secrets
from netdoc.errors import ConfigError, SecretError
from netdoc.vault import VaultKey, key_env_var, write_vault

CONFIG = """\
credentials:
  acme-snmp: {snmp: {version: 2c, community: "vault:acme/snmp-community"}}
  acme-ssh:  {ssh: {username: netdoc, password: "vault:acme/core-ssh",
                    enable: "vault:_shared/enable"}}
clients:
  acme:
    sites:
      hq:
        subnets: [192.0.2.0/24]
        credentials: [acme-snmp, acme-ssh]
"""


def write_config(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "netdoc.yaml"
    path.write_text(CONFIG + textwrap.dedent(extra))
    return path


def plant(vault_dir: Path, monkeypatch: pytest.MonkeyPatch,
          acme: dict[str, str] | None = None) -> None:
    for client, entries in (("acme", acme if acme is not None else
                             {"snmp-community": "planted-community",
                              "core-ssh": "planted-ssh"}),
                            ("_shared", {"enable": "planted-enable"})):
        key = write_vault(vault_dir, client, entries)
        monkeypatch.setenv(key_env_var(client), key.encoded)


def test_vault_references_resolve_next_to_the_config(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path / "etc")
    plant(tmp_path / "etc" / "vault", monkeypatch)
    config = load_config(path)
    assert config.vault.dir == (tmp_path / "etc" / "vault")
    assert config.warnings == (), "vault references are not plaintext"
    assert verify_secrets(config) == ["acme-snmp", "acme-ssh"]
    ssh = config.credentials["acme-ssh"].ssh
    assert ssh is not None and ssh.password is not None and ssh.enable is not None
    assert ssh.password.reveal() == "planted-ssh"
    assert ssh.enable.reveal() == "planted-enable", "the MSP-wide vault is its own client"
    assert "planted" not in repr(config)


def test_the_vault_section_moves_vaults_and_keys(tmp_path: Path) -> None:
    keys = tmp_path / "private-keys"
    key = VaultKey.generate()
    path = write_config(tmp_path / "etc", f"""\
        vault:
          dir: secrets/vaults
          keys: {keys}
        """)
    write_vault(tmp_path / "etc" / "secrets" / "vaults", "acme",
                {"snmp-community": "c", "core-ssh": "s"}, keys_dir=keys, key=key)
    write_vault(tmp_path / "etc" / "secrets" / "vaults", "_shared", {"enable": "e"},
                keys_dir=keys)
    config = load_config(path)
    assert config.vault.dir == tmp_path / "etc" / "secrets" / "vaults"
    assert config.vault.keys == keys
    assert verify_secrets(config) == ["acme-snmp", "acme-ssh"]


def test_the_environment_overrides_the_vault_folder(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path / "etc")
    plant(tmp_path / "elsewhere", monkeypatch)
    monkeypatch.setenv("NETDOC_VAULT_DIR", str(tmp_path / "elsewhere"))
    assert verify_secrets(load_config(path)) == ["acme-snmp", "acme-ssh"]


@pytest.mark.parametrize("section, hint", [
    ("vault: {dirs: x}", "unknown key 'dirs'; did you mean 'dir'?"),
    ("vaults: {dir: x}", "unknown key 'vaults'; did you mean 'vault'?"),
    ("vault: {dir: [a, b]}", "expected text"),
    ("vault: [x]", "expected a mapping"),
])
def test_a_bad_vault_section_is_refused_with_a_suggestion(tmp_path: Path, section: str,
                                                          hint: str) -> None:
    path = write_config(tmp_path, section + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert hint in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_entry_names_the_config_key_client_and_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path)
    plant(tmp_path / "vault", monkeypatch, acme={"snmp-community": "c"})
    with pytest.raises(SecretError) as caught:
        verify_secrets(load_config(path))
    message = str(caught.value)
    assert str(path) in message and "credentials.acme-ssh.ssh.password" in message
    assert "'core-ssh'" in message and "'acme'" in message
    assert "netdoc vault set acme/core-ssh" in message


def test_a_wrong_key_names_the_config_key_and_where_the_key_came_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path)
    plant(tmp_path / "vault", monkeypatch)
    monkeypatch.setenv(key_env_var("acme"), VaultKey.generate().encoded)
    with pytest.raises(SecretError) as caught:
        verify_secrets(load_config(path))
    message = str(caught.value)
    assert "credentials.acme-snmp.snmp.community" in message
    assert "NETDOC_VAULT_KEY_ACME" in message and "does not open" in message


def test_a_missing_key_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path)
    plant(tmp_path / "vault", monkeypatch)
    monkeypatch.delenv(key_env_var("acme"))
    with pytest.raises(SecretError) as caught:
        verify_secrets(load_config(path))
    assert "no key for client 'acme'" in str(caught.value)
    assert "NETDOC_VAULT_KEY_ACME" in str(caught.value)
