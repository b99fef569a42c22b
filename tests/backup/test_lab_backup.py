"""The site lab's switches and routers, backed up over real SSH from the probe namespace.

netdoc runs as a technician would run it at the site probe (`ip netns exec
<probe> netdoc backup`), with the lab's own netdoc.yaml, writing into this
test's folder. The lab's devices answer like Cisco IOS and re-read their
running config on every `show running-config`, so a test can change one.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from support.lab_fixtures import lab_settings, netdoc_at, write_settings

pytestmark = pytest.mark.lab


class LabBackup:
    def __init__(self, lab: Any, root: Path) -> None:
        self.lab = lab
        self.root = root
        data = lab_settings(lab, root)
        self.config = write_settings(data, root)
        self.client = next(iter(data["clients"]))
        self.devices = [d["name"] for site in data["clients"][self.client]["sites"].values()
                        for d in site.get("devices", [])]
        self.repo = root / "config_backups" / self.client

    def backup(self) -> subprocess.CompletedProcess[str]:
        done = netdoc_at(self.lab, self.lab.probe, self.config, "backup")
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def commits(self) -> list[str]:
        out = subprocess.run(["git", "-C", str(self.repo), "log", "--format=%H"],
                             capture_output=True, text=True, check=True).stdout
        return out.split()

    def show(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], capture_output=True,
                              text=True, check=True).stdout


@pytest.fixture
def lab_backup(lab: Any, tmp_path: Path) -> Iterator[LabBackup]:
    saved = {node: lab.running_config(node) for node in LabBackup(lab, tmp_path).devices}
    try:
        yield LabBackup(lab, tmp_path)
    finally:  # other tests share the lab: give every device its config back
        for node, text in saved.items():
            lab.set_running_config(node, text)


def test_lab_backup_commits_all_then_only_real_changes(lab_backup: LabBackup) -> None:
    lab, devices = lab_backup.lab, lab_backup.devices
    assert len(devices) >= 3, "the lab should offer switches and routers to back up"

    # first run: every device's config in one commit
    lab_backup.backup()
    assert len(lab_backup.commits()) == 1
    files = lab_backup.show("ls-files").split()
    site = next(iter(yaml.safe_load(lab_backup.config.read_text())["clients"]
                     [lab_backup.client]["sites"]))
    for name in devices:
        assert f"{site}/{name}.cfg" in files and f"{site}/{name}.meta.yaml" in files
        stored = (lab_backup.repo / site / f"{name}.cfg").read_text()
        assert "! Last configuration change" not in stored
        assert stored.rstrip().endswith("end")
        assert "<masked:" in stored  # the lab configs carry secrets (enable secret, community)

    # second run, nothing changed on the devices: no commit
    lab_backup.backup()
    assert len(lab_backup.commits()) == 1

    # only a volatile line moves: still no commit
    lab.touch_running_config(devices[0])
    lab_backup.backup()
    assert len(lab_backup.commits()) == 1

    # a real change on one device: exactly one commit, exactly that change
    target = devices[-1]
    before = lab.running_config(target)
    lab.set_running_config(target, before.replace("\nhostname ", "\nlogging host 192.0.2.99\n"
                                                  "hostname ", 1))
    lab_backup.backup()
    commits = lab_backup.commits()
    assert len(commits) == 2
    changed = lab_backup.show("show", "--format=", "--name-only", "HEAD").split()
    # the config, and its facts (a new syslog server is a management-plane fact)
    assert changed == [f"{site}/{target}.cfg", f"{site}/{target}.facts.yaml"]
    diff = lab_backup.show("show", "--format=", "-U0", "HEAD", "--", f"{site}/{target}.cfg")
    added = [line for line in diff.splitlines() if line.startswith("+") and
             not line.startswith("+++")]
    removed = [line for line in diff.splitlines() if line.startswith("-") and
               not line.startswith("---")]
    assert added == ["+logging host 192.0.2.99"] and removed == []
    facts = lab_backup.show("show", "HEAD:" + f"{site}/{target}.facts.yaml")
    assert "192.0.2.99" in facts  # the new syslog server, as a fact
    message = lab_backup.show("log", "-1", "--format=%B")
    assert message.startswith("backup: 1 changed") and f"{site}/{target}" in message
