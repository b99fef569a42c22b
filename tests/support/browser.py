"""One headless Chromium for the browser tests (Debian's chromium + chromium-driver).

    with headless_chromium() as driver:
        driver.get(page.as_uri())

A throw-away profile folder per browser, removed afterwards; the browser's console
log is kept so a test can assert that a page raised no script errors.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from typing import Any, Iterator

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


@contextlib.contextmanager
def headless_chromium() -> Iterator[Any]:
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="netdoc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=str(DRIVER)),
                              options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
