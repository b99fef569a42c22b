"""What the lab's devices say without a lab: the `hub` topology's clients and hub node,
and the firewall policies (NAT, inbound ACL, management ACL, site-to-site VPN) and VLANs
their running configs carry, read back by netdoc's own config facts parser."""
from __future__ import annotations

import pytest

from netdoc.errors import LabError
from netdoc.facts import facts_for
from netdoc.lab.gitolite import user_name
from netdoc.lab.running_config import render_running_config
from netdoc.lab.topology import load_topology, parse_topology


def facts(topology_name: str, node: str):  # type: ignore[no-untyped-def]
    topology = load_topology(topology_name)
    text = render_running_config(topology, topology.nodes[node], community="c", ssh_user="u",
                                 ssh_password="p", enable_secret="e")
    return facts_for(text, "cisco_ios"), text


def test_the_hub_topology_has_two_clients_each_with_its_probe_and_one_hub() -> None:
    topology = load_topology("hub")
    assert topology.clients == ["acme", "globex"]
    assert topology.client_of("198.51.100.2") == "globex"
    assert topology.client_of("192.0.2.140") == "acme"
    assert [n.name for n in topology.nodes.values() if n.spec.git] == ["hub"]
    assert topology.nodes["hub"].mgmt_ip == "203.0.113.10"


def test_a_firewall_config_carries_nat_a_port_forward_inbound_rules_and_a_vpn() -> None:
    found, text = facts("hub", "firewall")
    assert "crypto isakmp key 6 " in text   # a pre-shared key netdoc must mask
    nat = {(n.kind, n.translated_destination, n.service) for n in found.nat}
    assert ("destination", "192.0.2.20", "tcp/443") in nat
    assert any(n.kind == "source" and n.translated_source == "interface GigabitEthernet0/1"
               for n in found.nat)
    inbound = [r for r in found.rules if r.name == "OUTSIDE-IN"]
    assert [(r.id, r.action, r.services) for r in inbound] == [
        ("OUTSIDE-IN:10", "allow", ["tcp/443"]), ("OUTSIDE-IN:20", "allow", ["udp/500"]),
        ("OUTSIDE-IN:30", "allow", ["esp"]), ("OUTSIDE-IN:100", "deny", ["any"])]
    assert all(r.applied_to == "GigabitEthernet0/1 in" for r in inbound)
    [vpn] = found.vpns
    assert (vpn.kind, vpn.peer, vpn.local_subnets, vpn.remote_subnets) == (
        "site-to-site", "203.0.113.222", ["192.0.2.0/25", "192.0.2.128/26"],
        ["203.0.113.192/27"])


def test_switches_carry_the_vlans_and_the_firewall_routes_the_voice_vlan() -> None:
    switch, _ = facts("hub", "core-sw")
    assert [(v.id, v.name) for v in switch.vlans] == [(1, "staff"), (20, "voice")]
    firewall, _ = facts("hub", "firewall")
    voice = next(i for i in firewall.interfaces if i.name == "GigabitEthernet0/0.20")
    assert voice.access_vlan == 20 and voice.addresses == ["192.0.2.129/26"]


def test_the_default_labs_firewall_translates_and_filters_without_a_vpn() -> None:
    found, text = facts("default", "firewall")
    assert found.vpns == [] and "crypto" not in text
    assert any(n.kind == "destination" for n in found.nat)
    assert any(r.name == "MGMT-ACCESS" for r in found.rules)


def test_a_vpn_peer_outside_the_test_nets_is_refused() -> None:
    body = {"subnets": {"a": {"cidr": "192.0.2.0/24", "gateway": "192.0.2.1"}},
            "nodes": {"fw": {"kind": "firewall", "platform": "c1921", "addresses": {"p1": "192.0.2.1/24"},
                             "vpn": {"peer": "233.252.0.1", "remote": ["198.51.100.0/24"]}},
                      "pc": {"kind": "pc", "at": "fw p1", "ip": "192.0.2.9/24"}}}
    with pytest.raises(LabError, match="outside the TEST-NET ranges"):
        parse_topology(body)


def test_the_hub_user_name_follows_the_lab_prefix() -> None:
    assert user_name("ndt12345hub-") == "git-ndt12345hub"
    assert len(user_name("a" * 16)) <= 31
