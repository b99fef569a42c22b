"""`netdoc vault` as a technician uses it: secrets go in at a prompt that does
not echo or through --stdin, never on the command line, and come out only with
--reveal. Every test runs the real command in a subprocess."""
from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest

from netdoc.vault import VaultKey, VaultLocations, VaultStore, key_env_var, read_key_file
from vault_helpers import netdoc_env, run_netdoc

SECRET = "c0rrect horse-battery:staple"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No netdoc.yaml anywhere: the folders come from the environment."""
    return netdoc_env(tmp_path, NETDOC_VAULT_DIR=str(tmp_path / "vault"),
                      NETDOC_VAULT_KEYS_DIR=str(tmp_path / "keys"))


@pytest.fixture
def acme(tmp_path: Path, env: dict[str, str]) -> VaultLocations:
    done = run_netdoc(["vault", "init", "acme"], tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return VaultLocations(tmp_path / "vault", tmp_path / "keys")


def netdoc(tmp_path: Path, env: dict[str, str], *args: str, stdin: str = "") \
        -> tuple[int, str, str]:
    done = run_netdoc(list(args), tmp_path, env=env, stdin=stdin)
    return done.returncode, done.stdout, done.stderr


def test_init_creates_an_owner_only_vault_and_key(tmp_path: Path, env: dict[str, str]) -> None:
    code, out, _ = netdoc(tmp_path, env, "vault", "init", "acme")
    assert code == 0
    key_file = tmp_path / "keys" / "acme.key"
    assert f"new key written to {key_file}" in out
    assert read_key_file(key_file).encoded not in out, "the key itself is never printed"
    assert (tmp_path / "vault" / "acme.vault").stat().st_mode & 0o777 == 0o600
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_set_from_stdin_then_get_with_reveal(tmp_path: Path, env: dict[str, str],
                                             acme: VaultLocations) -> None:
    code, out, _ = netdoc(tmp_path, env, "vault", "set", "acme/core-ssh", "--stdin",
                          stdin=SECRET + "\n")
    assert code == 0 and '"vault:acme/core-ssh"' in out and SECRET not in out
    code, out, _ = netdoc(tmp_path, env, "vault", "get", "acme/core-ssh", "--reveal")
    assert (code, out) == (0, SECRET + "\n")


def test_get_without_reveal_refuses_and_prints_nothing_secret(
        tmp_path: Path, env: dict[str, str], acme: VaultLocations) -> None:
    netdoc(tmp_path, env, "vault", "set", "acme/core-ssh", "--stdin", stdin=SECRET)
    code, out, err = netdoc(tmp_path, env, "vault", "get", "acme/core-ssh")
    assert code == 2 and "--reveal" in err
    assert SECRET not in out + err


def test_a_secret_on_the_command_line_is_refused_not_stored_not_repeated(
        tmp_path: Path, env: dict[str, str], acme: VaultLocations) -> None:
    code, out, err = netdoc(tmp_path, env, "vault", "set", "acme/core-ssh", SECRET)
    assert code == 2 and "never takes the secret on the command line" in err
    assert SECRET not in out + err
    code, out, _ = netdoc(tmp_path, env, "vault", "list", "acme")
    assert (code, out) == (0, ""), "nothing was stored"


def test_list_shows_names_never_values(tmp_path: Path, env: dict[str, str],
                                       acme: VaultLocations) -> None:
    for name in ("snmp", "core-ssh"):
        netdoc(tmp_path, env, "vault", "set", f"acme/{name}", "--stdin", stdin=SECRET + name)
    code, out, _ = netdoc(tmp_path, env, "vault", "list", "acme")
    assert (code, out) == (0, "core-ssh\nsnmp\n")
    code, out, _ = netdoc(tmp_path, env, "--json", "vault", "list", "acme")
    assert code == 0 and SECRET not in out
    assert [e["name"] for e in json.loads(out)["result"][0]["entries"]] == ["core-ssh", "snmp"]


def test_list_of_all_vaults_tolerates_a_missing_key(tmp_path: Path, env: dict[str, str],
                                                    acme: VaultLocations) -> None:
    netdoc(tmp_path, env, "vault", "set", "acme/snmp", "--stdin", stdin=SECRET)
    netdoc(tmp_path, env, "vault", "init", "globex")
    (tmp_path / "keys" / "globex.key").unlink()  # this technician does not serve globex
    code, out, _ = netdoc(tmp_path, env, "vault", "list")
    assert code == 0
    assert "acme: snmp" in out and "globex: cannot open (no key for client 'globex'" in out


def test_remove_and_a_missing_entry(tmp_path: Path, env: dict[str, str],
                                    acme: VaultLocations) -> None:
    netdoc(tmp_path, env, "vault", "set", "acme/old", "--stdin", stdin=SECRET)
    assert netdoc(tmp_path, env, "vault", "remove", "acme/old")[0] == 0
    code, _, err = netdoc(tmp_path, env, "vault", "remove", "acme/old")
    assert code == 2 and "no entry 'old' in the vault of client 'acme'" in err


def test_empty_stdin_stores_nothing(tmp_path: Path, env: dict[str, str],
                                    acme: VaultLocations) -> None:
    code, _, err = netdoc(tmp_path, env, "vault", "set", "acme/x", "--stdin", stdin="")
    assert code == 2 and "nothing was stored" in err


def test_without_a_terminal_set_asks_for_stdin(tmp_path: Path, env: dict[str, str],
                                               acme: VaultLocations) -> None:
    code, _, err = netdoc(tmp_path, env, "vault", "set", "acme/x", stdin=SECRET)
    assert code == 2 and "--stdin" in err and SECRET not in err


def run_on_terminal(args: list[str], env: dict[str, str], cwd: Path,
                    answers: list[str]) -> tuple[int, str]:
    """Run netdoc on a pseudo-terminal, answering each prompt; return exit code and screen."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: netdoc with the pty as its controlling terminal
        os.chdir(cwd)
        os.execve(sys.executable, [sys.executable, "-m", "netdoc.app.cli", *args], env)
    screen = b""
    pending = list(answers)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            if pending and screen.rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                screen += b"<answered>"
        _, status = os.waitpid(pid, 0)
        pid = 0
        return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")
    finally:
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)


