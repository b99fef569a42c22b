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
from pathlib import Path
from typing import Any

import pytest

from support.lab_fixtures import lab_settings, netdoc_at, write_settings

pytestmark = pytest.mark.lab
FOREIGN = "203.0.113.0/24"


def test_a_client_network_the_probe_does_not_stand_on_is_refused(lab: Any,
                                                                tmp_path: Path) -> None:
    isp = lab.ground_truth["nodes"]["isp"]["mgmt_ip"]
    assert isp.startswith("203.0.113.")
    data = lab_settings(lab, tmp_path)
    data["clients"] = {"elsewhere": {"sites": {"office": {
        "subnets": [FOREIGN], "credentials": ["lab-snmp"]}}}}
    data["discovery"] = {"lldp_listen": 0, "reverse_dns": False}
    config = write_settings(data, tmp_path)

    def discover(*extra: str) -> tuple[int, dict[str, Any]]:
        done = netdoc_at(lab, lab.probe, config, "--json", "discover", *extra)
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
