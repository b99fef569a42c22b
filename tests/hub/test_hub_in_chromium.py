"""The hub site in a real headless Chromium, opened from disk (file://): a MAC
typed the way a switch prints it finds the device across clients, offline.

Needs Debian's chromium and chromium-driver, and Selenium; skips when missing."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from support.browser import CHROMIUM, DRIVER, headless_chromium  # noqa: E402

from netdoc.app.cli import main  # noqa: E402

from test_hub_site import two_probes  # type: ignore[import-not-found]  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian packages chromium and chromium-driver")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def hub_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hub-browser")
    server = two_probes(tmp)
    (tmp / "hub.yaml").write_text(f"remote: \"{server}/{{client}}/{{repo}}.git\"\n"
                                  f"mirror: mirror\n")
    assert main(["hub", "--hub", str(tmp / "hub.yaml"), "sync"]) == 0
    assert main(["hub", "--hub", str(tmp / "hub.yaml"), "build", str(tmp / "out")]) == 0
    return tmp / "out"


def search(browser: Any, page: Path, query: str) -> list[list[str]]:
    browser.get(page.as_uri())
    box = browser.find_element(By.ID, "hub-search")
    box.clear()
    box.send_keys(query)
    rows = browser.find_elements(By.CSS_SELECTOR, "#hub-results tbody tr")
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def test_a_mac_written_as_the_switch_prints_it_finds_the_device_across_clients(
        browser: Any, hub_site: Path) -> None:
    rows = search(browser, hub_site / "index.html", "00aa.bbcc.dd02")  # Cisco's notation
    assert [(r[0], r[1]) for r in rows] == [("globex", "printer-2")]
    rows = search(browser, hub_site / "index.html", "00-11-22-33-44")  # prefix, both of acme
    assert sorted(r[1] for r in rows) == ["core-sw", "edge-rt"]
    assert {r[0] for r in rows} == {"acme"}
    link = browser.find_element(By.CSS_SELECTOR, "#hub-results tbody tr a[href*='acme.html']")
    assert link.get_attribute("href").startswith("file://")


def test_serial_and_model_search_and_hostile_names_stay_text(browser: Any,
                                                            hub_site: Path) -> None:
    assert [r[0] for r in search(browser, hub_site / "index.html", "SG9ZK")] == ["globex"]
    rows = search(browser, hub_site / "index.html", "<script>")
    assert rows and rows[0][1] == "<script>alert(1)</script>"  # shown, never run
    assert browser.execute_script("return document.querySelectorAll('main script').length") \
        == 0
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
