"""One device folded into the inventory on its own (`InventoryStore.update_one`, what
`netdoc listen` does after a link event): that device's record and its missing count
change, in one commit; the run counter and every other device stay as they were."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from netdoc.inventory.store import InventoryStore
from netdoc.models import Device, Interface

pytestmark = pytest.mark.integration  # real git histories: seconds, not the unit tier
MISSING_AFTER = 2


def switch(name: str, ip: str, serial: str, port_up: bool = True) -> Device:
    return Device(hostname=name, mgmt_ip=ip, sys_object_id="1.3.6.1.4.1.9.1.1208",
                  sys_descr="Cisco IOS Software", vendor="Cisco", serial=serial, role="switch",
                  site="hq", base_mac=f"00:1e:bd:00:00:{serial[-2:]}",
                  interfaces=[Interface(index=1, name="Gi1/0/1", admin_up=True,
                                        oper_up=port_up)])


def missing(store: InventoryStore) -> dict[str, int]:
    index = {d["id"]: d["name"] for d in json.loads((store.root / "index.json").read_text())
             ["devices"]}
    return {index[i]: s["missing_runs"] for i, s in store.state()["devices"].items()}


def log(store: InventoryStore) -> list[str]:
    return subprocess.run(["git", "-C", str(store.root), "log", "--format=%s"], check=True,
                          capture_output=True, text=True).stdout.splitlines()


def test_one_device_is_updated_and_no_other_device_is_counted_missing(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "acme")
    a, b, c = (switch("sw-a", "192.0.2.2", "FOC01"), switch("sw-b", "192.0.2.3", "FOC02"),
               switch("sw-c", "192.0.2.4", "FOC03"))
    store.update([a, b, c], set(), MISSING_AFTER)
    store.update([a, b], set(), MISSING_AFTER)  # sw-c unseen by one discovery run
    before = store.state()
    assert missing(store) == {"sw-a": 0, "sw-b": 0, "sw-c": 1}

    update = store.update_one(switch("sw-a", "192.0.2.2", "FOC01", port_up=False),
                              "tables read again after a link change", MISSING_AFTER)

    assert update.commit and update.changes == []  # an interface state is no tracked change
    assert log(store)[0].startswith("Re-read sw-a ") and \
        log(store)[0].endswith(": tables read again after a link change")
    assert store.state()["runs"] == before["runs"], "a re-read is no discovery run"
    assert missing(store) == {"sw-a": 0, "sw-b": 0, "sw-c": 1}
    records = {r.device.hostname: r.device for r in store.records()}
    assert records["sw-a"].interfaces[0].oper_up is False
    assert records["sw-b"].interfaces[0].oper_up is True


def test_a_device_gone_and_heard_again_returns(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "acme")
    a, b = switch("sw-a", "192.0.2.2", "FOC01"), switch("sw-b", "192.0.2.3", "FOC02")
    store.update([a, b], set(), MISSING_AFTER)
    for _ in range(MISSING_AFTER):
        store.update([a], set(), MISSING_AFTER)
    assert missing(store)["sw-b"] == MISSING_AFTER  # reported gone

    update = store.update_one(switch("sw-b", "192.0.2.3", "FOC02"), "link up", MISSING_AFTER)

    assert [str(c) for c in update.changes] == ["returned sw-b"]
    assert missing(store) == {"sw-a": 0, "sw-b": 0}
    assert "- returned sw-b" in subprocess.run(
        ["git", "-C", str(store.root), "log", "-1", "--format=%B"], check=True,
        capture_output=True, text=True).stdout


def test_an_unchanged_device_makes_no_commit(tmp_path: Path) -> None:
    store = InventoryStore(tmp_path / "acme")
    a = switch("sw-a", "192.0.2.2", "FOC01")
    store.update([a], set(), MISSING_AFTER)
    commits = log(store)
    assert store.update_one(switch("sw-a", "192.0.2.2", "FOC01"), "link flap",
                            MISSING_AFTER).commit == ""
    assert log(store) == commits
