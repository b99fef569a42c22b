"""One record per box: LLDP/CDP announcements, ARP, the FDB and DNS joined, each join explained."""
from __future__ import annotations

from netdoc.inventory.merge import SiteObservations, Sighting, merge_site
from netdoc.models import Device, FdbEntry, Interface, Neighbor

SWITCH_MAC = "00:1e:bd:00:00:01"


def no_vendor(mac: str) -> str:
    return ""


def switch(neighbours: list[Neighbor], fdb: list[FdbEntry]) -> Device:
    return Device(hostname="branch-sw", mgmt_ip="198.51.100.2",
                  sys_object_id="1.3.6.1.4.1.9.1.1208",
                  sys_descr="Cisco IOS Software", role="switch", base_mac=SWITCH_MAC,
                  interfaces=[Interface(index=1, name="Vlan1", mac=SWITCH_MAC,
                                        ipv4=["198.51.100.2/24"]),
                              Interface(index=10, name="Gi1/0/5", mac="00:1e:bd:00:00:05")],
                  neighbors=neighbours, fdb=fdb)


def merge(polled: list[Device], sightings: list[Sighting],
          names: dict[str, str] | None = None) -> list[Device]:
    return merge_site(SiteObservations(site="hq", polled=polled, sightings=sightings,
                                       names=names or {}), no_vendor)


def endpoints(devices: list[Device]) -> list[Device]:
    return [d for d in devices if not d.sys_object_id]


def test_a_server_seen_by_lldp_and_by_the_router_arp_table_is_one_box_joined_by_the_fdb() -> None:
    # lldpd on the server uses its first NIC's MAC as chassis ID; the IP answers from the second
    server = Neighbor(protocol="lldp", local_port="Gi1/0/5", remote_name="srv-03",
                      remote_chassis_id="00:1b:21:00:00:aa", remote_port="eth1",
                      remote_capabilities=["station"])
    polled = switch([server], [FdbEntry(mac="00:1b:21:00:00:bb", port="Gi1/0/5", vlan=10)])
    devices = merge([polled], [Sighting("198.51.100.30", "00:1b:21:00:00:bb", "router-arp x")])
    [box] = endpoints(devices)
    assert (box.mgmt_ip, box.base_mac, box.hostname) == \
        ("198.51.100.30", "00:1b:21:00:00:bb", "srv-03")
    assert "00:1b:21:00:00:aa" in {i.mac for i in box.interfaces}  # the chassis MAC is its NIC
    assert len(box.merged_because) == 1
    assert "only MAC learned on that port is 00:1b:21:00:00:bb" in box.merged_because[0]
    assert "branch-sw Gi1/0/5" in box.merged_because[0]


def test_an_access_point_announcing_itself_gets_its_role_and_model_from_lldp() -> None:
    ap = Neighbor(protocol="lldp", local_port="Gi1/0/5", remote_name="ap-lobby",
                  remote_chassis_id="24:a4:3c:00:00:01", remote_port="eth0",
                  remote_platform="UAP-AC-Pro-Gen2 6.5.55",
                  remote_capabilities=["bridge", "wlan-ap"],
                  remote_model="UAP-AC-Pro", remote_manufacturer="Ubiquiti Inc.")
    devices = merge([switch([ap], [])], [Sighting("198.51.100.60", "24:a4:3c:00:00:01")])
    [box] = endpoints(devices)
    assert box.role == "wireless" and box.model == "UAP-AC-Pro"
    assert box.hostname == "ap-lobby"
    assert "chassis MAC 24:a4:3c:00:00:01" in box.merged_because[0]


