"""The second pass over the MAC/ARP tables: newer reads win, broken reads never lose data."""
from __future__ import annotations

from netdoc.discover.collectors.tables import Tables, fold_tables
from netdoc.models import ArpEntry, Device, FdbEntry


def router() -> Device:
    return Device(mgmt_ip="192.0.2.1", role="router",
                  arp=[ArpEntry("198.51.100.11", "f4:8e:38:00:00:11", "Gi0/1")],
                  fdb=[FdbEntry("f4:8e:38:00:00:11", "Gi0/1", 1)])


def test_hosts_woken_by_the_sweeps_are_added_from_the_second_read() -> None:
    device = router()
    tables = Tables(host="192.0.2.1",
                    fdb=[FdbEntry("f4:8e:38:00:00:11", "Gi0/1", 1),
                         FdbEntry("f4:8e:38:00:00:12", "Gi0/1", 1)],
                    arp=[ArpEntry("198.51.100.11", "f4:8e:38:00:00:11", "Gi0/1"),
                         ArpEntry("198.51.100.12", "f4:8e:38:00:00:12", "Gi0/1")])
    assert fold_tables(device, tables) == (1, 1)
    assert [e.ip for e in device.arp] == ["198.51.100.11", "198.51.100.12"]
    assert {e.mac for e in device.fdb} == {"f4:8e:38:00:00:11", "f4:8e:38:00:00:12"}


def test_a_device_that_does_not_answer_the_second_time_keeps_its_first_read() -> None:
    device = router()
    assert fold_tables(device, Tables(host="192.0.2.1", error="no answer")) == (0, 0)
    assert len(device.arp) == len(device.fdb) == 1


def test_a_partial_second_read_only_adds() -> None:
    device = router()
    fold_tables(device, Tables(host="192.0.2.1", fdb=[FdbEntry("f4:8e:38:00:00:13", "Gi0/2", 1)],
                               warnings=["Q-BRIDGE-MIB: skipped after 1 values"]))
    assert {e.mac for e in device.fdb} == {"f4:8e:38:00:00:11", "f4:8e:38:00:00:13"}
