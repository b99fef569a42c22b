"""Discovery in the site lab, run for real inside the probe namespace, checked
against the lab's ground truth: every device found, switches and routers
identified, LLDP and MAC tables right, hosts behind the router found through
its ARP table, the probe's own upstream switch heard passively."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import git
import pytest

from netdoc.inventory.store import InventoryStore
from netdoc.models import Device

pytestmark = pytest.mark.lab


class Discovered:
    def __init__(self, lab: Any, scratch: Path, config: Path) -> None:
        self.lab, self.scratch, self.config = lab, scratch, config
        self.truth = lab.ground_truth
        self.folder = scratch / "inventory" / self.truth["client"]

    def run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        done = self.lab.exec(self.lab.probe, [sys.executable, "-m", "netdoc.app.cli", "--config",
                                              str(self.config), "--json", "discover", *extra],
                             timeout=600)
        assert done.returncode in (0, 1), done.stderr
        return done  # type: ignore[no-any-return]

    def devices(self) -> dict[str, Device]:
        return {r.device.mgmt_ip: r.device for r in InventoryStore(self.folder).records()}


@pytest.fixture(scope="module")
def discovered(lab: Any) -> Iterator[Discovered]:
    scratch = Path(tempfile.mkdtemp(prefix="netdoc-lab-discovery-"))
    try:
        config = scratch / "netdoc.yaml"
        config.write_text(lab.config_path.read_text(encoding="utf-8"), encoding="utf-8")
        found = Discovered(lab, scratch, config)
        found.first = found.run()  # type: ignore[attr-defined]
        yield found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def scanned_nodes(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every node with an address in a subnet netdoc was asked to discover, the probe too."""
    import ipaddress
    subnets = [ipaddress.ip_network(s["cidr"]) for s in truth["subnets"] if s["scanned"]]
    return {name: node for name, node in truth["nodes"].items()
            if node["mgmt_ip"] and any(ipaddress.ip_address(node["mgmt_ip"]) in net for net in subnets)}


def test_every_network_node_and_endpoint_is_found(discovered: Discovered) -> None:
    found = discovered.devices()
    expected = scanned_nodes(discovered.truth)
    missing = sorted(n for n, node in expected.items() if node["mgmt_ip"] not in found)
    assert missing == []
    assert len(found) == len(expected), sorted(found)


def test_switches_and_routers_are_identified_with_sysname_and_interfaces(
        discovered: Discovered) -> None:
    found = discovered.devices()
    for name, node in discovered.truth["nodes"].items():
        if not node["managed"] or node["role"] == "printer":
            continue
        device = found[node["mgmt_ip"]]
        assert device.hostname == node["sys_name"] == name
        assert (device.vendor, device.model, device.serial, device.version) == \
            (node["vendor"], node["model"], node["serial"], node["version"])
        assert device.platform == "cisco_ios"
        assert device.role in ("switch", "router", "firewall")
        names = {i.name for i in device.interfaces}
        # ports named as the device writes them (Gi1/0/25), not as Linux must (Gi1-0-25)
        assert {i["ifname"] for i in node["interfaces"]} <= names
        macs = {i.name: i.mac for i in device.interfaces}
        assert all(macs[i["ifname"]] == i["mac"] for i in node["interfaces"])


def test_lldp_neighbours_match_the_cabling(discovered: Discovered) -> None:
    found = discovered.devices()
    truth = discovered.truth
    for link in truth["links"]:
        for near, far in ((link["a"], link["b"]), (link["b"], link["a"])):
            node = truth["nodes"][near["node"]]
            if not node["managed"] or not truth["nodes"][far["node"]]["managed"]:
                continue
            seen = {(n.local_port, n.remote_name, n.remote_port, n.remote_mgmt_ip)
                    for n in found[node["mgmt_ip"]].neighbors if n.protocol == "lldp"}
            far_node = truth["nodes"][far["node"]]
            assert (near["port_name"], far["node"], far["port_name"], far_node["mgmt_ip"]) in seen


