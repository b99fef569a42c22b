"""The declarative config model: every default is written once (in the dataclasses),
every declared limit is enforced by the one generic validator, and the config and
the vault can each be imported without the other."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest

from netdoc import config as model
from netdoc.config import (AlertSettings, BackupSettings, CentralSettings, DiscoverySettings,
                           HealthSettings, RunSettings, ScheduleSettings, parse_config)
from netdoc.errors import ConfigError

MINIMAL = """\
credentials:
  snmp: {snmp: {version: 2c, community: "env:C"}}
clients:
  acme:
    sites:
      hq: {subnets: [192.0.2.0/24], credentials: [snmp]}
"""


def parse(tmp_path: Path, text: str) -> model.Config:
    path = tmp_path / "netdoc.yaml"
    path.write_text(text)
    return parse_config(text, path)


def refuse(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, text)
    return caught.value


def fresh_interpreter(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.integration  # a fresh interpreter each: too slow for the unit tier
def test_the_config_imports_without_the_vault() -> None:
    assert fresh_interpreter("import sys, netdoc.config; "
                             "print('netdoc.vault' in sys.modules)") == "False"


@pytest.mark.integration  # a fresh interpreter each: too slow for the unit tier
def test_the_vault_imports_without_the_config() -> None:
    assert fresh_interpreter("import sys, netdoc.vault; "
                             "print('netdoc.config' in sys.modules)") == "False"


@pytest.mark.integration  # a fresh interpreter each: too slow for the unit tier
def test_a_vault_reference_reaches_the_vault_without_anyone_importing_it(
        tmp_path: Path) -> None:
    """The vault loads itself on the first `vault:` reference and looks in the folder the
    netdoc.yaml loaded last names: here an empty one, so the entry is reported missing
    (not "the vault is not available")."""
    (tmp_path / "netdoc.yaml").write_text(MINIMAL + "vault: {dir: myvaults, keys: mykeys}\n")
    out = fresh_interpreter(textwrap.dedent(f"""
        from pathlib import Path
        from netdoc.config import load_config
        from netdoc.errors import SecretError
        from netdoc.secrets import Secret
        load_config(Path({str(tmp_path / "netdoc.yaml")!r}))
        try:
            Secret("vault:acme/router").reveal()
        except SecretError as exc:
            print(type(exc).__name__, exc)
    """))
    assert "not available" not in out and "cannot be loaded" not in out
    assert out.startswith("Vault")  # a vault error: key or vault file missing


def test_absent_sections_take_the_declared_defaults(tmp_path: Path) -> None:
    config = parse(tmp_path, MINIMAL)
    assert config.discovery == DiscoverySettings()
    assert config.backup == BackupSettings()
    assert config.run == RunSettings()
    assert config.schedule == ScheduleSettings()
    assert config.health == HealthSettings()
    assert config.alerts == AlertSettings()
    assert config.central is None
    # folders default next to netdoc.yaml, not to the working directory
    assert config.output.inventory == tmp_path.resolve() / "inventory"
    assert config.vault.dir == tmp_path.resolve() / "vault" and config.vault.keys is None
    device_defaults = model.DeviceSeed(host="192.0.2.1")
    seeded = parse(tmp_path, MINIMAL.replace("credentials: [snmp]}",
                                             "credentials: [snmp], devices: [{host: 192.0.2.1}]}"))
    assert seeded.client("acme").sites[0].devices[0] == device_defaults


def _bounded_fields() -> list[tuple[tuple[str, ...], Any, float]]:
    """(key path, type, high limit) of every setting declared with a range."""
    found = []
    sections: list[tuple[tuple[str, ...], type]] = [
        (("discovery",), DiscoverySettings), (("discovery", "snmp"), model.SnmpSettings),
        (("backup",), BackupSettings), (("alerts",), AlertSettings)]
    for at, cls in sections:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.metadata.get("high") is not None:
                found.append((at + (f.name,), hints[f.name], f.metadata["high"]))
    return found


def _nest(at: tuple[str, ...], value: Any) -> str:
    text = f"{value}"
    for key in reversed(at):
        text = f"{{{key}: {text}}}"
    return text


@pytest.mark.parametrize("at, kind, high", _bounded_fields(),
                         ids=[".".join(f[0]) for f in _bounded_fields()])
def test_every_declared_limit_is_enforced(tmp_path: Path, at: tuple[str, ...], kind: Any,
                                          high: float) -> None:
    top = _nest(at[1:], high * 2 + 1)
    error = refuse(tmp_path, MINIMAL + f"{at[0]}: {top}\n")
    assert error.key == ".".join(at)
    assert f"to {high:g}" in str(error)
    if kind is int:
        error = refuse(tmp_path, MINIMAL + f"{at[0]}: {_nest(at[1:], 1.5)}\n")
        assert "a whole number" in str(error) and error.key == ".".join(at)


def test_an_unknown_nested_key_names_line_path_and_the_closest_key(tmp_path: Path) -> None:
    error = refuse(tmp_path, MINIMAL + "discovery:\n  snmp:\n    retires: 3\n")
    assert "unknown key 'retires'; did you mean 'retries'?" in str(error)
    assert error.key == "discovery.snmp.retires" and error.line == 9


def test_a_wrong_type_names_what_was_expected(tmp_path: Path) -> None:
    error = refuse(tmp_path, MINIMAL + "discovery: {reverse_dns: sometimes}\n")
    assert "invalid value 'sometimes'; expected true or false" in str(error)
    assert error.key == "discovery.reverse_dns" and error.line == 7
    error = refuse(tmp_path, MINIMAL + "alerts: {on: [new_device, coffee_ready]}\n")
    assert "invalid value 'coffee_ready'" in str(error) and "device_gone" in str(error)
    assert error.key == "alerts.on[1]"


def test_durations_take_units(tmp_path: Path) -> None:
    config = parse(tmp_path, MINIMAL + "run: {budget: 30m, lock_wait: 90}\n"
                                       "schedule: {backup: 1d}\n")
    assert config.run.budget == 1800 and config.run.lock_wait == 90
    assert config.schedule.backup == 86400 and config.schedule.discover == 3600
    error = refuse(tmp_path, MINIMAL + "run: {budget: soon}\n")
    assert "invalid duration 'soon'" in str(error) and error.key == "run.budget"


def test_central_files_are_relative_to_the_config(tmp_path: Path) -> None:
    config = parse(tmp_path, MINIMAL + "central: {remote: 'ssh://git@hub/{client}/{repo}', "
                                       "ssh_key: keys/probe}\n")
    assert config.central == CentralSettings(remote="ssh://git@hub/{client}/{repo}",
                                             ssh_key=str(tmp_path.resolve() / "keys/probe"))
    error = refuse(tmp_path, MINIMAL + "central: {ssh_key: k}\n")
    assert "'remote' is required" in str(error) and error.key == "central.remote"


def test_an_snmp_v3_key_without_its_protocol_is_ignored_as_before(tmp_path: Path) -> None:
    config = parse(tmp_path, MINIMAL.replace(
        "{snmp: {version: 2c, community: \"env:C\"}}",
        "{snmp: {version: 3, user: u, auth_key: \"env:K\"}}"))
    assert config.credentials["snmp"].snmp == model.SnmpCredential(version="3", user="u")

