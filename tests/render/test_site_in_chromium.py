"""The documentation site in a real headless Chromium, opened from disk (file://).

Needs Debian's chromium and chromium-driver, and Selenium; skips with the reason
when one is missing. Screenshots go to test-artifacts/ for a human to look at.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest


webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from support.browser import CHROMIUM, DRIVER, headless_chromium  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian packages chromium and chromium-driver")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chromium() as driver:
        yield driver


def console_errors(browser: object) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser")  # type: ignore[attr-defined]
            if entry["level"] in ("SEVERE", "ERROR")]


def screenshot(browser: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]


def load(browser: object, path: Path) -> list[str]:
    """Open a page from disk; return its console errors (load + scripts)."""
    browser.get("about:blank")  # type: ignore[attr-defined]
    browser.get_log("browser")  # type: ignore[attr-defined]
    browser.get(path.as_uri())  # type: ignore[attr-defined]
    return console_errors(browser)


def test_client_index_shows_the_map_from_disk(browser: object, rendered: Any) -> None:
    errors = load(browser, rendered.site / "index.html")
    assert browser.title.startswith("acme")  # type: ignore[attr-defined]
    svg = browser.find_element(By.CSS_SELECTOR, ".map-panel:not(.hidden) .mapview svg")  # type: ignore[attr-defined]
    assert svg.is_displayed()
    assert svg.size["width"] > 400 and svg.size["height"] > 300
    names = {t.get_attribute("textContent") for t in svg.find_elements(By.CSS_SELECTOR, "g.node text")}
    assert {"core", "acc1", "rtr1"} <= names
    screenshot(browser, "site-index")
    assert errors == []


def test_map_zooms_and_switches_between_maps(browser: object, rendered: Any) -> None:
    load(browser, rendered.site / "index.html")
    svg = browser.find_element(By.CSS_SELECTOR, ".map-panel:not(.hidden) svg")  # type: ignore[attr-defined]
    before = svg.get_dom_attribute("viewBox")
    browser.find_element(By.CSS_SELECTOR, "[data-zoom=in]").click()  # type: ignore[attr-defined]
    assert svg.get_dom_attribute("viewBox") != before
    select = browser.find_element(By.ID, "map-select")  # type: ignore[attr-defined]
    select.find_element(By.CSS_SELECTOR, "option[value=client-l3]").click()
    shown = browser.find_element(By.CSS_SELECTOR, ".map-panel:not(.hidden)")  # type: ignore[attr-defined]
    assert shown.get_attribute("data-map") == "client-l3"
    assert "192.0.2.0/24" in shown.text
    assert console_errors(browser) == []


def test_device_table_filters_and_sorts(browser: object, rendered: Any) -> None:
    errors = load(browser, rendered.site / "devices.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#devices tbody tr")  # type: ignore[attr-defined]
    assert len(rows) >= 17
    box = browser.find_element(By.ID, "filter")  # type: ignore[attr-defined]
    box.send_keys("printer")
    visible = [r for r in rows if r.is_displayed()]
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in visible] == ["printer1"]
    assert "1 of" in browser.find_element(By.ID, "shown").text  # type: ignore[attr-defined]
    box.clear()
    box.send_keys("acc2")  # the printer is plugged into acc2: the switch column matches too
    assert {r.find_element(By.CSS_SELECTOR, "td").text for r in rows if r.is_displayed()} >= \
        {"acc2", "printer1", "pc3"}
    box.clear()
    box.send_keys(" ")
    browser.find_elements(By.CSS_SELECTOR, "#devices th")[1].click()  # type: ignore[attr-defined]
    ips = [r.find_elements(By.CSS_SELECTOR, "td")[1].text for r in
           browser.find_elements(By.CSS_SELECTOR, "#devices tbody tr") if r.is_displayed()]  # type: ignore[attr-defined]
    ips = [ip for ip in ips if ip]
    assert ips.index("192.0.2.2") < ips.index("192.0.2.11")  # numeric order, not text order
    screenshot(browser, "site-devices")
    assert errors == []


def test_device_page_links_to_its_config_diff(browser: object, rendered: Any) -> None:
    load(browser, rendered.site / "devices.html")
    browser.find_element(By.LINK_TEXT, "core").click()  # type: ignore[attr-defined]
    assert "core" in browser.find_element(By.TAG_NAME, "h1").text  # type: ignore[attr-defined]
    assert browser.find_element(By.CSS_SELECTOR, ".small-map svg").is_displayed()  # type: ignore[attr-defined]
    screenshot(browser, "site-device-core")
    assert console_errors(browser) == []
    browser.find_element(By.ID, "config-diff-link").click()  # type: ignore[attr-defined]
    added = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "pre.diff .add")]  # type: ignore[attr-defined]
    assert "+interface Gi0/4" in added
    assert console_errors(browser) == []
    screenshot(browser, "site-config-diff")


def test_endpoint_page_says_where_it_is_plugged_in(browser: object, rendered: Any) -> None:
    load(browser, rendered.site / "devices.html")
    browser.find_element(By.LINK_TEXT, "pc1").click()  # type: ignore[attr-defined]
    location = browser.find_element(By.CSS_SELECTOR, "p.location").text  # type: ignore[attr-defined]
    assert location.startswith("acc1 port Fa0/1")
    assert console_errors(browser) == []


def test_all_clients_index(browser: object, rendered: Any) -> None:
    errors = load(browser, rendered.root / "inventory" / "index.html")
    text = browser.find_element(By.TAG_NAME, "table").text  # type: ignore[attr-defined]
    assert "acme" in text and "globex" in text and "not rendered yet" in text
    browser.find_element(By.LINK_TEXT, "acme").click()  # type: ignore[attr-defined]
    assert browser.find_element(By.TAG_NAME, "h1").text == "acme"  # type: ignore[attr-defined]
    assert errors == []
