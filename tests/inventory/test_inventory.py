"""The inventory: identity across runs, stable files, change detection, git history."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import git

from netdoc.inventory.identity import record_id, same_device
from netdoc.inventory.merge import SiteObservations, Sighting, merge_site
from netdoc.inventory.store import InventoryStore, load_devices
from netdoc.models import Device, Interface

T1 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
T3 = datetime(2026, 11, 3, 8, 0, tzinfo=timezone.utc)


def switch(ip: str = "192.0.2.2", name: str = "core-sw", serial: str = "FOC123",
           mac: str = "00:11:22:33:44:01", version: str = "15.2(7)E4") -> Device:
    return Device(hostname=name, mgmt_ip=ip, serial=serial, base_mac=mac, version=version,
                  vendor="Cisco", os="IOS", role="switch", site="hq", sys_object_id="1.3.6.1.4.1.9.1.1208",
                  sys_descr="Cisco IOS Software",
                  interfaces=[Interface(index=1, name="Gi1/0/1", mac=mac, ipv4=[f"{ip}/24"])])


def pc(ip: str, mac: str) -> Device:
    return Device(mgmt_ip=ip, base_mac=mac, role="endpoint", site="hq")


def commits(root: Path) -> int:
    return len(list(git.Repo(root).iter_commits()))


def test_a_device_that_changes_ip_keeps_its_identity() -> None:
    assert same_device(switch(ip="192.0.2.2"), switch(ip="192.0.2.9"))


def test_two_devices_sharing_a_sysname_stay_apart() -> None:
    assert not same_device(switch(serial="A1", mac="00:00:00:00:00:01"),
                           switch(serial="B2", mac="00:00:00:00:00:02"))


def test_identity_falls_back_to_the_mac_then_the_ip() -> None:
    assert same_device(pc("192.0.2.50", "aa:bb:cc:00:00:01"), pc("192.0.2.51", "aa:bb:cc:00:00:01"))
    assert same_device(Device(mgmt_ip="192.0.2.7"), Device(mgmt_ip="192.0.2.7"))
    assert record_id(switch()) == "serial-foc123"
    assert record_id(pc("192.0.2.50", "aa:bb:cc:00:00:01")) == "mac-aa-bb-cc-00-00-01"


def test_merge_keeps_polled_devices_and_turns_other_sightings_into_endpoints() -> None:
    observations = SiteObservations(
        site="hq", polled=[switch()],
        sightings=[Sighting("192.0.2.2", "00:11:22:33:44:01"),
                   Sighting("192.0.2.50", "", "icmp"),
                   Sighting("192.0.2.50", "aa:bb:cc:00:00:01", "router-arp 192.0.2.1")],
        names={"192.0.2.50": "pc-50.example"})
    devices = merge_site(observations, vendor_of=lambda mac: "ACME NICs")
    assert [(d.mgmt_ip, d.role) for d in devices] == [("192.0.2.2", "switch"),
                                                      ("192.0.2.50", "endpoint")]
    endpoint = devices[1]
    assert (endpoint.base_mac, endpoint.hostname, endpoint.vendor, endpoint.site) == \
        ("aa:bb:cc:00:00:01", "pc-50.example", "ACME NICs", "hq")


def test_an_unchanged_network_gives_byte_identical_files_and_no_commit(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path)
    store.update([switch(), pc("192.0.2.50", "aa:bb:cc:00:00:01")], set(), 3, T1)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.json") if "state" not in p.name
              and "last-changes" not in p.name}
    update = store.update([switch(), pc("192.0.2.50", "aa:bb:cc:00:00:01")], set(), 3, T2)
    after = {p: p.read_bytes() for p in before}
    assert before == after
    assert update.changes == [] and update.commit == ""
    assert commits(tmp_path) == 1


def test_first_run_reports_every_device_as_new_and_commits_once(tmp_path: Path) -> None:
    update = InventoryStore(tmp_path).update([switch(), pc("192.0.2.50", "aa:bb:cc:00:00:01")],
                                             set(), 3, T1)
    assert sorted(c.kind for c in update.changes) == ["new", "new"]
    assert commits(tmp_path) == 1
    message = git.Repo(tmp_path).head.commit.message
    assert "2 new" in message and "core-sw" in message
    assert [d.hostname for d in load_devices(tmp_path)] == ["core-sw", ""]


def test_ip_and_firmware_changes_are_reported(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path)
    store.update([switch()], set(), 3, T1)
    update = store.update([switch(ip="192.0.2.9", version="15.2(7)E5")], set(), 3, T2)
    details = sorted(c.detail for c in update.changes)
    assert details == ["IP 192.0.2.2 -> 192.0.2.9", "firmware 15.2(7)E4 -> 15.2(7)E5"]
    assert len(load_devices(tmp_path)) == 1
    assert commits(tmp_path) == 2


def test_a_device_is_gone_after_n_runs_unseen_and_returns(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path)
    store.update([switch(), pc("192.0.2.50", "aa:bb:cc:00:00:01")], set(), 2, T1)
    assert store.update([switch()], set(), 2, T2).changes == []
    gone = store.update([switch()], set(), 2, T3).changes
    assert [str(c) for c in gone] == ["gone 192.0.2.50: not seen for 2 run(s)"]
    index = (tmp_path / "index.json").read_text()
    assert '"status": "missing"' in index
    back = store.update([switch(), pc("192.0.2.50", "aa:bb:cc:00:00:01")], set(), 2, T3).changes
    assert [c.kind for c in back] == ["returned"]


def test_a_failed_poll_keeps_the_last_good_data(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path)
    store.update([switch()], set(), 3, T1)
    weaker = Device(mgmt_ip="192.0.2.2", base_mac="00:11:22:33:44:01", role="endpoint", site="hq")
    update = store.update([weaker], {"192.0.2.2"}, 3, T2)
    assert update.changes == [] and update.commit == ""
    (kept,) = load_devices(tmp_path)
    assert (kept.serial, kept.version, kept.role) == ("FOC123", "15.2(7)E4", "switch")


def test_volatile_state_stays_out_of_git(tmp_path: Path) -> None:
    InventoryStore(tmp_path).update([switch()], set(), 3, T1)
    tracked = git.Repo(tmp_path).git.ls_files().split()
    assert "state.json" not in tracked and "index.json" in tracked
    assert (tmp_path / "state.json").exists()


def test_arp_and_mac_tables_are_kept_but_not_tracked(tmp_path: Path) -> None:
    from netdoc.models import ArpEntry, FdbEntry
    device = switch()
    device.arp = [ArpEntry("192.0.2.50", "aa:bb:cc:00:00:01", "Vlan1")]
    device.fdb = [FdbEntry("aa:bb:cc:00:00:01", "Gi1/0/5", 1)]
    store = InventoryStore(tmp_path)
    store.update([device], set(), 3, T1)
    (kept,) = load_devices(tmp_path)
    assert kept.fdb == device.fdb and kept.arp == device.arp
    device.fdb = []  # the entry aged out of the switch's table
    assert store.update([device], set(), 3, T2).commit == ""
    assert "tables/" not in git.Repo(tmp_path).git.ls_files()


def test_what_a_run_did_not_learn_is_not_forgotten(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path)
    behind_router = Device(mgmt_ip="198.51.100.11", base_mac="aa:bb:cc:00:00:11",
                           hostname="branch-pc", vendor="Dell Inc.", role="endpoint", site="hq")
    store.update([behind_router], set(), 3, T1)
    seen_by_ping_only = Device(mgmt_ip="198.51.100.11", role="endpoint", site="hq")
    update = store.update([seen_by_ping_only], set(), 3, T2)
    assert update.changes == [] and update.commit == ""
    (kept,) = load_devices(tmp_path)
    assert (kept.base_mac, kept.hostname, kept.vendor) == ("aa:bb:cc:00:00:11", "branch-pc",
                                                           "Dell Inc.")
