"""Guard rails: netdoc on a network that is not the client's refuses to sweep it, and a
run in which half a client appears or vanishes at once is not committed.

Nothing here sends a packet: the site discovery is replaced by a stand-in that
records being called (and returns devices made up in the test), so even a broken
guard could not sweep a real network."""
from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cli_support import netdoc_json, write_config
from netdoc.discover import stage as discovery_stage
from netdoc.discover.stage import SiteResult
from netdoc.app.guard import (LocalNetwork, MassChange, _from_proc_route, local_networks,
                          permissions, site_refusal, site_refusals)
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device

TEST_NETS = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")


def foreign_test_net() -> str:
    """A TEST-NET range on no interface or route of this machine (skip when none is)."""
    here = local_networks()
    for cidr in TEST_NETS:
        if not any(ipaddress.ip_network(cidr).overlaps(n.network) for n in here):
            return cidr
    pytest.skip("every TEST-NET range is on this machine's networks")


class StandIn:
    """Replaces SiteDiscovery: records the sites asked for, returns `devices`."""

    calls: list[str] = []
    devices: list[Device] = []

    def __init__(self, config: Any, site: Any, *state: Any) -> None:
        self.site = site

    async def run(self) -> SiteResult:
        StandIn.calls.append(self.site.name)
        return SiteResult(devices=[Device(**vars(d)) for d in StandIn.devices])


@pytest.fixture(autouse=True)
def no_real_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    StandIn.calls, StandIn.devices = [], []
    monkeypatch.setattr(discovery_stage, "SiteDiscovery", StandIn)
    monkeypatch.setenv("ND_CLI_TEST_COMMUNITY", "public")


def config_for(tmp_path: Path, sites: dict[str, str]) -> Path:
    body = "".join(f"      {name}:\n        subnets: [{cidr}]\n        credentials: [lab-snmp]\n"
                   for name, cidr in sites.items())
    return write_config(tmp_path, "credentials:\n  lab-snmp:\n    snmp: {version: 2c, "
                                  "community: \"env:ND_CLI_TEST_COMMUNITY\"}\n"
                                  "clients:\n  acme:\n    sites:\n" + body +
                        "output: {inventory: inventory, config_backups: config_backups}\n"
                        "discovery: {lldp_listen: 0}\n")


