"""VLANs per port and per switch from Q-BRIDGE-MIB, Cisco's VTP/VLAN-membership MIBs and
the backed-up configuration."""
from __future__ import annotations

from pathlib import Path

from netdoc.discover.collectors.vlans import (PortVlans, apply_config, cisco_ports, compact, expand,
                              port_list, qbridge_ports, vlans_from_config)
from netdoc.models import Device, Interface


def test_port_lists_are_read_high_bit_first() -> None:
    assert port_list(b"\x58") == [2, 4, 5]
    assert port_list(b"\x00\x01") == [16]


def test_a_port_with_a_tagged_vlan_is_a_trunk_and_its_pvid_the_native_vlan() -> None:
    base_ports = {1: 10101, 2: 10102, 3: 10103}  # bridge port -> ifIndex
    pvid = {(1,): 1, (2,): 20, (3,): 1}
    egress = {(1,): bytes([0b10100000]), (20,): bytes([0b11000000])}
    untagged = {(1,): bytes([0b10100000]), (20,): bytes([0b01000000])}
    ports = qbridge_ports(pvid, egress, untagged, base_ports)
    assert ports[10101] == PortVlans("trunk", 1, {1, 20})
    assert ports[10102] == PortVlans("access", 20, {20})
    assert ports[10103] == PortVlans("access", 1, {1})


def test_cisco_trunks_come_from_vlan_trunk_port_table_and_access_ports_from_vmvlan() -> None:
    enabled = bytearray(128)
    for vid in (1, 10, 20):
        enabled[vid // 8] |= 0x80 >> (vid % 8)
    trunks = {"status": {(10101,): 1, (10102,): 2}, "native": {(10101,): 99},
              "enabled": {(10101,): bytes(enabled)}}
    ports = cisco_ports(trunks, {(10102,): 20, (10103,): 30}, {})
    assert ports[10101] == PortVlans("trunk", 99, {1, 10, 20})
    assert ports[10102] == PortVlans("access", 20, {20})
    assert ports[10103] == PortVlans("access", 30, {30})


def test_vlan_lists_are_written_compactly() -> None:
    assert compact({1, 10, 20, 21, 22, 30}) == "1,10,20-22,30"
    assert expand("1,10,20-22") == {1, 10, 20, 21, 22}
    assert expand("junk,5000,3") == {3}


CONFIG = """\
vlan 10
 name staff
!
vlan 20
 name voice
!
interface GigabitEthernet1/0/1
 description pc
 switchport access vlan 10
 switchport mode access
!
interface GigabitEthernet1/0/2
 switchport mode trunk
 switchport trunk native vlan 10
 switchport trunk allowed vlan 10,20
 switchport trunk allowed vlan add 30-31
!
interface GigabitEthernet1/0/3
 switchport mode trunk
!
interface GigabitEthernet1/0/4
 switchport access vlan 20
!
"""


def test_the_configuration_says_what_snmp_does_not() -> None:
    ports, names = vlans_from_config(CONFIG)
    assert names == {10: "staff", 20: "voice"}
    assert ports["GigabitEthernet1/0/1"] == PortVlans("access", 10, {10})
    assert ports["GigabitEthernet1/0/2"] == PortVlans("trunk", 10, {10, 20, 30, 31})
    assert ports["GigabitEthernet1/0/3"].allowed == set(range(1, 4095))
    assert ports["GigabitEthernet1/0/4"] == PortVlans("access", 20, {20})


def test_config_vlans_fill_only_the_ports_snmp_left_unknown() -> None:
    device = Device(interfaces=[Interface(index=1, name="Gi1/0/1"),
                                Interface(index=2, name="Gi1/0/2", vlan_mode="access", vlan=5)])
    assert apply_config(device, CONFIG) == 1
    assert (device.interfaces[0].vlan_mode, device.interfaces[0].vlan) == ("access", 10)
    assert (device.interfaces[1].vlan_mode, device.interfaces[1].vlan) == ("access", 5)
    assert device.vlans == {"10": "staff", "20": "voice"}


def test_discovery_takes_vlans_from_the_backed_up_config_where_snmp_said_nothing(
        tmp_path: Path) -> None:
    import time

    from netdoc.backup.state import DeviceState, save_states, state_dir
    from netdoc.backup.store import ConfigRepository, StoredConfig
    from netdoc.config import parse_config
    from netdoc.discover.stage import _vlans_from_backups

    text = "clients:\n  acme:\n    sites:\n      hq: {subnets: [192.0.2.0/24]}\n" \
           "output: {inventory: inventory, config_backups: config_backups}\n"
    config = parse_config(text, tmp_path / "netdoc.yaml")
    ConfigRepository(config.backups_dir("acme")).write_and_commit(
        [StoredConfig("hq/sw1", "hq/sw1", CONFIG, {"platform": "cisco_ios"})], failed=[])
    save_states(state_dir(config, "acme"), {"hq/sw1": DeviceState(
        path="hq/sw1", host="192.0.2.3", name="sw1", site="hq", last_attempt=time.time(),
        last_success=time.time())})
    switch = Device(mgmt_ip="192.0.2.3", sys_object_id="1.3.6.1.4.1.9.1.1208", role="switch",
                    interfaces=[Interface(index=1, name="Gi1/0/1"),
                                Interface(index=2, name="Gi1/0/2")])
    assert _vlans_from_backups(config, config.client("acme"), [switch]) == 2
    assert [(i.vlan_mode, i.vlan, i.allowed_vlans) for i in switch.interfaces] == \
        [("access", 10, ""), ("trunk", 10, "10,20,30-31")]
