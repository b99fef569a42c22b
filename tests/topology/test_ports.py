"""Port spellings: what a neighbour says maps back to the interface it means."""
from __future__ import annotations

from netdoc.models import Device, Interface
from netdoc.topology.ports import resolve_port, short_port

SWITCH = Device(hostname="sw", interfaces=[
    Interface(index=1, name="Gi0/1", descr="GigabitEthernet0/1", mac="02:00:00:00:00:01"),
    Interface(index=2, name="eth2", descr="", alias="uplink to core"),
])


def test_long_names_are_abbreviated_and_short_ones_left_alone() -> None:
    assert short_port("GigabitEthernet0/1") == "Gi0/1"
    assert short_port("TenGigabitEthernet1/1/4") == "Te1/1/4"
    assert short_port("Port-channel12") == "Po12"
    assert short_port("eth0") == "eth0"
    assert short_port("ge-0/0/1") == "ge-0/0/1"


def test_every_spelling_resolves_to_the_interface_name() -> None:
    for spelling in ("Gi0/1", "GigabitEthernet0/1", "gigabitethernet0/1", "0200.0000.0001",
                     "Gig0/1"):
        assert resolve_port(SWITCH, spelling) == ("Gi0/1", True), spelling
    assert resolve_port(SWITCH, "uplink to core") == ("eth2", True)


def test_an_unknown_spelling_is_kept_as_given() -> None:
    assert resolve_port(SWITCH, "Port 7") == ("Port 7", False)
    assert resolve_port(None, "Gi0/9") == ("Gi0/9", False)
