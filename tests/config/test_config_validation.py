"""netdoc.yaml validation: every bad input is refused before anything runs,
with a message that names the file, the key and the bad value."""
from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from netdoc.config import find_config, load_config, parse_config, verify_secrets
from netdoc.errors import ConfigError, SecretError

GOOD = """\
credentials:
  acme-snmp:  {snmp: {version: 2c, community: "env:ACME_SNMP"}}
  acme-snmp3: {snmp: {version: 3, user: netdoc, auth: sha, auth_key: "env:K1", priv: aes, priv_key: "env:K2"}}
  acme-ssh:   {ssh: {username: netdoc, password: "file:SECRETFILE", enable: "env:ACME_EN"}}
clients:
  acme:
    sites:
      hq:
        subnets: [192.0.2.0/24]
        exclude: [192.0.2.250/32]
        credentials: [acme-snmp3, acme-snmp, acme-ssh]
        devices:
          - {host: 192.0.2.1, name: core-sw, platform: cisco_ios, ssh_port: 22, snmp_port: 161}
"""


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "acme.pw"
    path.write_text("s3cret\n")
    path.chmod(0o600)
    return path


def write(tmp_path: Path, text: str, secret_file: Path | None = None) -> Path:
    path = tmp_path / "netdoc.yaml"
    path.write_text(text.replace("SECRETFILE", str(secret_file or "/nonexistent")))
    return path


