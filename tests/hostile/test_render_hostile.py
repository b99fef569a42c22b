"""A corpus of hostile strings pushed through discovery's inventory and the render
stage: Graphviz still draws, GraphML and draw.io stay well-formed XML with no
device markup, JSON carries no control characters, and names stay file names."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from netdoc.config import parse_config
from netdoc.errors import ConfigError
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device, FdbEntry, Interface, Neighbor
from netdoc.render.stage import render_client, render_devices

HOSTILE = [
    "sw\x01one",                                     # a control character (LLDP allows it)
    "n" * 250,                                       # a 250-character LLDP name (legal)
    "x\x1b]2;title\x07\x1b[31mred",                  # terminal escapes
    '"]; evil [label="x',                            # DOT injection
    "<img src=x onerror=alert(1)>&amp;",             # markup for draw.io / HTML
    "]]></data><data>",                              # XML injection
    "\u202egnp.exe",                                 # bidi override
    "line\nbreak\r\n\ttab",
]
CONFIG = """\
clients:
  acme:
    sites:
      hq: {subnets: [192.0.2.0/24]}
output: {inventory: inventory, config_backups: config_backups}
"""


def hostile_devices() -> list[Device]:
    switch = Device(hostname="core\x01<b>sw</b>", mgmt_ip="192.0.2.2", role="switch",
                    site="hq", base_mac="02:00:00:00:01:00", vendor="Cisco",
                    sys_object_id="1.3.6.1.4.1.9.1.1208", sys_descr="IOS\x00\x1b[2J",
                    interfaces=[Interface(index=i + 1, name=f"Gi0/{i + 1}", alias=text,
                                          mac=f"02:00:00:00:01:{i + 1:02x}")
                                for i, text in enumerate(HOSTILE)],
                    neighbors=[Neighbor("lldp", f"Gi0/{i + 1}", remote_name=text,
                                        remote_port=text[:40], remote_chassis_id=f"c{i}")
                               for i, text in enumerate(HOSTILE)],
                    fdb=[FdbEntry(mac="02:00:00:00:09:01", port="Gi0/1", vlan=1)])
    endpoint = Device(hostname="pc\x07" + "<script>", mgmt_ip="192.0.2.50", role="endpoint",
                      site="hq", base_mac="02:00:00:00:09:01")
    return [switch, endpoint]


def check_outputs(folder: Path) -> None:
    ET.parse(folder / "topology.graphml")  # well-formed XML
    for drawio in (folder / "site" / "maps").glob("*.drawio"):
        tree = ET.parse(drawio)
        for cell in tree.iter("mxCell"):
            value = cell.get("value", "")
            assert "<img" not in value and "<script" not in value and "<b>" not in value, value
    data = (folder / "topology.json").read_text()
    json.loads(data)
    assert not any(ch in data for ch in "\x00\x01\x07\x1b\u202e")
    assert "\\u0001" not in data and "\\u001b" not in data
    for path in (folder / "site").rglob("*"):
        assert len(path.name) < 200, path.name
        if path.suffix in (".html", ".svg", ".json", ".drawio"):
            text = path.read_text(encoding="utf-8")
            assert "\x1b" not in text and "\x01" not in text, path
            assert "<img src=x" not in text and "<script>" not in text, path


def test_hostile_names_through_inventory_and_render(tmp_path: Path) -> None:
    (tmp_path / "netdoc.yaml").write_text(CONFIG)
    config = parse_config(CONFIG, tmp_path / "netdoc.yaml")
    InventoryStore(config.inventory_dir("acme")).update(hostile_devices(), set(), 3)
    outcome = render_client(config, config.client("acme"))
    assert outcome.failures == [] and "network devices" in outcome.summary
    check_outputs(config.inventory_dir("acme"))


def test_the_render_boundary_cleans_raw_device_strings_itself(tmp_path: Path) -> None:
    """Even devices that never went through the inventory (a test, a benchmark, a future
    collector) cannot break Graphviz or the XML files."""
    (tmp_path / "netdoc.yaml").write_text(CONFIG)
    config = parse_config(CONFIG, tmp_path / "netdoc.yaml")
    devices = hostile_devices()
    outcome = render_devices(config, config.client("acme"), devices,
                             ["mac-02-00-00-00-01-00", "mac-02-00-00-00-09-01"], {})
    assert outcome.failures == []
    check_outputs(config.inventory_dir("acme"))


def test_a_planted_site_new_symlink_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "netdoc.yaml").write_text(CONFIG)
    config = parse_config(CONFIG, tmp_path / "netdoc.yaml")
    InventoryStore(config.inventory_dir("acme")).update(hostile_devices(), set(), 3)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    os.symlink(victim, config.inventory_dir("acme") / ".site.new")
    render_client(config, config.client("acme"))
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
    assert (config.inventory_dir("acme") / "site" / "index.html").is_file()
    assert not (config.inventory_dir("acme") / "site").is_symlink()


@pytest.mark.parametrize("name", ["index.html", "assets", "a/b", ".", "..", "bad\nname",
                                  "esc\x1b[31m", "tab\tname", " padded", "x" * 65])
def test_reserved_or_unsafe_client_names_are_rejected(tmp_path: Path, name: str) -> None:
    text = CONFIG.replace("  acme:", f"  {json.dumps(name)}:")
    with pytest.raises(ConfigError):
        parse_config(text, tmp_path / "netdoc.yaml")
