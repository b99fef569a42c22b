"""The documentation page in a real headless Chromium (file://): a technician reads the
VPN table and the exposure list, and narrows the firewall rules to port 3389.

Needs Debian's chromium and chromium-driver, and Selenium; skips with the reason
when one is missing.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.facts.docs import render_docs
from netdoc.render.site import environment

webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from support.browser import CHROMIUM, DRIVER, headless_chromium  # noqa: E402

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian packages chromium and chromium-driver")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facts"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chromium() as driver:
        yield driver


def test_docs_page_tables_and_rule_filter(browser: object, tmp_path: Path) -> None:
    repo = tmp_path / "config_backups" / "acme" / "hq"
    repo.mkdir(parents=True)
    for name in ("fortinet_fortigate", "cisco_asa", "mikrotik_routeros"):
        shutil.copy(FIXTURES / f"{name}.facts.yaml", repo / f"{name}.facts.yaml")
    site = tmp_path / "site"
    shutil.copytree(Path(__file__).resolve().parents[2] / "netdoc" / "templates", site / "assets",
                    ignore=shutil.ignore_patterns("*.j2", "hub", "docs.js"))
    page = render_docs(environment(None), repo.parent, site,
                       {"client": "acme", "generated": "now", "docs": True})
    browser.get(page.as_uri())  # type: ignore[attr-defined]

    def rows(selector: str) -> list[str]:
        return [r.text for r in browser.find_elements(By.CSS_SELECTOR, selector)  # type: ignore[attr-defined]
                if r.is_displayed()]

    vpn_rows = rows("#docs-vpns tbody tr")
    assert any("198.51.100.7" in r and "site-to-site" in r for r in vpn_rows)
    assert any("remote-access" in r and "192.0.2.240-192.0.2.250" in r for r in vpn_rows)
    exposure = rows("#docs-exposure tbody tr")
    assert any("port forward" in r and "3389" in r for r in exposure)
    assert any(r.startswith("hq/mikrotik_routeros") for r in exposure)
    flags = rows("#docs-flags li")
    assert "hq/cisco_asa: telnet enabled" in flags

    everything = rows("table.docs-rules tbody tr")
    box = browser.find_element(By.ID, "rule-filter")  # type: ignore[attr-defined]
    box.send_keys("3389 allow")
    narrowed = rows("table.docs-rules tbody tr")
    assert 0 < len(narrowed) < len(everything)
    assert all("3389" in r for r in narrowed)
    errors = [e["message"] for e in browser.get_log("browser")  # type: ignore[attr-defined]
              if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_runbooks_are_formatted_and_found_by_the_page_search(browser: object,
                                                             tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "internet-down.md").write_text(
        "# Internet down\n1. Check the **ONT** in rack A\n2. Call ExampleNet\n", encoding="utf-8")
    (docs / "printer.md").write_text("# Printer jams\nOpen tray 2.\n", encoding="utf-8")
    site = tmp_path / "site"
    shutil.copytree(Path(__file__).resolve().parents[2] / "netdoc" / "templates", site / "assets",
                    ignore=shutil.ignore_patterns("*.j2", "hub", "docs.js"))
    page = render_docs(environment(None), tmp_path / "no-backups", site,
                       {"client": "acme", "generated": "now", "docs": True}, manual_folder=docs)
    browser.get(page.as_uri())  # type: ignore[attr-defined]

    def shown() -> list[str]:
        return [s.find_element(By.TAG_NAME, "h3").text  # type: ignore[attr-defined]
                for s in browser.find_elements(By.CSS_SELECTOR,  # type: ignore[attr-defined]
                                               "section.runbook") if s.is_displayed()]

    assert shown() == ["Internet down", "Printer jams"]
    bold = browser.find_element(By.CSS_SELECTOR, "section.runbook strong")  # type: ignore[attr-defined]
    assert bold.text == "ONT"
    browser.find_element(By.ID, "page-filter").send_keys("examplenet")  # type: ignore[attr-defined]
    assert shown() == ["Internet down"]