def test_the_prompt_does_not_echo(tmp_path: Path, env: dict[str, str], acme: VaultLocations,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code, screen = run_on_terminal(["vault", "set", "acme/core-ssh"], env, tmp_path,
                                   [SECRET, SECRET])
    assert code == 0, screen
    assert "secret for acme/core-ssh (not echoed):" in screen and "again" in screen
    assert SECRET not in screen, "the terminal must not echo the secret"
    assert VaultStore(acme).get("acme", "core-ssh") == SECRET


def test_a_mistyped_confirmation_stores_nothing(tmp_path: Path, env: dict[str, str],
                                                acme: VaultLocations) -> None:
    code, screen = run_on_terminal(["vault", "set", "acme/core-ssh"], env, tmp_path,
                                   [SECRET, SECRET + "typo"])
    assert code == 2 and "differ; nothing was stored" in screen
    assert netdoc(tmp_path, env, "vault", "list", "acme")[1] == "", "nothing was stored"


def test_rotate_cuts_off_the_old_key(tmp_path: Path, env: dict[str, str],
                                     acme: VaultLocations) -> None:
    netdoc(tmp_path, env, "vault", "set", "acme/core-ssh", "--stdin", stdin=SECRET)
    old_key = read_key_file(acme.key_file("acme"))
    code, out, _ = netdoc(tmp_path, env, "vault", "rotate", "acme")
    assert code == 0 and "the old key no longer opens it" in out
    new_key = read_key_file(acme.key_file("acme"))
    assert new_key != old_key and new_key.encoded not in out
    backups = list((tmp_path / "vault" / "backups").glob("acme-*.vault"))
    assert len(backups) == 1 and str(backups[0]) in out

    leaver = {**env, key_env_var("acme"): old_key.encoded}
    code, out, err = netdoc(tmp_path, leaver, "vault", "get", "acme/core-ssh", "--reveal")
    assert code == 2 and "does not open" in err and SECRET not in out + err
    code, out, _ = netdoc(tmp_path, env, "vault", "get", "acme/core-ssh", "--reveal")
    assert (code, out) == (0, SECRET + "\n")


def test_a_damaged_vault_is_an_error_and_stays_as_it_is(tmp_path: Path, env: dict[str, str],
                                                        acme: VaultLocations) -> None:
    vault_file = acme.vault_file("acme")
    vault_file.write_bytes(vault_file.read_bytes()[:-40])
    before = vault_file.read_bytes()
    code, _, err = netdoc(tmp_path, env, "vault", "set", "acme/x", "--stdin", stdin=SECRET)
    assert code == 2 and "damaged" in err and "acme" in err
    assert vault_file.read_bytes() == before


def test_the_vault_lives_next_to_netdoc_yaml(tmp_path: Path) -> None:
    config = tmp_path / "site" / "netdoc.yaml"
    config.parent.mkdir()
    config.write_text("clients: {acme: {sites: {hq: {subnets: [192.0.2.0/24]}}}}\n")
    done = run_netdoc(["--config", str(config), "vault", "init", "acme"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "vault" / "acme.vault").is_file()
    assert (tmp_path / "xdg-config" / "netdoc" / "keys" / "acme.key").is_file(), \
        "keys default to the technician's own ~/.config/netdoc/keys"


def test_without_config_or_vault_dir_the_error_says_what_to_do(tmp_path: Path) -> None:
    done = run_netdoc(["vault", "list"], tmp_path)
    assert done.returncode == 2
    assert "--config" in done.stderr and "NETDOC_VAULT_DIR" in done.stderr


def test_init_with_a_key_provisioned_in_the_environment(tmp_path: Path,
                                                        env: dict[str, str]) -> None:
    key = VaultKey.generate()
    code, out, _ = netdoc(tmp_path, {**env, key_env_var("acme"): key.encoded},
                          "vault", "init", "acme")
    assert code == 0 and "existing key from environment variable NETDOC_VAULT_KEY_ACME" in out
    assert not (tmp_path / "keys" / "acme.key").exists()
