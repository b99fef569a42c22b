"""Maps say VLANs and endpoint types: trunk edge labels, endpoint tables grouped by VLAN,
a phone's type and model from what its switch learned."""
from __future__ import annotations

from netdoc.models import Device, FdbEntry, Interface, Neighbor
from netdoc.render.dot import MapOptions, layer2_dot
from netdoc.topology import build_topology


def switch(name: str, ip: str, base: str, peer: str, fdb: list[FdbEntry]) -> Device:
    return Device(hostname=name, mgmt_ip=ip, sys_object_id="1.3.6.1.4.1.9.1.1208", role="switch",
                  base_mac=base, serial=f"S{name}", vlans={"1": "default", "20": "voice"},
                  interfaces=[Interface(index=25, name="Gi1/0/25", vlan_mode="trunk", vlan=1,
                                        allowed_vlans="1,20"),
                              Interface(index=1, name="Gi1/0/1", vlan_mode="access", vlan=20),
                              Interface(index=2, name="Gi1/0/2", vlan_mode="access", vlan=1)],
                  neighbors=[Neighbor("lldp", "Gi1/0/25", remote_name=peer,
                                      remote_port="Gi1/0/25")], fdb=fdb)


def test_trunks_are_labelled_and_endpoints_grouped_by_vlan() -> None:
    phone = Device(hostname="phone-01", mgmt_ip="192.0.2.60", base_mac="00:04:f2:00:00:01",
                   role="phone", model="VVX 450")
    pc = Device(hostname="pc-01", mgmt_ip="192.0.2.101", base_mac="f4:8e:38:00:00:01",
                role="endpoint")
    graph = build_topology([
        switch("core", "192.0.2.2", "00:1e:bd:02:00:00", "edge", []),
        switch("edge", "192.0.2.3", "00:1e:bd:03:00:00", "core",
               [FdbEntry("00:04:f2:00:00:01", "Gi1/0/1", 20),
                FdbEntry("f4:8e:38:00:00:01", "Gi1/0/2", 1)]), phone, pc])
    [cable] = [d for *_, d in graph.edges(data=True) if d["kind"] == "l2"]
    assert (cable["vlan_mode"], cable["vlans"], cable["native_vlan"]) == ("trunk", "1,20", 1)
    dot = layer2_dot(graph, MapOptions(title="t"))
    assert 'label="trunk 1,20"' in dot
    default, voice = dot.index("<I>VLAN 1 default</I>"), dot.index("<I>VLAN 20 voice</I>")
    assert default < dot.index("pc-01") < voice < dot.index("phone-01 (phone VVX 450)")
