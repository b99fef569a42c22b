"""`netdoc check` warns about everything that lets someone other than netdoc's
user read a client's secrets or data, and names the command that fixes it."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from netdoc.app.cli import main
from netdoc.vault import key_env_var, write_vault
from vault_helpers import netdoc_env, run_netdoc

CONFIG = """\
credentials:
  acme-snmp: {snmp: {version: 2c, community: "file:SECRET_FILE"}}
  acme-ssh:  {ssh: {username: netdoc, password: "vault:acme/ssh", key_file: "SSH_KEY"}}
  globex-ssh: {ssh: {username: netdoc, password: "vault:GLOBEX_VAULT/ssh"}}
clients:
  acme:
    sites: {hq: {subnets: [192.0.2.0/24], credentials: [acme-snmp, acme-ssh]}}
  globex:
    sites: {hq: {subnets: [198.51.100.0/24], credentials: [globex-ssh]}}
output: {inventory: out/inventory, config_backups: out/config_backups}
vault: {keys: KEYS}
"""


class Site:
    """A probe's files, all owner-only to start with."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch,
                 globex_vault: str = "globex") -> None:
        self.root = root
        self.secret_file = root / "acme-community"
        self.ssh_key = root / "id_netdoc"
        self.keys = root / "keys"
        self.config = root / "netdoc.yaml"
        self.secret_file.write_text("community\n")
        self.ssh_key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
        for path in (self.secret_file, self.ssh_key):
            path.chmod(0o600)
        self.keys.mkdir(mode=0o700)
        for client in ("acme", "globex"):
            key = write_vault(root / "vault", client, {"ssh": f"{client}-pw"})
            monkeypatch.setenv(key_env_var(client), key.encoded)
        for folder in ("inventory", "config_backups"):
            for client in ("", "acme", "globex"):
                (root / "out" / folder / client).mkdir(parents=True, exist_ok=True)
                (root / "out" / folder / client).chmod(0o700)
        self.write(CONFIG.replace("GLOBEX_VAULT", globex_vault))

    def write(self, text: str) -> None:
        self.config.write_text(text.replace("SECRET_FILE", str(self.secret_file))
                               .replace("SSH_KEY", str(self.ssh_key))
                               .replace("KEYS", str(self.keys)))

    def warnings(self, capsys: pytest.CaptureFixture[str]) -> list[str]:
        assert main(["--config", str(self.config), "--json", "check"]) == 0
        report: list[str] = json.loads(capsys.readouterr().out)["warnings"]
        return report


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    return Site(tmp_path, monkeypatch)


def the_warning(warnings: list[str], *needles: str) -> str:
    found = [w for w in warnings if all(n in w for n in needles)]
    assert len(found) == 1, f"expected one warning with {needles}, got {warnings}"
    return found[0]


def test_an_owner_only_site_has_no_warnings(site: Site,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert site.warnings(capsys) == []


def test_a_secret_file_others_can_read(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.secret_file.chmod(0o640)
    warning = the_warning(site.warnings(capsys), str(site.secret_file))
    assert "credentials.acme-snmp.snmp.community" in warning and "its group" in warning
    assert f"chmod 600 {site.secret_file}" in warning


def test_an_ssh_key_others_can_read(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.ssh_key.chmod(0o644)
    warning = the_warning(site.warnings(capsys), "credentials.acme-ssh.ssh.key_file")
    assert "group and others" in warning and f"chmod 600 {site.ssh_key}" in warning


def test_vault_keys_others_can_read(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    loose = site.keys / "initech.key"
    loose.write_text("not checked for content\n")
    loose.chmod(0o644)
    site.keys.chmod(0o755)
    warnings = site.warnings(capsys)
    assert "chmod 600" in the_warning(warnings, str(loose))
    assert "netdoc vault rotate initech" in the_warning(warnings, str(loose))
    assert f"chmod 700 {site.keys}" in the_warning(warnings, "keys folder")


def test_output_folders_others_can_enter(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    exposed = [site.root / "out" / "inventory", site.root / "out" / "config_backups" / "acme"]
    for folder in exposed:
        folder.chmod(0o755)
    warnings = site.warnings(capsys)
    assert len(warnings) == 2
    for folder in exposed:
        assert f"chmod -R go-rwx {folder}" in the_warning(warnings, f"output folder {folder} ")


def test_plaintext_secrets_in_a_readable_netdoc_yaml(site: Site,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    site.write(CONFIG.replace('"file:SECRET_FILE"', "public").replace("GLOBEX_VAULT", "globex"))
    site.config.chmod(0o644)
    warnings = site.warnings(capsys)
    assert "plaintext secret" in the_warning(warnings, "credentials.acme-snmp.snmp.community")
    assert f"chmod 600 {site.config}" in the_warning(warnings, "holds plaintext secrets")
    site.config.chmod(0o600)
    assert not [w for w in site.warnings(capsys) if "holds plaintext" in w]


def test_one_client_borrowing_anothers_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    site = Site(tmp_path, monkeypatch, globex_vault="acme")
    warning = the_warning(site.warnings(capsys), "client 'globex'")
    assert "vault:acme/ssh" in warning and "needs acme's vault key" not in warning
    assert "need acme's vault key" in warning and "vault:_shared/" in warning


def test_the_shared_vault_is_not_borrowing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    site = Site(tmp_path, monkeypatch, globex_vault="_shared")
    key = write_vault(tmp_path / "vault", "_shared", {"ssh": "msp-wide"})
    monkeypatch.setenv(key_env_var("_shared"), key.encoded)
    assert site.warnings(capsys) == []


def test_check_on_the_command_line_prints_the_warnings(site: Site) -> None:
    site.secret_file.chmod(0o640)
    keys = {key_env_var(c): os.environ[key_env_var(c)] for c in ("acme", "globex")}
    done = run_netdoc(["--config", str(site.config), "check"], site.root,
                      env=netdoc_env(site.root, **keys))
    assert done.returncode == 0, done.stderr
    assert f"warning: {site.config}: credentials.acme-snmp.snmp.community reads " \
           f"{site.secret_file}" in done.stdout
