"""Legacy gear that only offers telnet (issue 19), in the site lab: the lab's router also
answers on port 23 through GNU inetutils `telnetd` in its own namespace
(netdoc.lab.telnet), and netdoc, at the probe, backs it up over that telnet with
`transport: telnet`: the same cleaning, masking and git commit as over SSH.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from netdoc.lab.telnet import TELNETD, start_telnet, stop_telnet
from support.lab_fixtures import lab_settings, netdoc_at, write_settings

pytestmark = pytest.mark.lab
NODE = "router"
MASK = re.compile(r"<masked:[0-9a-f]+>")


@pytest.fixture
def telnet_router(lab: Any) -> Iterator[Any]:
    if not TELNETD.exists():
        pytest.skip(f"{TELNETD} is missing (inetutils-telnetd; run scripts/setup.sh)")
    record = start_telnet(lab, NODE)
    try:
        yield record
    finally:
        stop_telnet(lab, record)


def test_a_lab_router_is_backed_up_over_real_telnet(lab: Any, telnet_router: Any,
                                                    tmp_path: Path) -> None:
    def backup(folder: Path, transport: str) -> Path:
        data = lab_settings(lab, folder)
        site = data["clients"]["lab"]["sites"]["hq"]
        site["devices"] = [{**d, "transport": transport} for d in site["devices"]
                           if d["name"] == NODE]
        folder.mkdir()
        config = write_settings(data, folder)
        done = netdoc_at(lab, lab.probe, config, "backup", timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return config

    config = backup(tmp_path / "telnet", "telnet")
    repo = tmp_path / "telnet" / "config_backups" / "lab"
    stored = (repo / "hq" / f"{NODE}.cfg").read_text(encoding="utf-8")
    assert f"hostname {NODE}" in stored and stored.rstrip().endswith("end")
    assert "\r" not in stored
    # line for line what the same device gives over SSH (each repository salts its own
    # masks, so only the mask tokens differ)
    backup(tmp_path / "ssh", "ssh")
    over_ssh = (tmp_path / "ssh" / "config_backups" / "lab" / "hq" /
                f"{NODE}.cfg").read_text(encoding="utf-8")
    assert MASK.sub("<masked>", stored) == MASK.sub("<masked>", over_ssh)
    assert "<masked:" in stored  # enable secret, community: masked as over SSH
    assert "! Last configuration change" not in stored  # volatile line dropped
    assert "telnet" in (repo / "hq" / f"{NODE}.meta.yaml").read_text(encoding="utf-8")
    log = subprocess.run(["git", "-C", str(repo), "log", "--stat", "--format=%s"],
                         capture_output=True, text=True, check=True).stdout
    assert f"hq/{NODE}.cfg" in log
    # it really came over telnet, from the probe, through the router's own telnetd
    served = lab.files(NODE).log("telnetd").read_text(encoding="utf-8")
    assert f"connection from {lab.ground_truth['nodes'][lab.probe]['mgmt_ip']}" in served
    # and `check` says what telnet costs
    checked = netdoc_at(lab, lab.probe, config, "check", timeout=60)
    assert "telnet" in (checked.stdout + checked.stderr).lower()
