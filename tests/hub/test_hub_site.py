"""The hub mirrors every client's repositories and renders one site over all of
them. Two probes, one client each, push to a folder of bare repositories (the
central server); `netdoc hub sync` and `netdoc hub build` run as the CLI."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from netdoc.app.cli import main
from netdoc.hub.sync import parse_gitolite_info
from netdoc.app.runner import run_client

from probe_data import Box, populate, write_config  # type: ignore[import-not-found]

ACME = [Box("core-sw", "192.0.2.2", "00:11:22:33:44:01", serial="FOC1111A1AA"),
        Box("edge-rt", "192.0.2.1", "00:11:22:33:44:02", model="ISR4331", role="router",
            failing=True)]
GLOBEX = [Box("<script>alert(1)</script>", "198.51.100.2", "00:aa:bb:cc:dd:01",
              model="Aruba 2930F", serial="SG9ZK0000"),
          Box("printer-2", "198.51.100.9", "00:aa:bb:cc:dd:02", model="HP M479",
              role="printer")]


def bare(path: Path) -> None:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "--bare", "-q", str(path)], check=True)


def two_probes(tmp_path: Path, render: bool = False) -> Path:
    """Probe 1 documents acme, probe 2 globex; both push to tmp_path/server."""
    server = tmp_path / "server"
    for client in ("acme", "globex"):
        for repo in ("inventory", "configs"):
            bare(server / client / f"{repo}.git")
    for client, boxes in (("acme", ACME), ("globex", GLOBEX)):
        probe = tmp_path / f"probe-{client}"
        probe.mkdir()
        config = write_config(probe, {client: boxes},
                              central=f"{server}/{{client}}/{{repo}}.git")
        populate(config, client, boxes, render=render)
        report = run_client(config, config.client(client), [])
        assert {r["status"] for r in report.push.values()} == {"ok"}, report.push
    return server


@pytest.fixture(scope="module")
def hub_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hub")
    server = two_probes(tmp, render=True)
    (tmp / "hub.yaml").write_text(f"remote: \"{server}/{{client}}/{{repo}}.git\"\n"
                                  f"mirror: mirror\n")
    assert main(["hub", "--hub", str(tmp / "hub.yaml"), "sync"]) == 0
    assert main(["hub", "--hub", str(tmp / "hub.yaml"), "build", str(tmp / "out")]) == 0
    return tmp / "out"


def test_the_hub_lists_both_clients_with_fresh_pushes(hub_site: Path) -> None:
    page = (hub_site / "index.html").read_text()
    assert 'href="clients/acme.html"' in page and 'href="clients/globex.html"' in page
    assert page.count("fresh-fresh") >= 2


def test_failing_backups_across_clients_are_listed(hub_site: Path) -> None:
    page = (hub_site / "index.html").read_text()
    attention = page.split('id="attention"', 1)[1].split("</section>", 1)[0]
    assert "edge-rt" in attention and "authentication failed" in attention
    assert "core-sw" not in attention


def test_devices_changed_this_week_come_from_both_repositories(hub_site: Path) -> None:
    changes = (hub_site / "index.html").read_text().split('id="changes"', 1)[1]
    assert "hq/core-sw" in changes  # its config (configs repository)
    assert "printer-2" in changes or "198-51-100-9" in changes or "inventory" in changes


def test_each_client_page_links_to_the_site_its_probe_rendered(hub_site: Path) -> None:
    page = (hub_site / "clients" / "acme.html").read_text()
    assert 'href="acme/site/index.html"' in page
    own = hub_site / "clients" / "acme" / "site" / "index.html"
    assert own.is_file() and "acme" in own.read_text()
    assert (hub_site / "clients" / "acme" / "site" / "devices.html").is_file()


def test_device_text_is_escaped_everywhere(hub_site: Path) -> None:
    for page in [hub_site / "index.html", *sorted((hub_site / "clients").glob("*.html"))]:
        assert "<script>alert" not in page.read_text(), page
    script = (hub_site / "assets" / "search-index.js").read_text()
    assert "<" not in script.split("=", 1)[1]  # no markup can close a tag from the data


def test_the_search_index_holds_name_ip_mac_serial_and_model(hub_site: Path) -> None:
    script = (hub_site / "assets" / "search-index.js").read_text()
    rows = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    by_name = {r[1]: r for r in rows}
    assert by_name["core-sw"][:6] == ["acme", "core-sw", "192.0.2.2", "00:11:22:33:44:01",
                                      "FOC1111A1AA", "C9300-48P"]
    assert by_name["printer-2"][0] == "globex"


def test_every_page_finds_the_stylesheets_and_scripts_it_links(hub_site: Path) -> None:
    """The hub's look is the documentation site's stylesheet plus the hub's additions."""
    import re

    for page in [hub_site / "index.html", *sorted((hub_site / "clients").glob("*.html"))]:
        linked = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page.read_text())
        assert any(link.endswith("assets/netdoc.css") for link in linked), page
        for link in linked:
            assert (page.parent / link).resolve().is_file(), (page, link)


def test_a_second_sync_fetches_what_the_probes_pushed_since(tmp_path: Path) -> None:
    server = two_probes(tmp_path)
    hub = tmp_path / "hub.yaml"
    hub.write_text(f"remote: \"{server}/{{client}}/{{repo}}.git\"\nmirror: mirror\n")
    assert main(["hub", "--hub", str(hub), "sync"]) == 0
    config = write_config(tmp_path / "probe-acme", {"acme": ACME},
                          central=f"{server}/{{client}}/{{repo}}.git")
    populate(config, "acme", ACME + [Box("ap-9", "192.0.2.90", "00:11:22:33:44:99")])
    run_client(config, config.client("acme"), [])
    assert main(["hub", "--hub", str(hub), "sync"]) == 0
    assert main(["hub", "--hub", str(hub), "build", str(tmp_path / "out")]) == 0
    assert "ap-9" in (tmp_path / "out" / "clients" / "acme.html").read_text()
    sync = json.loads((tmp_path / "mirror" / "sync.json").read_text())
    assert {r["action"] for r in sync["repositories"]} == {"fetched"}


def test_a_missing_repository_fails_alone(tmp_path: Path) -> None:
    server = two_probes(tmp_path)
    hub = tmp_path / "hub.yaml"
    hub.write_text(f"remote: \"{server}/{{client}}/{{repo}}.git\"\nmirror: mirror\n"
                   f"clients: [acme, globex, initech]\n")
    assert main(["hub", "--hub", str(hub), "sync"]) == 1  # initech has nothing yet
    assert main(["hub", "--hub", str(hub), "build", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "clients" / "globex.html").is_file()


def test_gitolite_info_lists_the_clients_of_the_template() -> None:
    info = ("hello hub, this is git@hub running gitolite3 3.6.12-1 (Debian) on git 2.39.2\n\n"
            " R W\tacme/configs\n R  \tacme/inventory\n R W\tglobex/inventory\n"
            " R W\tgitolite-admin\n R W\ttesting\n R  \t../etc/inventory\n")
    assert parse_gitolite_info(info, "{client}/{repo}") == ["acme", "globex"]


def test_serve_shows_the_built_site_on_loopback(hub_site: Path) -> None:
    import socket
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "netdoc.app.cli", "hub", "--remote",
                               "/x/{client}/{repo}", "serve", str(hub_site), "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html",
                                            timeout=2) as answer:
                    page = answer.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(10)
    assert 'href="clients/acme.html"' in page