def test_mac_tables_put_every_station_on_its_port(discovered: Discovered) -> None:
    found = discovered.devices()
    for node in discovered.truth["nodes"].values():
        if node["role"] != "switch" or not node.get("fdb"):
            continue
        fdb = {(e.mac, e.port) for e in found[node["mgmt_ip"]].fdb}
        ports = {i["name"]: i["ifname"] for i in node["interfaces"]}
        assert {(mac, ports[port]) for mac, port in node["fdb"].items()} <= fdb


def test_hosts_behind_the_router_come_from_its_arp_table(discovered: Discovered) -> None:
    found = discovered.devices()
    branch = [e for e in discovered.truth["endpoints"] if e["subnet"] == "branch"]
    assert branch
    router = next(n for n in discovered.truth["nodes"].values() if n["role"] == "router")
    arp = {(a.ip, a.mac) for a in found[router["mgmt_ip"]].arp}
    for endpoint in branch:
        assert (endpoint["ip"], endpoint["mac"]) in arp
        # ARP never crosses the router, so this MAC can only have come from its table
        assert found[endpoint["ip"]].base_mac == endpoint["mac"]
        assert found[endpoint["ip"]].role == "endpoint"


def test_endpoints_get_names_and_nic_vendors(discovered: Discovered) -> None:
    found = discovered.devices()
    for endpoint in discovered.truth["endpoints"]:
        if endpoint["role"] == "probe" or endpoint["ip"] not in found:
            continue
        device = found[endpoint["ip"]]
        if not device.sys_object_id:
            assert device.hostname.split(".")[0] == endpoint["node"]
            assert device.vendor, endpoint


def test_the_probe_hears_its_upstream_switch_passively(discovered: Discovered) -> None:
    heard = json.loads((discovered.folder / "probe-neighbours.json").read_text())
    probe = next(e for e in discovered.truth["endpoints"] if e["role"] == "probe")
    assert {"protocol": "lldp", "remote_name": probe["switch"], "remote_port": probe["port_name"]} \
        .items() <= heard[0].items()


def test_an_unchanged_network_makes_no_new_commit(discovered: Discovered) -> None:
    repo = git.Repo(discovered.folder)
    before = repo.head.commit.hexsha
    tracked = {p: (discovered.folder / p).read_bytes() for p in repo.git.ls_files().split()}
    discovered.run()
    assert repo.head.commit.hexsha == before
    assert {p: (discovered.folder / p).read_bytes() for p in tracked} == tracked


def test_a_device_that_fails_keeps_its_last_good_record(discovered: Discovered) -> None:
    truth = discovered.truth
    victim = truth["nodes"]["access-sw2"]
    before = discovered.devices()[victim["mgmt_ip"]]
    text = discovered.config.read_text()
    broken = discovered.scratch / "broken.yaml"
    broken.write_text(text.replace(
        "credentials:\n", "credentials:\n  wrong-snmp: {snmp: {version: 2c, community: nope}}\n", 1)
        .replace("{host: 192.0.2.4, name: access-sw2, platform: cisco_ios}",
                 "{host: 192.0.2.4, name: access-sw2, platform: cisco_ios, "
                 "credentials: [wrong-snmp]}"))
    done = discovered.lab.exec(discovered.lab.probe, [
        sys.executable, "-m", "netdoc.app.cli", "--config", str(broken), "--json", "discover"],
        timeout=600)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)["runs"][0]
    (failure,) = report["failures"]
    assert failure["host"] == victim["mgmt_ip"] and failure["name"] == "access-sw2"
    assert "community" in failure["reason"]
    after = discovered.devices()[victim["mgmt_ip"]]
    assert after == before


def test_each_hosts_snmp_decision_is_remembered_for_the_next_run(discovered: Discovered) -> None:
    # netdoc/discover/probe.py: agents that were polled are polled directly next time;
    # hosts without an agent get one cheap first contact, never a full poll
    reach = json.loads((discovered.folder / "snmp-reach.json").read_text())
    for name, node in scanned_nodes(discovered.truth).items():
        verdict = reach.get(node["mgmt_ip"], {}).get("verdict")
        if node.get("services", {}).get("snmp"):
            assert verdict == "polled", name
        elif node.get("kind") != "probe" and verdict is not None:
            assert verdict in ("closed", "silent"), name
