"""Backups belong to the same box, not to whatever holds its IP (netdoc.backup.matching)."""
from __future__ import annotations

from netdoc.backup.matching import BackupIdentity, match_backups
from netdoc.models import Device


def test_a_stale_record_sharing_an_ip_never_shows_the_live_devices_config() -> None:
    devices = {"old-sw": Device(hostname="old-sw", mgmt_ip="192.0.2.2"),
               "core-sw": Device(hostname="core-sw", mgmt_ip="192.0.2.2")}
    backups = [BackupIdentity(path="hq/core-sw", host="192.0.2.2", name="core-sw")]
    assert match_backups(devices, {"old-sw"}, backups) == {"core-sw": backups[0]}
    # even with no name to go by, the present device wins over the missing record
    nameless = [BackupIdentity(path="hq/192.0.2.2", host="192.0.2.2")]
    assert match_backups(devices, {"old-sw"}, nameless) == {"core-sw": nameless[0]}


def test_the_serial_decides_and_a_replaced_box_gets_no_old_config() -> None:
    devices = {"sw-new": Device(hostname="sw1", mgmt_ip="192.0.2.3", serial="FOC222")}
    old_box = [BackupIdentity(path="hq/sw1", host="192.0.2.3", name="sw1", serial="FOC111")]
    assert match_backups(devices, set(), old_box) == {}
    same_box = [BackupIdentity(path="hq/sw1", host="192.0.2.3", name="sw1", serial="foc222")]
    assert match_backups(devices, set(), same_box) == {"sw-new": same_box[0]}


def test_each_backup_counts_once_so_the_badge_adds_up() -> None:
    # five live devices, two stale records sharing their IPs: five backups, five matches
    devices = {f"sw{i}": Device(hostname=f"sw{i}", mgmt_ip=f"192.0.2.{i}") for i in range(5)}
    devices |= {"ghost0": Device(hostname="ghost0", mgmt_ip="192.0.2.0"),
                "ghost1": Device(hostname="ghost1", mgmt_ip="192.0.2.1")}
    backups = [BackupIdentity(path=f"hq/sw{i}", host=f"192.0.2.{i}", name=f"sw{i}")
               for i in range(5)]
    found = match_backups(devices, {"ghost0", "ghost1"}, backups)
    assert sorted(found) == [f"sw{i}" for i in range(5)]
    assert len({b.path for b in found.values()}) == 5


def test_two_present_devices_at_one_address_need_a_name_to_tell_them_apart() -> None:
    devices = {"a": Device(hostname="fw-a", mgmt_ip="192.0.2.9"),
               "b": Device(hostname="fw-b", mgmt_ip="192.0.2.9")}
    assert match_backups(devices, set(), [BackupIdentity("hq/x", "192.0.2.9")]) == {}
    named = [BackupIdentity("hq/fw-b", "192.0.2.9", name="FW-B.corp.example")]
    assert match_backups(devices, set(), named) == {"b": named[0]}
