"""Port history: every endpoint keeps where it was plugged in; `netdoc where` answers from it."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from netdoc.app.cli import main
from netdoc.discover.stage import _record_port_history
from netdoc.inventory.history import HISTORY_FILE
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device, FdbEntry, Interface

CONFIG = "clients:\n  acme:\n    sites:\n      hq: {subnets: [192.0.2.0/24]}\n" \
         "output: {inventory: inventory, config_backups: config_backups}\n"
PC_MAC = "f4:8e:38:00:00:17"


def access_switch(name: str, base: str, fdb: list[FdbEntry]) -> Device:
    return Device(hostname=name, mgmt_ip="192.0.2.4" if name == "access-sw2" else "192.0.2.3",
                  sys_object_id="1.3.6.1.4.1.9.1.1208", sys_descr="Cisco IOS Software",
                  role="switch", site="hq", base_mac=base, serial=f"FOC{name}",
                  interfaces=[Interface(index=i, name=f"Gi1/0/{i}", mac=f"{base[:-2]}{i:02x}")
                              for i in range(1, 9)], fdb=fdb)


def pc() -> Device:
    return Device(hostname="pc-07.lab.example.net", mgmt_ip="192.0.2.107", base_mac=PC_MAC,
                  role="endpoint", site="hq")


def run(store: InventoryStore, devices: list[Device], when: datetime) -> list[str]:
    store.update(devices, set(), missing_after=3, now=when)
    return _record_port_history(store, "acme", when.strftime("%Y-%m-%dT%H:%M:%SZ"))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InventoryStore:
    (tmp_path / "netdoc.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return InventoryStore(tmp_path / "inventory" / "acme")


def where(tmp_path: Path, query: str, capsys: pytest.CaptureFixture[str],
          as_json: bool = False) -> tuple[int, str]:
    code = main(["--config", str(tmp_path / "netdoc.yaml"), "where", query]
                + (["--json"] if as_json else []))
    return code, capsys.readouterr().out


def test_an_unplugged_pc_keeps_its_last_port_and_date(site: InventoryStore, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    wednesday = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    sw2 = "00:1e:bd:03:00:00"
    run(site, [access_switch("access-sw2", sw2, [FdbEntry(PC_MAC, "Gi1/0/2", 10)]), pc()], monday)
    code, out = where(tmp_path, "192.0.2.107", capsys)
    assert code == 0
    assert "now:  access-sw2 Gi1/0/2 (VLAN 10), since 2026-11-23T09:00:00Z" in out

    changes = run(site, [access_switch("access-sw2", sw2, [])], wednesday)  # the PC is unplugged
    assert changes == ["pc-07.lab.example.net no longer seen on access-sw2 Gi1/0/2 (VLAN 10) "
                       "(last 2026-11-23T09:00:00Z)"]
    for query in (PC_MAC, "F48E.3800.0017", "pc-07", "192.0.2.107"):
        code, out = where(tmp_path, query, capsys)
        assert code == 0, query
        assert "last: access-sw2 Gi1/0/2 (VLAN 10), last seen 2026-11-23T09:00:00Z " \
               "(not plugged in since)" in out, (query, out)
    code, out = where(tmp_path, PC_MAC, capsys, as_json=True)
    [match] = json.loads(out)["matches"]
    assert (match["plugged_in_now"], match["port"]["port"], match["port"]["last_seen"]) == \
        (False, "Gi1/0/2", "2026-11-23T09:00:00Z")


def test_a_move_closes_the_old_port_and_the_history_is_in_git(
        site: InventoryStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sw1, sw2 = "00:1e:bd:02:00:00", "00:1e:bd:03:00:00"
    first = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    again = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    moved = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    devices = [access_switch("access-sw1", sw1, []),
               access_switch("access-sw2", sw2, [FdbEntry(PC_MAC, "Gi1/0/2", 1)]), pc()]
    run(site, devices, first)
    before = (site.root / HISTORY_FILE).read_bytes()
    assert run(site, devices, again) == []
    assert (site.root / HISTORY_FILE).read_bytes() == before  # same day, same place: same bytes
    changes = run(site, [access_switch("access-sw1", sw1, [FdbEntry(PC_MAC, "Gi1/0/7", 1)]),
                         access_switch("access-sw2", sw2, []), pc()], moved)
    assert changes == ["pc-07.lab.example.net moved: access-sw2 Gi1/0/2 (VLAN 1) -> "
                       "access-sw1 Gi1/0/7 (VLAN 1)"]
    code, out = where(tmp_path, "pc-07", capsys)
    assert "now:  access-sw1 Gi1/0/7 (VLAN 1), since 2026-11-24T09:00:00Z" in out
    assert "2026-11-23T09:00:00Z .. 2026-11-23T10:00:00Z  access-sw2 Gi1/0/2 (VLAN 1)" in out
    log = subprocess.run(["git", "-C", str(site.root), "log", "--format=%s", "--", HISTORY_FILE],
                         capture_output=True, text=True, check=True).stdout
    assert log.splitlines()[0] == "Port history: 1 change(s)"
    tracked = subprocess.run(["git", "-C", str(site.root), "ls-files"], capture_output=True,
                             text=True, check=True).stdout.split()
    assert HISTORY_FILE in tracked and not any("port-seen" in f for f in tracked)


def test_where_says_so_when_nothing_matches(site: InventoryStore, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run(site, [pc()], datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    code, out = where(tmp_path, "00:00:5e:00:53:99", capsys)
    assert code == 1 and "no device matches" in out
    code, out = where(tmp_path, "pc-07", capsys)
    assert code == 0 and "never located on a switch port" in out


def test_the_endpoint_page_shows_the_last_port_and_the_history(
        site: InventoryStore, tmp_path: Path) -> None:
    from netdoc.config import load_config
    from netdoc.render.stage import render_client

    sw2 = "00:1e:bd:03:00:00"
    run(site, [access_switch("access-sw2", sw2, [FdbEntry(PC_MAC, "Gi1/0/2", 10)]), pc()],
        datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    run(site, [access_switch("access-sw2", sw2, [])],
        datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc))
    config = load_config(tmp_path / "netdoc.yaml")
    render_client(config, config.client("acme"))
    [record] = [r for r in site.records() if r.device.base_mac == PC_MAC]
    page = (site.root / "site" / "devices" / f"{record.id}.html").read_text(encoding="utf-8")
    said = " ".join(page.split("Last seen on", 1)[1].split("</p>", 1)[0].split())
    assert said == "access-sw2 port <strong>Gi1/0/2</strong> (VLAN 10) at 2026-11-23T09:00:00Z."
    assert 'id="port-history"' in page and "<td>Gi1/0/2</td>" in page
    listing = (site.root / "site" / "devices.html").read_text(encoding="utf-8")
    assert "last: access-sw2 Gi1/0/2 (VLAN 10) at 2026-11-23T09:00:00Z" in listing


def test_an_access_point_keeps_the_switch_port_its_lldp_cable_goes_to(
        site: InventoryStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from netdoc.models import Neighbor

    sw2 = access_switch("access-sw2", "00:1e:bd:03:00:00", [])
    sw2.neighbors = [Neighbor(protocol="lldp", local_port="Gi1/0/12", remote_name="ap-01",
                              remote_chassis_id="24:a4:3c:00:00:01", remote_port="eth0")]
    ap = Device(hostname="ap-01", mgmt_ip="192.0.2.60", base_mac="24:a4:3c:00:00:01",
                role="wireless", model="UAP-AC-Pro", site="hq")
    run(site, [sw2, ap], datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    code, out = where(tmp_path, "ap-01", capsys)
    assert code == 0 and "now:  access-sw2 Gi1/0/12" in out
