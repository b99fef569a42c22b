"""Port names as the device writes them (Gi1/0/25) on the site, the maps, draw.io and
GraphML, checked in a real headless Chromium: only file names and DOT identifiers
are sanitised, never labels."""
from __future__ import annotations

import html
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from support.browser import CHROMIUM, DRIVER, headless_chromium  # noqa: E402

from netdoc.models import Device, FdbEntry, Interface, Neighbor  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER) or shutil.which("dot") is None,
                                reason="needs chromium, chromium-driver and graphviz")
CONFIG = "clients:\n  acme:\n    sites:\n      hq: {subnets: [192.0.2.0/24]}\n" \
         "output: {inventory: inventory, config_backups: config_backups}\n"


def switch(name: str, ip: str, base: str, uplink_to: str, fdb: list[FdbEntry]) -> Device:
    ports = [Interface(index=10125, name="Gi1/0/25", descr="GigabitEthernet1/0/25",
                       mac=base[:-2] + "19", vlan_mode="trunk", vlan=1, allowed_vlans="1,20"),
             Interface(index=10101, name="Gi1/0/1", descr="GigabitEthernet1/0/1",
                       mac=base[:-2] + "01", vlan_mode="access", vlan=20),
             Interface(index=1, name="Vlan1", mac=base, ipv4=[f"{ip}/24"])]
    return Device(hostname=name, mgmt_ip=ip, sys_object_id="1.3.6.1.4.1.9.1.1208",
                  sys_descr="Cisco IOS Software", role="switch", site="hq", base_mac=base,
                  serial=f"FOC{name}", interfaces=ports, vlans={"1": "default", "20": "voice"},
                  neighbors=[Neighbor(protocol="lldp", local_port="Gi1/0/25",
                                      remote_name=uplink_to, remote_port="Gi1/0/25")], fdb=fdb)


@pytest.fixture(scope="module")
def site() -> Iterator[Path]:
    from netdoc.config import parse_config
    from netdoc.inventory.store import InventoryStore
    from netdoc.render.stage import render_client

    root = Path(tempfile.mkdtemp(prefix="netdoc-port-labels-"))
    try:
        (root / "netdoc.yaml").write_text(CONFIG, encoding="utf-8")
        config = parse_config(CONFIG, root / "netdoc.yaml")
        phone = Device(hostname="phone-1", mgmt_ip="192.0.2.50", base_mac="00:04:f2:00:00:01",
                       role="phone", site="hq")
        InventoryStore(config.inventory_dir("acme")).update(
            [switch("core-sw", "192.0.2.2", "00:1e:bd:02:00:00", "access-sw1",
                    [FdbEntry("00:04:f2:00:00:01", "Gi1/0/25", 20)]),
             switch("access-sw1", "192.0.2.3", "00:1e:bd:03:00:00", "core-sw",
                    [FdbEntry("00:04:f2:00:00:01", "Gi1/0/1", 20)]), phone],
            set(), missing_after=3, now=datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
        render_client(config, config.client("acme"))
        yield root / "inventory" / "acme"
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def test_map_labels_keep_the_slash_in_the_browser(browser: Any, site: Path) -> None:
    browser.get((site / "site" / "index.html").as_uri())
    svg = browser.find_element(By.CSS_SELECTOR, ".map-panel:not(.hidden) .mapview svg")
    texts = [t.get_attribute("textContent") for t in svg.find_elements(By.CSS_SELECTOR, "text")]
    on_edges = [t.get_attribute("textContent")
                for t in svg.find_elements(By.CSS_SELECTOR, "g.edge text")]
    assert on_edges.count("Gi1/0/25") == 2  # both ends of the cable
    assert "trunk 1,20" in on_edges  # the trunk's VLANs on the cable
    assert not [t for t in texts if "Gi1-0-" in t or "Gi1_0_" in t]
    vlans = browser.find_element(By.CSS_SELECTOR, "table.vlans").text
    assert "voice" in vlans and "default" in vlans


def test_the_device_page_and_the_list_show_device_port_names(browser: Any, site: Path) -> None:
    page = site / "site" / "devices" / "serial-foccore-sw.html"  # the core's record id
    browser.get(page.as_uri())
    cells = [c.text for c in browser.find_elements(By.CSS_SELECTOR, "table td")]
    assert "Gi1/0/25" in cells and "trunk 1,20 (native 1)" in cells
    browser.get((site / "site" / "devices.html").as_uri())
    assert "access-sw1 Gi1/0/1" in browser.find_element(By.ID, "devices").text


def test_drawio_and_graphml_keep_the_slash(site: Path) -> None:
    drawio = html.unescape((site / "site" / "maps" / "client-l2.drawio").read_text())
    assert "Gi1/0/25" in drawio and "trunk 1,20" in drawio
    graphml = (site / "topology.graphml").read_text()
    assert "Gi1/0/25" in graphml and "Gi1-0-25" not in graphml
