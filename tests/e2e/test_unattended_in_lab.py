"""netdoc as it runs on a real probe, end to end in the site lab: every credential
in the encrypted vault, alerts to a local SMTP server and a webhook, the lab
changed between runs (a device added, one removed, a config edited), runs
killed at random points, overlapping runs, SIGTERM - and afterwards not one
planted secret anywhere in what netdoc wrote or printed."""
from __future__ import annotations

import email
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import git
import pytest
import yaml

from netdoc.vault.leaks import find_leaks
from netdoc.vault.store import write_vault
from netdoc.vault.base import key_env_var

pytestmark = pytest.mark.lab

SINKS = Path(__file__).resolve().parent.parent / "support" / "alert_sinks.py"
NEW_DEVICE_IP = "192.0.2.77"
NEW_DEVICE_MAC = "00:1b:21:77:77:77"
GONE = "pc-09"
EDITED = "core-sw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Site:
    """One scratch netdoc installation on the lab's probe."""

    def __init__(self, lab: Any, root: Path) -> None:
        self.lab, self.root = lab, root
        self.client = lab.ground_truth["client"]
        self.secrets = self._plant_vault()
        self.smtp_port, self.http_port = free_port(), free_port()
        self.config = root / "netdoc.yaml"
        self.config.write_text(yaml.safe_dump(self._config(), sort_keys=False))
        self.outputs: list[str] = []

    def _plant_vault(self) -> dict[str, str]:
        creds = self.lab.ground_truth["credentials"]
        planted = {"snmp-community": creds["snmp_v2c"]["community"],
                   "snmp-auth": creds["snmp_v3"]["auth_key"],
                   "snmp-priv": creds["snmp_v3"]["priv_key"],
                   "ssh-password": creds["ssh"]["password"],
                   "ssh-enable": creds["ssh"]["enable"]}
        self.key = write_vault(self.root / "vault", self.client, planted)
        return planted

    def _config(self) -> dict[str, Any]:
        config = yaml.safe_load(self.lab.config_path.read_text())
        ref = f"vault:{self.client}/"
        config["credentials"] = {
            "lab-snmp3": {"snmp": {"version": 3, "user": "netdoc", "auth": "sha",
                                   "auth_key": ref + "snmp-auth", "priv": "aes",
                                   "priv_key": ref + "snmp-priv"}},
            "lab-snmp": {"snmp": {"version": "2c", "community": ref + "snmp-community"}},
            "lab-ssh": {"ssh": {"username": "netdoc", "password": ref + "ssh-password",
                                "enable": ref + "ssh-enable"}}}
        config["discovery"] = {"missing_after_runs": 1, "lldp_listen": 1}
        config["run"] = {"lock_wait": 0}
        config["alerts"] = {
            "channels": {
                "noc-mail": {"type": "email", "host": "127.0.0.1", "port": self.smtp_port,
                             "starttls": False, "sender": "netdoc@probe.lab.example.net",
                             "to": ["noc@msp.example"]},
                "noc-hook": {"type": "webhook",
                             "url": f"http://127.0.0.1:{self.http_port}/netdoc"}},
            "on": ["new_device", "device_gone", "config_changed", "backup_failing",
                   "host_key_changed"]}
        config["clients"][self.client]["alerts"] = ["noc-mail", "noc-hook"]
        config["output"] = {"inventory": str(self.root / "inventory"),
                            "config_backups": str(self.root / "config_backups")}
        return config

    def command(self, *args: str) -> list[str]:
        return ["env", f"{key_env_var(self.client)}={self.key.encoded}", sys.executable, "-m",
                "netdoc.app.cli", "--config", str(self.config), *args]

    def run(self, *args: str, expect: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        done = self.lab.exec(self.lab.probe, self.command(*args), timeout=600)
        self.outputs += [done.stdout, done.stderr]
        assert done.returncode in expect, done.stderr
        return done  # type: ignore[no-any-return]

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(["ip", "netns", "exec", self.lab.netns(self.lab.probe),
                                 *self.command(*args)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    @property
    def inventory(self) -> Path:
        return self.root / "inventory" / self.client

    @property
    def backups(self) -> Path:
        return self.root / "config_backups" / self.client


@pytest.fixture(scope="module")
def site(lab: Any) -> Iterator[Site]:
    root = Path(tempfile.mkdtemp(prefix="netdoc-e2e-"))
    root.chmod(0o700)
    try:
        yield Site(lab, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def sinks(site: Site) -> Iterator[Path]:
    folder = site.root / "received"
    server = subprocess.Popen(["ip", "netns", "exec", site.lab.netns(site.lab.probe),
                               sys.executable, str(SINKS), str(folder), str(site.smtp_port),
                               str(site.http_port)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        yield folder
    finally:
        server.terminate()
        server.wait(timeout=10)


def mails(folder: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes())
            for p in sorted(folder.glob("mail-*.eml"), key=lambda p: int(p.stem.split("-")[1]))]


def hooks(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text())["body"]
            for p in sorted(folder.glob("hook-*.json"), key=lambda p: int(p.stem.split("-")[1]))]


@pytest.fixture(scope="module")
def changed_lab(site: Site, sinks: Path) -> Iterator[tuple[int, int]]:
    """A baseline run, then the lab changed: one device added, one removed, one config
    edited. Everything is put back afterwards (other tests share the lab)."""
    lab = site.lab
    site.run("run")
    baseline = (len(mails(sinks)), len(hooks(sinks)))
    original = lab.running_config(EDITED)
    # pc-01 must not answer ARP for the new address itself (Linux does by default)
    lab.exec("pc-01", ["sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=1",
                       "net.ipv4.conf.all.arp_announce=2"], check=True)
    lab.exec("pc-01", ["ip", "link", "add", "link", "eth0", "name", "vm0", "address",
                       NEW_DEVICE_MAC, "type", "macvlan", "mode", "bridge"], check=True)
    lab.exec("pc-01", ["ip", "addr", "add", f"{NEW_DEVICE_IP}/24", "dev", "vm0"], check=True)
    lab.exec("pc-01", ["ip", "link", "set", "vm0", "up"], check=True)
    lab.exec(GONE, ["ip", "link", "set", "eth0", "down"], check=True)
    lab.set_running_config(EDITED, original.replace(
        "hostname core-sw\n", "hostname core-sw\n!\nbanner motd ^Authorised access only^\n", 1))
    try:
        yield baseline
    finally:
        lab.set_running_config(EDITED, original)
        lab.exec("pc-01", ["ip", "link", "del", "vm0"])
        lab.exec("pc-01", ["sysctl", "-q", "-w", "net.ipv4.conf.all.arp_ignore=0",
                           "net.ipv4.conf.all.arp_announce=0"])
        lab.exec(GONE, ["ip", "link", "set", "eth0", "up"])
        forget_the_new_device(lab)
        gateway = lab.ground_truth["nodes"][GONE]["gateway"]
        for _ in range(20):  # the switches relearn pc-09 once it speaks again
            if lab.exec(GONE, ["ping", "-c", "1", "-W", "1", gateway]).returncode == 0:
                break
            time.sleep(0.5)


def forget_the_new_device(lab: Any) -> None:
    """Put the lab's MAC and ARP tables back as they were before the test."""
    for name, node in lab.ground_truth["nodes"].items():
        if node["role"] == "switch" and node["managed"]:
            table = lab.exec(name, ["bridge", "fdb", "show"]).stdout
            for line in table.splitlines():
                words = line.split()
                if words and words[0] == NEW_DEVICE_MAC and "dev" in words:
                    port = words[words.index("dev") + 1]
                    lab.exec(name, ["bridge", "fdb", "del", NEW_DEVICE_MAC, "dev", port,
                                    "master"])
        if node["kind"] in ("router", "firewall", "probe", "pc", "server", "printer", "ap"):
            lab.exec(name, ["ip", "neigh", "flush", "to", NEW_DEVICE_IP])


def test_alerts_tell_of_a_new_device_a_gone_device_and_a_config_change(
        site: Site, sinks: Path, changed_lab: tuple[int, int]) -> None:
    mails_before, hooks_before = changed_lab
    assert mails_before == 1 and hooks_before == 1  # the first run announces the network
    site.run("run")
    new_mails, new_hooks = mails(sinks)[mails_before:], hooks(sinks)[hooks_before:]
    assert len(new_mails) == 1 and len(new_hooks) == 1
    mail = new_mails[0]
    assert mail["To"] == "noc@msp.example"
    for words in ("new device", "device gone", "config changed"):
        assert words in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert f"New device: {NEW_DEVICE_IP}" in body
    assert f"Device gone: {GONE}" in body
    assert f"Config changed: {EDITED}" in body
    assert "+banner motd ^Authorised access only^" in body
    kinds = {(e["kind"], e["device"]) for e in new_hooks[0]["events"]}
    assert ("new_device", NEW_DEVICE_IP) in kinds
    assert ("config_changed", EDITED) in kinds
    assert any(k == "device_gone" and d.startswith(GONE) for k, d in kinds)


def test_the_same_conditions_are_not_alerted_again(site: Site, sinks: Path,
                                                   changed_lab: tuple[int, int]) -> None:
    before = len(mails(sinks))
    site.run("run", "--stages", "discover,backup")
    assert len(mails(sinks)) == before


def test_overlapping_runs_never_work_on_one_client_together(site: Site) -> None:
    first = site.start("discover")
    time.sleep(1.0)
    second = site.run("discover", expect=(3,))  # exit 3: the client's lock is held
    assert "another netdoc run is working on this client" in second.stderr
    out, err = first.communicate(timeout=300)
    site.outputs += [out, err]
    assert first.returncode in (0, 1), err


@pytest.mark.parametrize("after", [0.8, 2.5, 5.0, 9.0])
def test_a_run_killed_at_any_point_loses_nothing(site: Site, after: float) -> None:
    configs = {p: p.read_bytes() for p in site.backups.rglob("*.cfg")}
    run = site.start("run")
    time.sleep(after)
    run.send_signal(signal.SIGKILL)
    run.wait()
    for repository in (site.inventory, site.backups):
        git.Repo(repository).git.fsck("--no-dangling")
    assert {p: p.read_bytes() for p in site.backups.rglob("*.cfg")} == configs
    json.loads((site.inventory / "index.json").read_text())
    site.run("run")  # the next run completes normally


def test_sigterm_ends_a_run_within_seconds_and_reports_it(site: Site) -> None:
    run = site.start("run")
    time.sleep(2.0)
    run.send_signal(signal.SIGTERM)
    started = time.monotonic()
    out, err = run.communicate(timeout=30)
    site.outputs += [out, err]
    assert time.monotonic() - started < 10
    assert run.returncode in (0, 1, 143)
    report = json.loads((site.inventory / "last-run.json").read_text())
    assert report["status"] in ("terminated", "ok", "failures")
    if run.returncode == 143:
        assert report["status"] == "terminated"


def test_planted_secrets_appear_nowhere(site: Site, sinks: Path) -> None:
    site.run("run")
    logs = site.root / "captured-output.txt"
    logs.write_text("\n".join(site.outputs))
    planted = dict(site.secrets)
    leaks = find_leaks([site.inventory, site.backups, site.root / "config_backups",
                        sinks, logs], planted)
    assert leaks == []
    stored = (site.backups / "hq" / f"{EDITED}.cfg").read_text()
    assert "snmp-server community <masked:" in stored