def test_an_announced_management_ip_or_a_dns_name_joins_too() -> None:
    by_ip = Neighbor(protocol="cdp", local_port="Gi1/0/5", remote_name="SEP001122334455",
                     remote_mgmt_ip="198.51.100.70", remote_platform="Cisco IP Phone 8845",
                     remote_capabilities=["telephone", "station"])
    by_name = Neighbor(protocol="lldp", local_port="Gi1/0/6", remote_name="cam-gate.example.net",
                       remote_chassis_id="00:40:8c:00:00:09")
    devices = merge([switch([by_ip, by_name], [])],
                    [Sighting("198.51.100.70", "00:11:22:33:44:55"),
                     Sighting("198.51.100.71", "00:40:8c:00:00:77")],
                    names={"198.51.100.71": "cam-gate.example.net"})
    phone, camera = endpoints(devices)
    assert phone.role == "phone" and "announces management IP 198.51.100.70" in \
        phone.merged_because[0]
    assert "system name cam-gate.example.net = DNS name" in camera.merged_because[0]
    assert len(endpoints(devices)) == 2  # no second record for either


def test_a_phone_that_only_its_switch_knows_becomes_an_endpoint_record() -> None:
    phone = Neighbor(protocol="lldp", local_port="Gi1/0/5", remote_name="phone-12",
                     remote_chassis_id="00:04:f2:00:00:12", remote_capabilities=["telephone"],
                     remote_model="VVX 450", remote_med_class="endpoint-class-3")
    [box] = endpoints(merge([switch([phone], [])], []))
    assert (box.base_mac, box.role, box.model, box.mgmt_ip) == \
        ("00:04:f2:00:00:12", "phone", "VVX 450", "")
    assert box.merged_because == ["LLDP neighbour phone-12 on branch-sw Gi1/0/5: announced by "
                                  "LLDP on branch-sw Gi1/0/5"]


def test_a_cloned_mac_with_another_name_is_not_joined() -> None:
    clone = Neighbor(protocol="lldp", local_port="Gi1/0/5", remote_name="evil-box",
                     remote_chassis_id="00:1b:21:00:00:bb")
    devices = merge([switch([clone], [])], [Sighting("198.51.100.30", "00:1b:21:00:00:bb")],
                    names={"198.51.100.30": "srv-03.example.net"})
    named = sorted(d.hostname for d in endpoints(devices))
    assert named == ["evil-box", "srv-03.example.net"]
    original = next(d for d in devices if d.hostname == "srv-03.example.net")
    assert original.merged_because == []


def test_network_devices_and_polled_neighbours_are_not_endpoint_records() -> None:
    uplink = Neighbor(protocol="lldp", local_port="Gi1/0/5", remote_name="core-sw",
                      remote_chassis_id="00:1e:bd:00:00:99", remote_capabilities=["bridge"])
    itself = Neighbor(protocol="lldp", local_port="Gi1/0/6", remote_name="branch-sw",
                      remote_chassis_id=SWITCH_MAC)
    assert endpoints(merge([switch([uplink, itself], [])], [])) == []


def test_a_router_polled_on_two_addresses_says_why_it_is_one_device() -> None:
    first = switch([], [])
    second = switch([], [])
    second.mgmt_ip = "192.0.2.2"
    [device] = merge([first, second], [])
    assert device.merged_because == ["also answered SNMP at 192.0.2.2: same base MAC "
                                     f"{SWITCH_MAC}"]


def test_an_address_seen_by_several_sweeps_records_them() -> None:
    [box] = merge([], [Sighting("198.51.100.30", source="icmp"),
                       Sighting("198.51.100.30", "00:1b:21:00:00:bb", "router-arp 198.51.100.1")])
    assert box.base_mac == "00:1b:21:00:00:bb"
    assert box.merged_because == ["198.51.100.30 seen by icmp, router-arp; its MAC from "
                                  "router-arp 198.51.100.1"]


def test_a_station_announcing_a_server_operating_system_is_a_server() -> None:
    server = Neighbor(protocol="lldp", local_port="Gi1/0/5", remote_name="srv-03",
                      remote_chassis_id="00:1b:21:00:00:bb", remote_capabilities=["station"],
                      remote_platform="Ubuntu 22.04.4 LTS Linux 5.15.0-105-generic x86_64")
    seen = [Sighting("198.51.100.30", "00:1b:21:00:00:bb")]
    [box] = endpoints(merge([switch([server], [])], seen))
    assert box.role == "server"
