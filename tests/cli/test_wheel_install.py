"""The system install from the built wheel, as a probe gets it (issue 15): the wheel is
built from this checkout and installed into a fresh virtual environment outside it;
only that environment's `netdoc` command is run, from `/`, never the source tree.

    init --system --root DIR      the FHS layout under DIR
    install-timer --root DIR      the units, checked by `systemd-analyze verify`
    check --connect               as the service user, at the lab's probe: every seed's
                                  SNMP and SSH, the outputs' writability
    run                           as the service user with the unit's one capability
                                  (CAP_NET_RAW): discover, back up and render the lab

`nobody` stands in for the service user `netdoc` (creating users is not a test's
business). The dependencies of the fresh environment come from the test environment
through a .pth line, so no package index is needed; netdoc itself (code, profiles,
templates, unit files) comes from the wheel alone, which the tests check.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.integration  # builds a wheel and a venv: seconds, not the unit tier
REPO = Path(__file__).resolve().parents[2]
SECRETS = {"ACME_SNMP_AUTH": "auth-key-123", "ACME_SNMP_PRIV": "priv-key-123",
           "ACME_SNMP": "community-123", "ACME_SSH": "ssh-123", "ACME_ENABLE": "enable-123"}
UNITS = {"netdoc-backup.service", "netdoc-backup.timer", "netdoc-discover.service",
         "netdoc-discover.timer", "netdoc-daemon.service", "netdoc-listen.service"}
SERVICE_USER = "nobody"
SKIPPED_AT_TOP = {".git", ".venv", "build", "dist", "tests", "test-artifacts", "inventory",
                  "config_backups", "benchmarks"}  # build artifacts, data, what is no package
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("systemd-analyze")
    is None, reason="needs root, setpriv and systemd-analyze")


class WheelVenv:
    def __init__(self, top: Path, wheel: Path) -> None:
        self.top = top
        self.wheel = wheel
        self.venv = top / "venv"
        self.netdoc = self.venv / "bin" / "netdoc"  # the wheel's console script

    @property
    def site_packages(self) -> Path:
        found = list((self.venv / "lib").glob("python3*/site-packages"))
        assert len(found) == 1, found
        return found[0]

    def run(self, *args: str, user: str | None = None, netns: str | None = None,
            env: dict[str, str] | None = None, cwd: str = "/",
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """The installed netdoc, optionally inside a lab namespace and as an unprivileged
        user holding only CAP_NET_RAW, as netdoc-backup.service runs it."""
        prefix = ["ip", "netns", "exec", netns] if netns else []
        if user:
            prefix += ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}",
                       "--clear-groups", "--inh-caps=+net_raw", "--ambient-caps=+net_raw"]
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        return subprocess.run([*prefix, str(self.netdoc), *args], capture_output=True,
                              text=True, timeout=timeout, cwd=cwd,
                              env={**clean, **SECRETS, "HOME": "/tmp", **(env or {})})


@pytest.fixture(scope="module")
def wheel_venv() -> Iterator[WheelVenv]:
    """The wheel built from this checkout, installed in a fresh venv every user can read."""
    top = Path(tempfile.mkdtemp(prefix="netdoc-wheel-", dir="/tmp"))
    try:
        # built from a clean copy, as CI builds a fresh checkout: setuptools would reuse a
        # stale build/ folder of this checkout and ship modules that no longer exist
        source = top / "source"
        shutil.copytree(REPO, source, ignore=lambda folder, names: [
            n for n in names if n == "__pycache__" or n.endswith(".egg-info") or
            (Path(folder) == REPO and n in SKIPPED_AT_TOP)])
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                                "--no-build-isolation", "-q", "-w", str(top / "dist"),
                                str(source)], capture_output=True, text=True, timeout=300)
        if built.returncode != 0:
            pytest.skip(f"cannot build a wheel here: {built.stderr.strip()[-300:]}")
        [wheel] = (top / "dist").glob("netdoc-*.whl")
        installed = WheelVenv(top, wheel)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(installed.venv)],
                       check=True, timeout=120)
        done = subprocess.run([sys.executable, "-m", "pip", "--python",
                               str(installed.venv / "bin" / "python"), "install", "--no-deps",
                               "--no-index", "-q", str(wheel)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        # the dependencies (netmiko, pysnmp, ...) from this test environment: after the
        # fresh venv's own site-packages, so netdoc is imported from the wheel
        deps = Path(sysconfig.get_paths()["purelib"])
        (installed.site_packages / "zz-netdoc-test-dependencies.pth").write_text(f"{deps}\n")
        for path in [top, *top.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
        yield installed
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def system_root() -> Iterator[Path]:
    """A folder every user can traverse, standing in for / (init --system --root)."""
    top = Path(tempfile.mkdtemp(prefix="netdoc-root-", dir="/tmp"))
    try:
        top.chmod(0o755)
        yield top / "root"
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_wheel_carries_code_profiles_templates_and_units(wheel_venv: WheelVenv) -> None:
    with zipfile.ZipFile(wheel_venv.wheel) as archive:
        names = set(archive.namelist())
    assert {f"netdoc/data/systemd/{u}" for u in UNITS} <= names
    assert {"netdoc/templates/index.html.j2", "netdoc/templates/netdoc.css",
            "netdoc/platforms/cisco_ios.yaml", "netdoc/lab/default.yaml"} <= names
    assert not any(n.startswith(("tests/", "collectors/")) for n in names)
    done = wheel_venv.run("--help")
    assert done.returncode == 0, done.stderr
    where = subprocess.run([str(wheel_venv.venv / "bin" / "python"), "-c",
                            "import netdoc, netdoc.render.stage; print(netdoc.__file__)"],
                           capture_output=True, text=True, cwd="/",
                           env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert where.stdout.strip().startswith(str(wheel_venv.site_packages)), where


def init_and_units(wheel_venv: WheelVenv, root: Path) -> tuple[Path, list[Path]]:
    """init --system and install-timer from the wheel; the units verified."""
    done = wheel_venv.run("init", "--system", "--root", str(root))
    assert done.returncode == 0, done.stderr
    config = root / "etc/netdoc/netdoc.yaml"
    assert config.stat().st_mode & 0o777 == 0o600
    done = wheel_venv.run("--json", "install-timer", "--root", str(root), "--config",
                          str(config))
    assert done.returncode == 0, done.stderr
    units = sorted(Path(u) for u in json.loads(done.stdout)["units"])
    assert {u.name for u in units} == UNITS
    for unit in units:
        docs = [line for line in unit.read_text().splitlines()
                if line.startswith("Documentation=")]
        assert all(line.startswith(f"Documentation=file://{wheel_venv.site_packages}/")
                   for line in docs)
        if unit.suffix == ".service":
            assert docs and f"ExecStart={wheel_venv.netdoc.resolve()} --config {config} " in \
                unit.read_text()
    verify = subprocess.run(["systemd-analyze", "verify", *map(str, units)],
                            capture_output=True, text=True)
    assert verify.returncode == 0 and verify.stderr.strip() == "", verify.stderr
    return config, units


def hand_to_service_user(root: Path, config: Path) -> pwd.struct_passwd:
    """The service user owns its configuration and the state folder (as init --system
    does for the real `netdoc` user)."""
    user = pwd.getpwnam(SERVICE_USER)
    for path in [root / "etc", root / "etc/netdoc", config, root / "var", root / "var/lib",
                 root / "var/lib/netdoc", *(root / "var/lib/netdoc").rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid)
    return user


@needs_root
def test_system_install_from_the_wheel_and_a_render_run_as_the_service_user(
        wheel_venv: WheelVenv, system_root: Path) -> None:
    """Without the lab: nothing is swept, only the render stage runs."""
    root = system_root
    config, _ = init_and_units(wheel_venv, root)
    # no seed device: check --connect must not contact anything from this machine
    text = config.read_text()
    seed = "          - {host: 192.0.2.1, name: core-sw, platform: cisco_ios}\n"
    assert seed in text
    config.write_text(text.replace(seed, "").replace("        devices:", "        #"))
    assert "host:" not in config.read_text()
    nobody = hand_to_service_user(root, config)
    done = wheel_venv.run("--config", str(config), "check", "--connect", "--client", "acme",
                          user=SERVICE_USER)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "output.inventory" in done.stdout and f"writable by user {SERVICE_USER}" in \
        done.stdout
    assert "PROBLEM output" not in done.stdout, done.stdout
    done = wheel_venv.run("--config", str(config), "run", "--stages", "render",
                          user=SERVICE_USER)
    assert done.returncode == 0, done.stderr
    report = root / "var/lib/netdoc/inventory/acme/last-run.json"
    assert report.stat().st_uid == nobody.pw_uid


@pytest.mark.lab
@needs_root
def test_the_installed_wheel_checks_and_runs_the_lab_as_the_service_user(
        wheel_venv: WheelVenv, system_root: Path, lab: Any) -> None:
    """The technician's path on a probe: install, init, edit the starter configuration
    (the site's subnets and seeds; secrets in the environment the unit would give),
    install the units, check --connect, run."""
    root = system_root
    config, _ = init_and_units(wheel_venv, root)
    truth = lab.ground_truth
    seeds = sorted((n for n in truth["nodes"].values() if n["services"]["ssh"]
                    and n["kind"] in ("switch", "router", "firewall")),
                   key=lambda n: n["mgmt_ip"])
    names = {n["mgmt_ip"]: name for name, n in truth["nodes"].items()}
    subnets = [s["cidr"] for s in truth["subnets"] if s["scanned"]]
    text = config.read_text()
    starter_seed = "          - {host: 192.0.2.1, name: core-sw, platform: cisco_ios}\n"
    assert starter_seed in text and "subnets: [192.0.2.0/24]" in text
    config.write_text(text.replace(starter_seed, "".join(
        f"          - {{host: {n['mgmt_ip']}, name: {names[n['mgmt_ip']]}, "
        f"platform: {n['platform']}}}\n" for n in seeds))
        .replace("subnets: [192.0.2.0/24]", f"subnets: [{', '.join(subnets)}]"))
    creds = truth["credentials"]
    env = {"ACME_SNMP_AUTH": creds["snmp_v3"]["auth_key"],
           "ACME_SNMP_PRIV": creds["snmp_v3"]["priv_key"],
           "ACME_SNMP": creds["snmp_v2c"]["community"],
           "ACME_SSH": creds["ssh"]["password"], "ACME_ENABLE": creds["ssh"]["enable"]}
    assert creds["snmp_v3"]["user"] == creds["ssh"]["username"] == "netdoc"  # the starter's
    nobody = hand_to_service_user(root, config)
    state = str(root / "var/lib/netdoc")

    done = wheel_venv.run("--config", str(config), "check", "--connect", user=SERVICE_USER,
                          netns=lab.netns(lab.probe), env=env, cwd=state)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PROBLEM" not in done.stdout, done.stdout
    for seed in seeds:
        assert seed["mgmt_ip"] in done.stdout, done.stdout

    done = wheel_venv.run("--config", str(config), "--json", "run", user=SERVICE_USER,
                          netns=lab.netns(lab.probe), env=env, cwd=state)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [report] = json.loads(done.stdout)["runs"]
    assert report["status"] == "ok" and \
        [s["stage"] for s in report["stages"]] == ["discover", "backup", "render"]
    assert all(s["built"] and not s["failed"] for s in report["stages"]), report["stages"]
    backups = root / "var/lib/netdoc/config_backups/acme"
    for seed in seeds:
        stored = backups / "hq" / f"{names[seed['mgmt_ip']]}.cfg"
        assert stored.read_text().rstrip().endswith("end")
        assert stored.stat().st_uid == nobody.pw_uid
    inventory = root / "var/lib/netdoc/inventory/acme"
    index = json.loads((inventory / "index.json").read_text())
    found = {d["ip"] for d in index["devices"]}
    assert {s["mgmt_ip"] for s in seeds} <= found
    # the documentation site, rendered from the wheel's templates
    site = inventory / "site"
    page = (site / "index.html").read_text()
    assert "core-sw" in page and "{{" not in page and "{%" not in page
    assert (site / "netdoc.css").exists() or any(site.rglob("*.css"))
    assert any(site.rglob("*.svg")), "the network map"
