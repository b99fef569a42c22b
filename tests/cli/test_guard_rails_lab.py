"""The wrong-network guard rail in the site lab (issue 15): netdoc at the lab's probe
(192.0.2.10/24, default route through the lab's router) is given a client whose only
subnet is the ISP's segment behind the lab's firewall (203.0.113.0/24): a network the
probe reaches only through its default route, as a laptop reaches the internet.
`discover` refuses to sweep it and says why; with --force the technician overrides
it and the ISP's host is found there, so the refusal was the guard's and not the
network's.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
FOREIGN = "203.0.113.0/24"


def test_a_client_network_the_probe_does_not_stand_on_is_refused(lab: Any,
                                                                tmp_path: Path) -> None:
    isp = lab.ground_truth["nodes"]["isp"]["mgmt_ip"]
    assert isp.startswith("203.0.113.")
    data = yaml.safe_load(Path(lab.config_path).read_text(encoding="utf-8"))
    data["clients"] = {"elsewhere": {"sites": {"office": {
        "subnets": [FOREIGN], "credentials": ["lab-snmp"]}}}}
    data["output"] = {"inventory": str(tmp_path / "inventory"),
                      "config_backups": str(tmp_path / "config_backups")}
    data["discovery"] = {"lldp_listen": 0, "reverse_dns": False}
    config = tmp_path / "netdoc.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "HOME": os.environ.get("HOME", "/root")}

    def discover(*extra: str) -> tuple[int, dict[str, Any]]:
        done = lab.exec(lab.probe, [sys.executable, "-m", "netdoc.app.cli", "--config",
                                    str(config), "--json", "discover", *extra],
                        timeout=180, env=env)
        return done.returncode, json.loads(done.stdout)

    code, document = discover()
    [run] = document["runs"]
    assert code == 1 and run["status"] == "failures", run
    [skipped] = run["skipped"]
    assert f"site office: {FOREIGN} is on no interface or route of this probe" in skipped
    assert "--force" in skipped
    index = tmp_path / "inventory" / "elsewhere" / "index.json"
    assert not index.exists() or json.loads(index.read_text())["devices"] == []

    # the network is reachable: forced, the sweep goes through and finds the ISP's host
    code, document = discover("--force")
    [run] = document["runs"]
    assert run["skipped"] == [], run
    found = {d["ip"] for d in json.loads(index.read_text())["devices"]}
    assert isp in found, found
