"""Export for the tools MSPs already use: NetBox bulk-import CSV files whose headers are
NetBox's documented CSV import fields (and carry every required one), and inventory
spreadsheets that never hand a formula to a spreadsheet."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

from netdoc.render.export import (HEADERS, export_csv, export_netbox, netbox_problems,
                                  netbox_schema)
from netdoc.models import Device, Interface, Neighbor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facts"

# What NetBox's import forms accept and require, per object type, as read from NetBox's
# source (netdoc/data/netbox_import.yaml names the files and commits)
SCHEMA = netbox_schema()


def _devices() -> list[Device]:
    core = Device(hostname="core-sw1", mgmt_ip="192.0.2.2", vendor="Cisco", model="C9300-24T",
                  platform="cisco_xe",
                  os="IOS-XE", version="17.9.4", serial="FOC1234X0AB", role="switch",
                  site="hq", vlans={"10": "users"},
                  interfaces=[Interface(1, "GigabitEthernet1/0/1", speed_bps=10**9,
                                        admin_up=True, mac="00:11:22:33:44:01"),
                              Interface(2, "Vlan99", ipv4=["192.0.2.2/28"], admin_up=True)],
                  neighbors=[Neighbor("lldp", "GigabitEthernet1/0/1", remote_name="fw1",
                                      remote_port="internal")])
    fw = Device(hostname="fw1", mgmt_ip="192.0.2.1", vendor="Fortinet", model="FG60F",
                role="firewall", site="hq",
                interfaces=[Interface(1, "internal", ipv4=["192.0.2.1/25"], admin_up=True),
                            Interface(2, "wan1", descr="=HYPERLINK(\"x\")", admin_up=True)],
                neighbors=[Neighbor("lldp", "internal", remote_name="core-sw1",
                                    remote_port="GigabitEthernet1/0/1")])
    return [core, fw]


def _facts_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "config_backups" / "acme" / "hq"
    repo.mkdir(parents=True)
    shutil.copy(FIXTURES / "fortinet_fortigate.facts.yaml", repo / "fw1.facts.yaml")
    return repo.parent


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_netbox_files_use_netbox_headers_with_every_required_one(tmp_path: Path) -> None:
    files = export_netbox(_devices(), _facts_repo(tmp_path), tmp_path / "nb", "hq")
    assert [p.name for p in files] == [f"{i:02d}-{k}.csv" for i, k in
                                       enumerate(HEADERS, start=1)]
    for path in files:
        kind = path.stem.split("-", 1)[1]
        rows = _read(path)
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert set(header) <= set(SCHEMA[kind]["fields"]), kind
        assert set(SCHEMA[kind]["required"]) <= set(header), kind
        assert rows, f"{kind}: the fixture network should fill every file"
        # every row: required values present, choice values NetBox accepts
        assert netbox_problems(kind, header, rows) == [], kind


def test_the_recorded_netbox_fields_name_their_source() -> None:
    from pathlib import Path as P

    text = (P(__file__).resolve().parents[2] / "netdoc" / "data" /
            "netbox_import.yaml").read_text(encoding="utf-8")
    assert "netbox-community/netbox" in text and "bulk_import.py" in text
    assert set(HEADERS) <= set(SCHEMA)
    for kind, entry in SCHEMA.items():
        assert entry["form"].endswith("ImportForm"), kind
        assert set(entry["required"]) <= set(entry["fields"]), kind
    # NetBox 4.2 made MAC addresses objects of their own: an interface takes none
    assert "mac_address" not in SCHEMA["interfaces"]["fields"]


def test_netbox_problems_are_found_before_netbox_refuses_the_file() -> None:
    assert netbox_problems("interfaces", ["device", "name", "type", "mac_address"],
                           [{"device": "sw1", "name": "", "type": "10base-t"}]) == [
        "interfaces: header 'mac_address' is not a field of NetBox's dcim.InterfaceImportForm",
        "interfaces line 2: required 'name' is empty",
        "interfaces line 2: type '10base-t' is not one of NetBox's choices (virtual, lag, "
        "100base-tx, 1000base-t, 2.5gbase-t, 5gbase-t, 10gbase-t, 1000base-x-sfp, "
        "10gbase-x-sfpp, 25gbase-x-sfp28, 40gbase-x-qsfpp, 100gbase-x-qsfp28, other)"]
    assert netbox_problems("devices", ["name"], []) == [
        f"devices: required header {r!r} missing" for r in SCHEMA["devices"]["required"]]


def test_netbox_rows_describe_the_network(tmp_path: Path) -> None:
    out = tmp_path / "nb"
    export_netbox(_devices(), _facts_repo(tmp_path), out, "hq")
    devices = {r["name"]: r for r in _read(out / "06-devices.csv")}
    assert devices["core-sw1"]["device_type"] == "C9300-24T"
    assert devices["fw1"]["role"] == "firewall"
    assert (devices["core-sw1"]["platform"], devices["fw1"]["platform"]) == ("cisco_xe", "")
    assert [r["name"] for r in _read(out / "05-platforms.csv")] == ["cisco_xe"]
    vlans = {(r["site"], r["vid"]): r["name"] for r in _read(out / "07-vlans.csv")}
    assert vlans == {("hq", "10"): "users", ("hq", "30"): "VoIP"}   # inventory + config facts
    prefixes = {r["prefix"]: r for r in _read(out / "08-prefixes.csv")}
    assert prefixes["192.0.2.128/26"]["vlan"] == "30"    # the VoIP subnet, on VLAN 30 at hq
    assert prefixes["192.0.2.128/26"]["vlan_site"] == "hq"
    assert prefixes["192.0.2.0/25"]["vlan"] == ""          # no VLAN: none named
    cables = _read(out / "12-cables.csv")
    assert len(cables) == 1   # seen from both ends, one cable
    assert {cables[0]["side_a_name"], cables[0]["side_b_name"]} == {"GigabitEthernet1/0/1",
                                                                    "internal"}
    ips = _read(out / "11-ip_addresses.csv")
    assert {(r["address"], r["device"], r["is_primary"]) for r in ips} == {
        ("192.0.2.2/28", "core-sw1", "true"), ("192.0.2.1/25", "fw1", "true")}
    interfaces = {(r["device"], r["name"]): r for r in _read(out / "09-interfaces.csv")}
    assert interfaces[("core-sw1", "GigabitEthernet1/0/1")]["type"] == "1000base-t"
    macs = _read(out / "10-mac_addresses.csv")
    assert macs == [{"mac_address": "00:11:22:33:44:01", "device": "core-sw1",
                     "interface": "GigabitEthernet1/0/1"}]
    assert interfaces[("fw1", "wan1")]["description"].startswith("'=")   # no formula


def test_csv_spreadsheets(tmp_path: Path) -> None:
    out = tmp_path / "csv"
    files = export_csv(_devices(), _facts_repo(tmp_path), out)
    assert [p.name for p in files] == ["devices.csv", "interfaces.csv", "addressing.csv"]
    assert [r["name"] for r in _read(out / "devices.csv")] == ["core-sw1", "fw1"]
    plan = {r["network"]: r for r in _read(out / "addressing.csv")}
    assert plan["192.0.2.0/25"]["dhcp"].startswith("hq/fw1")


def test_run_export_writes_each_clients_files_where_asked(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from netdoc.render.export import run_export

    _facts_repo(tmp_path)
    client = SimpleNamespace(name="acme")
    config = SimpleNamespace(selected_clients=lambda name: [client],
                             inventory_dir=lambda name: tmp_path / "inventory" / name,
                             backups_dir=lambda name: tmp_path / "config_backups" / name)
    written = run_export(config, "netbox", None, None)
    assert written[0] == tmp_path / "inventory" / "acme" / "export" / "netbox" / "01-sites.csv"
    vlans = _read(tmp_path / "inventory" / "acme" / "export" / "netbox" / "07-vlans.csv")
    assert vlans == []   # no inventoried device yet: nothing to hang the VLANs on
    assert run_export(config, "csv", "acme", str(tmp_path / "out"))[0] == \
        tmp_path / "out" / "devices.csv"


def test_netdoc_export_command(tmp_path: Path, capsys: "object") -> None:
    """`netdoc --json export netbox --config netdoc.yaml --out DIR` lists what it wrote."""
    import json

    from netdoc.app.cli import main

    config = tmp_path / "netdoc.yaml"
    config.write_text("clients:\n  acme:\n    sites:\n      hq:\n        subnets: [192.0.2.0/29]\n"
                      "output: {inventory: inventory, config_backups: config_backups}\n",
                      encoding="utf-8")
    config.chmod(0o600)
    capsys.readouterr()  # type: ignore[attr-defined]
    code = main(["--json", "export", "netbox", "--config", str(config),
                 "--out", str(tmp_path / "nb")])
    out = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert code == 0
    assert [Path(p).name for p in out["files"]][:2] == ["01-sites.csv", "02-manufacturers.csv"]
    assert (tmp_path / "nb" / "12-cables.csv").is_file()
