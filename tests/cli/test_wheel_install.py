"""The system install from the built wheel (not the source tree): init --system under
--root, the units verified by systemd-analyze, and a run as an unprivileged service
user writing the outputs. Only the render stage runs: nothing is swept."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = ("import sys; sys.path.insert(0, sys.argv[1]); import netdoc.app.cli as c; "
          "assert c.__file__.startswith(sys.argv[1]), c.__file__; "
          "sys.exit(c.main(sys.argv[2:]))")
SECRETS = {"ACME_SNMP_AUTH": "auth-key-123", "ACME_SNMP_PRIV": "priv-key-123",
           "ACME_SNMP": "community-123", "ACME_SSH": "ssh-123", "ACME_ENABLE": "enable-123"}


@pytest.fixture(scope="module")
def wheel_site() -> Iterator[Path]:
    """The wheel built from this checkout, unpacked where every user can read it."""
    top = Path(tempfile.mkdtemp(prefix="netdoc-wheel-", dir="/tmp"))
    try:
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                                "--no-build-isolation", "-q", "-w", str(top / "dist"),
                                str(REPO)], capture_output=True, text=True, timeout=300)
        if built.returncode != 0:
            pytest.skip(f"cannot build a wheel here: {built.stderr.strip()[-300:]}")
        [wheel] = (top / "dist").glob("netdoc-*.whl")
        site = top / "site"
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
        for path in [top, *top.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield site
    finally:
        shutil.rmtree(top, ignore_errors=True)


def netdoc(site: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}",
              "--clear-groups"] if user else []
    env = {**os.environ, **SECRETS, "HOME": "/tmp"}
    return subprocess.run([*prefix, sys.executable, "-c", RUNNER, str(site), *args],
                          capture_output=True, text=True, timeout=120, cwd="/", env=env)


def test_the_wheel_carries_the_units(wheel_site: Path) -> None:
    units = {p.name for p in (wheel_site / "netdoc" / "data" / "systemd").iterdir()}
    assert {"netdoc-backup.service", "netdoc-backup.timer", "netdoc-discover.service",
            "netdoc-discover.timer", "netdoc-daemon.service", "README.md"} <= units


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None
                    or shutil.which("systemd-analyze") is None,
                    reason="needs root, setpriv and systemd-analyze")
def test_system_install_from_the_wheel_and_a_run_as_the_service_user(wheel_site: Path) -> None:
    top = Path(tempfile.mkdtemp(prefix="netdoc-root-", dir="/tmp"))
    try:
        top.chmod(0o755)
        root = top / "root"
        done = netdoc(wheel_site, "init", "--system", "--root", str(root))
        assert done.returncode == 0, done.stderr
        config = root / "etc/netdoc/netdoc.yaml"
        done = netdoc(wheel_site, "install-timer", "--root", str(root), "--config", str(config))
        assert done.returncode == 0, done.stderr
        units = sorted((root / "etc/systemd/system").iterdir())
        for unit in units:
            docs = [line for line in unit.read_text().splitlines()
                    if line.startswith("Documentation=")]
            assert all(line.startswith(f"Documentation=file://{wheel_site}/") for line in docs)
        verify = subprocess.run(["systemd-analyze", "verify", *map(str, units)],
                                capture_output=True, text=True)
        assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
        # no seed device: check --connect must not contact anything from this machine
        text = config.read_text()
        seed = "          - {host: 192.0.2.1, name: core-sw, platform: cisco_ios}\n"
        assert seed in text
        config.write_text(text.replace(seed, "").replace("        devices:", "        #"))
        assert "host:" not in config.read_text()
        # the service user (nobody stands in for netdoc) owns its config and outputs
        nobody = pwd.getpwnam("nobody")
        for path in [root / "etc", root / "etc/netdoc", config, root / "var", root / "var/lib",
                     *(root / "var/lib/netdoc").rglob("*"), root / "var/lib/netdoc"]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        done = netdoc(wheel_site, "--config", str(config), "check", "--connect",
                      "--client", "acme", user="nobody")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "output.inventory" in done.stdout and "writable by user nobody" in done.stdout
        assert "PROBLEM output" not in done.stdout, done.stdout
        done = netdoc(wheel_site, "--config", str(config), "run", "--stages", "render",
                      user="nobody")
        assert done.returncode == 0, done.stderr
        report = root / "var/lib/netdoc/inventory/acme/last-run.json"
        assert report.stat().st_uid == nobody.pw_uid
    finally:
        shutil.rmtree(top, ignore_errors=True)
