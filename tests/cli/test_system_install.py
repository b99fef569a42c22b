"""The probe's system install, always under --root (the real /etc is never touched):
/etc/netdoc/netdoc.yaml at 0600 with absolute outputs in /var/lib/netdoc, vault keys
in /etc/netdoc/keys handed to the service by systemd credentials, and units that
systemd-analyze accepts."""
from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import netdoc_json
from netdoc.config import load_config


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_system_writes_the_fhs_layout(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    code, layout = netdoc_json(capsys, "init", "--system", "--root", str(root))
    assert code == 0
    config_path = root / "etc/netdoc/netdoc.yaml"
    assert layout["config"] == str(config_path)
    assert mode(config_path) == 0o600
    assert mode(root / "etc/netdoc/keys") == 0o700
    for folder in ("inventory", "config_backups", "vault"):
        assert mode(root / "var/lib/netdoc" / folder) == 0o700
    config = load_config(config_path)
    # outputs are absolute and in the state folder, never next to the read-only config
    assert config.output.inventory == root / "var/lib/netdoc/inventory"
    assert config.output.config_backups == root / "var/lib/netdoc/config_backups"
    assert config.vault.keys == root / "etc/netdoc/keys"
    # a second init refuses to overwrite
    code, again = netdoc_json(capsys, "init", "--system", "--root", str(root))
    assert code == 2 and "already exists" in again["error"]["message"]


def test_a_plain_init_is_private_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = netdoc_json(capsys, "init", str(tmp_path / "netdoc.yaml"))
    assert code == 0 and mode(tmp_path / "netdoc.yaml") == 0o600


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_install_timer_units_verify_and_carry_the_vault_keys(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    assert netdoc_json(capsys, "init", "--system", "--root", str(root))[0] == 0
    key = root / "etc/netdoc/keys/acme.key"
    key.write_text("not-a-real-key\n")
    key.chmod(0o600)
    config = root / "etc/netdoc/netdoc.yaml"
    code, result = netdoc_json(capsys, "install-timer", "--root", str(root),
                               "--config", str(config))
    assert code == 0 and result["enabled"] == [] and result["credentials"] == ["acme"]
    units = [Path(u) for u in result["units"]]
    assert {u.name for u in units} == {"netdoc-discover.service", "netdoc-discover.timer",
                                       "netdoc-backup.service", "netdoc-backup.timer",
                                       "netdoc-daemon.service", "netdoc-listen.service"}
    assert all(u.parent == root / "etc/systemd/system" for u in units)
    for service in ("netdoc-backup.service", "netdoc-discover.service", "netdoc-daemon.service",
                    "netdoc-listen.service"):
        text = (root / "etc/systemd/system" / service).read_text()
        assert f"--config {config} " in text
        assert f"LoadCredential=netdoc-vault-acme:{key}" in text
        assert "@" not in text.replace("@.", "")  # every placeholder filled
        docs = next(line for line in text.splitlines() if line.startswith("Documentation="))
        assert Path(docs.removeprefix("Documentation=file://")).is_file()
        assert "ReadWritePaths=" in text and str(root / "var/lib/netdoc/inventory") in text
    daemon = (root / "etc/systemd/system/netdoc-daemon.service").read_text()
    assert " daemon\n" in daemon and "ExecReload=" in daemon
    verify = subprocess.run(["systemd-analyze", "verify", *map(str, units)],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    assert verify.stderr.strip() == ""


def test_init_system_without_root_privileges_is_an_environment_error(tmp_path: Path) -> None:
    """Run as an unprivileged user (nobody) when we can; exit 4, not a traceback."""
    import os

    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to become an unprivileged user")
    done = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           sys.executable, "-m", "netdoc.app.cli", "init", "--system", "--json"],
                          capture_output=True, text=True, cwd="/")
    assert done.returncode == 4, done.stderr
    assert "as root (or with sudo)" in done.stdout