def refuse(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    return caught.value


def test_the_documented_example_loads(tmp_path: Path, secret_file: Path) -> None:
    config = load_config(write(tmp_path, GOOD, secret_file))
    site = config.client("acme").sites[0]
    assert [str(s.network) for s in site.subnets] == ["192.0.2.0/24"]
    assert site.credentials == ("acme-snmp3", "acme-snmp", "acme-ssh")
    assert site.devices[0].name == "core-sw" and site.devices[0].platform == "cisco_ios"
    assert config.credentials["acme-snmp3"].snmp.priv == "aes"  # type: ignore[union-attr]
    assert config.warnings == ()


def test_secret_references_resolve(tmp_path: Path, secret_file: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ACME_SNMP": "public", "K1": "authkey12", "K2": "privkey12",
                        "ACME_EN": "enable"}.items():
        monkeypatch.setenv(name, value)
    config = load_config(write(tmp_path, GOOD, secret_file))
    assert verify_secrets(config) == ["acme-snmp", "acme-snmp3", "acme-ssh"]
    assert config.credentials["acme-ssh"].ssh.password.reveal() == "s3cret"  # type: ignore[union-attr]


def test_a_secret_never_shows_in_repr(tmp_path: Path, secret_file: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_SNMP", "topsecret-community")
    config = load_config(write(tmp_path, GOOD, secret_file))
    assert "topsecret-community" not in repr(config)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as caught:
        load_config(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(caught.value)


def test_lookup_order_prefers_the_explicit_path_then_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "netdoc.yaml").write_text(GOOD)
    other = tmp_path / "other.yaml"
    other.write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    assert find_config(None) == Path("netdoc.yaml")
    assert find_config(other) == other


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    error = refuse(tmp_path, "clients:\n  acme:\n    sites: [unclosed\n")
    assert "YAML syntax error" in str(error)
    assert error.line is not None and "column" in str(error)


def test_unknown_key_suggests_the_closest_valid_one(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD.replace("subnets:", "subnet:"))
    assert "unknown key 'subnet'" in str(error)
    assert "did you mean 'subnets'?" in str(error)
    assert error.key == "clients.acme.sites.hq.subnet"
    assert error.line == 9


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD + "credentails: {}\n")
    assert "unknown key 'credentails'" in str(error) and "'credentials'" in str(error)


@pytest.mark.parametrize("bad", ["192.0.2.300", "not-an-ip", "192.0.2"])
def test_invalid_device_ip(tmp_path: Path, bad: str) -> None:
    error = refuse(tmp_path, GOOD.replace("host: 192.0.2.1", f"host: {bad}"))
    assert f"invalid IP address {bad!r}" in str(error)
    assert error.key == "clients.acme.sites.hq.devices[0].host"


@pytest.mark.parametrize("bad", ["192.0.2.0/33", "192.0.2.1/24", "banana"])
def test_invalid_cidr(tmp_path: Path, bad: str) -> None:
    error = refuse(tmp_path, GOOD.replace("subnets: [192.0.2.0/24]", f"subnets: [{bad}]"))
    assert f"invalid CIDR {bad!r}" in str(error)
    assert error.key == "clients.acme.sites.hq.subnets[0]"


@pytest.mark.parametrize("bad", ["0", "65536", "'ssh'", "22.5"])
def test_invalid_port(tmp_path: Path, bad: str) -> None:
    error = refuse(tmp_path, GOOD.replace("ssh_port: 22", f"ssh_port: {bad}"))
    assert "invalid port" in str(error) and bad.strip("'") in str(error)
    assert error.key == "clients.acme.sites.hq.devices[0].ssh_port"


def test_subnet_larger_than_slash16_needs_allow_large(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD.replace("subnets: [192.0.2.0/24]", "subnets: [198.0.0.0/15]"))
    assert "198.0.0.0/15" in str(error) and "allow_large: true" in str(error)
    allowed = GOOD.replace("subnets: [192.0.2.0/24]",
                           "subnets: [{cidr: 198.0.0.0/15, allow_large: true}]")
    config = load_config(write(tmp_path, allowed))
    assert config.client("acme").sites[0].subnets[0].allow_large


def test_overlapping_subnets_in_one_site(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD.replace("subnets: [192.0.2.0/24]",
                                          "subnets: [192.0.2.0/24, 192.0.2.128/25]"))
    assert "192.0.2.128/25 overlaps 192.0.2.0/24" in str(error)
    assert error.key == "clients.acme.sites.hq.subnets[1]"


def test_same_subnet_in_two_clients_is_fine(tmp_path: Path) -> None:
    two = GOOD + textwrap.indent(textwrap.dedent("""\
        globex:
          sites:
            office:
              subnets: [192.0.2.0/24]
              credentials: [acme-snmp]
        """), "  ")
    config = load_config(write(tmp_path, two))
    assert sorted(config.clients) == ["acme", "globex"]


def test_undefined_credential_name(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD.replace("[acme-snmp3, acme-snmp, acme-ssh]",
                                          "[acme-snmp3, acme-snpm, acme-ssh]"))
    assert "credential set 'acme-snpm' is not defined" in str(error)
    assert "did you mean 'acme-snmp" in str(error)
    assert error.key == "clients.acme.sites.hq.credentials[1]"


def test_unresolvable_env_reference(tmp_path: Path, secret_file: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACME_SNMP", "K1", "K2", "ACME_EN"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(write(tmp_path, GOOD, secret_file))
    with pytest.raises(SecretError) as caught:
        verify_secrets(config)
    assert "'ACME_SNMP'" in str(caught.value)
    assert "credentials.acme-snmp.snmp.community" in str(caught.value)
    assert str(config.path) in str(caught.value)


def test_unresolvable_file_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ACME_SNMP": "p", "K1": "k1k1k1k1", "K2": "k2k2k2k2", "ACME_EN": "e"}.items():
        monkeypatch.setenv(name, value)
    config = load_config(write(tmp_path, GOOD, tmp_path / "missing.pw"))
    with pytest.raises(SecretError) as caught:
        verify_secrets(config)
    assert "missing.pw" in str(caught.value) and "does not exist" in str(caught.value)
    assert "credentials.acme-ssh.ssh.password" in str(caught.value)


def test_world_readable_secret_file_is_refused(tmp_path: Path, secret_file: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ACME_SNMP": "p", "K1": "k1k1k1k1", "K2": "k2k2k2k2", "ACME_EN": "e"}.items():
        monkeypatch.setenv(name, value)
    secret_file.chmod(0o644)
    config = load_config(write(tmp_path, GOOD, secret_file))
    with pytest.raises(SecretError, match="readable by everyone"):
        verify_secrets(config)


def test_plaintext_secret_is_accepted_with_a_warning_naming_the_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD.replace('"env:ACME_SNMP"', "public")))
    assert any("credentials.acme-snmp.snmp.community" in w and "plaintext" in w
               for w in config.warnings)
    assert "public" not in " ".join(config.warnings)


def test_duplicate_client_names(tmp_path: Path) -> None:
    dup = GOOD + "  ACME:\n    sites: {}\n"
    error = refuse(tmp_path, dup)
    assert "duplicate client name 'ACME'" in str(error)


def test_duplicate_device_names_within_a_client(tmp_path: Path) -> None:
    dup = GOOD + "          - {host: 192.0.2.2, name: core-sw}\n"
    error = refuse(tmp_path, dup)
    assert "duplicate device name 'core-sw'" in str(error)
    assert error.key == "clients.acme.sites.hq.devices[1].name"


def test_snmp_v3_without_user(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD.replace("user: netdoc, auth: sha", "auth: sha"))
    assert "SNMP v3 needs a user" in str(error)


def test_snmp_version_must_be_known(tmp_path: Path) -> None:
    error = refuse(tmp_path, GOOD.replace("version: 2c", "version: 4"))
    assert "invalid value '4'" in str(error) and "1, 2c, 3" in str(error)
    assert error.key == "credentials.acme-snmp.snmp.version"


def test_no_clients(tmp_path: Path) -> None:
    error = refuse(tmp_path, "credentials: {}\n")
    assert "at least one client" in str(error)


def test_relative_output_folders_are_relative_to_the_config_file(tmp_path: Path) -> None:
    config = parse_config(GOOD + "output: {inventory: inv}\n", tmp_path / "netdoc.yaml")
    assert config.inventory_dir("acme") == tmp_path.resolve() / "inv" / "acme"
    assert config.backups_dir("acme") == tmp_path.resolve() / "config_backups" / "acme"