def test_a_site_on_another_network_is_not_swept(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    foreign = str(next(ipaddress.ip_network(foreign_test_net()).subnets(new_prefix=29)))
    config = config_for(tmp_path, {"hq": foreign, "lab": "127.0.0.0/29"})
    code, document = netdoc_json(capsys, "--config", str(config), "discover")
    [run] = document["runs"]
    assert StandIn.calls == ["lab"], "the foreign site was swept"
    assert code == 1 and run["status"] == "failures"
    [skipped] = run["skipped"]
    assert f"site hq: {foreign} is on no interface or route of this probe" in skipped
    assert "--force" in skipped
    # the technician knows better: --force sweeps it
    code, document = netdoc_json(capsys, "--config", str(config), "discover", "--force")
    assert StandIn.calls[-2:] == ["hq", "lab"] and code == 0


def test_the_refusal_reads_interfaces_and_routes_but_not_the_default_route() -> None:
    here = [LocalNetwork(ipaddress.IPv4Network("198.51.100.0/24"), "interface eth0"),
            LocalNetwork(ipaddress.IPv4Network("203.0.113.0/25"), "route via 198.51.100.1")]
    on_link = [ipaddress.IPv4Network("198.51.100.0/26")]
    routed = [ipaddress.IPv4Network("203.0.113.64/26")]
    elsewhere = [ipaddress.IPv4Network("192.0.2.0/24")]
    assert site_refusal("a", on_link, here) == site_refusal("b", routed, here) == ""
    assert "site c: 192.0.2.0/24 is on no interface or route" in site_refusal("c", elsewhere,
                                                                              here)
    with permissions(force=True):
        assert site_refusal("c", elsewhere, here) == ""


def test_a_branch_behind_the_gateway_is_swept_when_the_probe_stands_on_the_client() -> None:
    here = [LocalNetwork(ipaddress.IPv4Network("198.51.100.0/24"), "interface eth0")]
    hq = ("hq", [ipaddress.IPv4Network("198.51.100.0/24")])
    branch = ("branch", [ipaddress.IPv4Network("203.0.113.0/24")])
    other = ("elsewhere", [ipaddress.IPv4Network("192.0.2.0/24")])

    # HQ is on the probe's interface: the branch (only behind the default route) is swept
    assert site_refusals([hq, branch], here) == {"hq": "", "branch": ""}
    # a config whose sites are all elsewhere (the wrong client, a moved probe): refused
    refused = site_refusals([branch, other], here)
    assert "site branch: 203.0.113.0/24 is on no interface or route" in refused["branch"]
    assert "site elsewhere: 192.0.2.0/24 is on no interface or route" in refused["elsewhere"]
    # a site without subnets (seeds only), or on loopback, anchors nothing
    assert site_refusals([("seeds", []), branch], here)["branch"] != ""
    loop = ("lab", [ipaddress.IPv4Network("127.0.0.0/29")])
    here.append(LocalNetwork(ipaddress.IPv4Network("127.0.0.0/8"), "interface lo"))
    assert site_refusals([loop, branch], here)["branch"] != ""


def test_proc_net_route_is_read_without_the_default_route(tmp_path: Path) -> None:
    table = tmp_path / "route"
    table.write_text(  # what Linux writes: little-endian hex
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t0164A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    found = {str(n.network) for n in _from_proc_route(table)}
    assert found == {"127.0.0.0/8", "198.51.100.0/24"}


def _managed(n: int, prefix: str = "127.0.0") -> list[Device]:
    return [Device(hostname=f"sw{i}", mgmt_ip=f"{prefix}.{i + 1}", site="lab",
                   sys_object_id="1.3.6.1.4.1.9.1.1") for i in range(n)]


def _commits(folder: Path) -> int:
    done = subprocess.run(["git", "-C", str(folder), "rev-list", "--count", "HEAD"],
                          capture_output=True, text=True)
    return int(done.stdout.strip() or 0)


def test_half_the_client_vanishing_is_not_committed_without_acceptance(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "acme")
    store.update(_managed(8), set(), 3)
    before = (tmp_path / "acme" / "index.json").read_text()
    with pytest.raises(MassChange, match=r"8 of 8 managed device\(s\) would vanish"):
        store.update([], set(), 3, mass_guard=True)
    assert (tmp_path / "acme" / "index.json").read_text() == before
    assert _commits(tmp_path / "acme") == 1
    with pytest.raises(MassChange, match=r"20 new device\(s\) would appear"):
        store.update(_managed(8) + _managed(20, "127.0.1"), set(), 3, mass_guard=True)
    with permissions(accept_mass_change=True):
        grown = store.update(_managed(8) + _managed(20, "127.0.1"), set(), 3, mass_guard=True)
    assert len(grown.changes) == 20
    # a few devices coming and going is an ordinary day: no refusal
    assert store.update(_managed(8) + _managed(17, "127.0.1"), set(), 3,
                        mass_guard=True).devices == 28


def test_a_mass_change_run_is_refused_reported_and_alerted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = config_for(tmp_path, {"lab": "127.0.0.0/24"})
    StandIn.devices = _managed(4)
    assert netdoc_json(capsys, "--config", str(config), "discover")[0] == 0
    StandIn.devices = _managed(4) + _managed(40, "127.0.1")  # the probe moved networks
    code, document = netdoc_json(capsys, "--config", str(config), "discover")
    [run] = document["runs"]
    assert code == 5 and run["status"] == "stage_failed"
    [event] = [e for e in run["events"] if e["kind"] == "stage_failed"]  # what alerts send
    assert "40 new device(s) would appear" in event["detail"]
    assert "--accept-mass-change" in event["detail"]
    index = (tmp_path / "inventory" / "acme" / "index.json").read_text()
    assert index.count('"id"') == 4, "the mass change reached the inventory"
    code, document = netdoc_json(capsys, "--config", str(config), "discover",
                                 "--accept-mass-change")
    assert code == 0
    assert (tmp_path / "inventory" / "acme" / "index.json").read_text().count('"id"') == 44
