"""The whole path with the real thing: probes push over ssh to gitolite3, the hub
syncs and builds, and per-client access is granted and revoked through gitolite's
admin repository with `netdoc hub access`. sshd listens on 127.0.0.1 only.

Order matters inside this module (one server, access changing as it goes), as it
would on a real hub: each test states the access it starts from."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.app.cli import main
from netdoc.config import Config
from netdoc.errors import NetdocError
from netdoc.app.runner import run_client

from gitolite_server import GitoliteServer, unavailable_reason  # type: ignore[import-not-found]
from probe_data import Box, populate, write_config  # type: ignore[import-not-found]

REASON = unavailable_reason()
pytestmark = pytest.mark.skipif(bool(REASON), reason=REASON or "-")

ACME = [Box("core-sw", "192.0.2.2", "00:11:22:33:44:01"),
        Box("edge-rt", "192.0.2.1", "00:11:22:33:44:02", role="router", failing=True)]
GLOBEX = [Box("dist-sw", "198.51.100.2", "00:aa:bb:cc:dd:01", serial="SG9ZK0000")]


@pytest.fixture(scope="module")
def server() -> Iterator[GitoliteServer]:
    hub = GitoliteServer()
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, server: GitoliteServer) -> Path:
    """The MSP's set-up: users with keys, each probe its client's one writer, the hub
    (the admin key here) reads every client."""
    folder = tmp_path_factory.mktemp("msp")
    hub = str(server.hub_yaml(folder))
    for user in ("probe-acme", "probe-globex", "alice"):
        key = server.key(user)
        assert main(["hub", "--hub", hub, "access", "add-user", user, f"{key}.pub"]) == 0
    assert main(["hub", "--hub", hub, "access", "grant", "probe-acme", "acme", "--write"]) == 0
    assert main(["hub", "--hub", hub, "access", "grant", "probe-globex", "globex",
                 "--write"]) == 0
    assert main(["hub", "--hub", hub, "access", "grant", "admin", "*"]) == 0
    return folder


def probe(server: GitoliteServer, folder: Path, client: str, key: str,
          boxes: list[Box]) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(folder, {client: boxes}, central=server.url("{client}/{repo}"),
                          ssh_key=str(server.key(key)), known_hosts=str(server.known_hosts),
                          timeout=30)
    populate(config, client, boxes)
    return config


def access(work: Path, *args: str) -> int:
    return main(["hub", "--hub", str(work / "hub.yaml"), "access", *args])


def test_both_probes_push_and_the_hub_builds(server: GitoliteServer, work: Path) -> None:
    for client, key, boxes in (("acme", "probe-acme", ACME),
                               ("globex", "probe-globex", GLOBEX)):
        config = probe(server, work / key, client, key, boxes)
        report = run_client(config, config.client(client), [])
        assert {r["status"] for r in report.push.values()} == {"ok"}, report.push
    hub = str(work / "hub.yaml")
    assert main(["hub", "--hub", hub, "sync"]) == 0  # clients listed by gitolite's info
    assert main(["hub", "--hub", hub, "build", str(work / "out")]) == 0
    page = (work / "out" / "index.html").read_text()
    assert 'href="clients/acme.html"' in page and 'href="clients/globex.html"' in page
    assert "edge-rt" in page.split('id="attention"', 1)[1]
    assert "SG9ZK0000" in (work / "out" / "assets" / "search-index.js").read_text()


def test_a_technician_reads_the_granted_client_only_until_revoked(
        server: GitoliteServer, work: Path, tmp_path: Path) -> None:
    assert access(work, "grant", "alice", "acme") == 0
    ok = server.git_as("alice", "clone", "-q", "-b", "main", server.url("acme/inventory"),
                       str(tmp_path / "acme"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "acme" / "index.json").is_file()
    refused = server.git_as("alice", "clone", "-q", server.url("globex/inventory"),
                            str(tmp_path / "globex"))
    assert refused.returncode != 0 and "DENIED" in refused.stderr
    assert access(work, "revoke", "alice", "acme") == 0
    again = server.git_as("alice", "clone", "-q", server.url("acme/inventory"),
                          str(tmp_path / "acme-again"))
    assert again.returncode != 0 and "DENIED" in again.stderr


def test_a_probe_can_neither_read_nor_write_another_client(server: GitoliteServer,
                                                           work: Path, tmp_path: Path) -> None:
    read = server.git_as("probe-acme", "clone", "-q", server.url("globex/configs"),
                         str(tmp_path / "x"))
    assert read.returncode != 0 and "DENIED" in read.stderr
    # probe A configured (wrongly) to push client globex: gitolite refuses, the run goes on
    config = probe(server, tmp_path / "wrong", "globex", "probe-acme", GLOBEX)
    report = run_client(config, config.client("globex"), [])
    assert report.status == "ok"
    assert report.push["configs"]["status"] == "failed"
    assert "DENIED" in report.push["configs"]["reason"]


def test_one_writer_per_repository(server: GitoliteServer, work: Path, tmp_path: Path) -> None:
    # a second probe cannot become acme's writer ...
    with pytest.raises(NetdocError, match="one writer"):
        from netdoc.hub.access import grant
        from netdoc.hub.settings import load_hub

        grant(load_hub(work / "hub.yaml"), "probe-globex", "acme", write=True)
    # ... and pushing acme with its key is refused by gitolite
    config = probe(server, tmp_path / "second", "acme", "probe-globex", ACME)
    report = run_client(config, config.client("acme"), [])
    assert report.push["inventory"]["status"] == "failed"
    assert "DENIED" in report.push["inventory"]["reason"]


def test_a_hub_that_is_down_does_not_fail_the_run_and_the_push_catches_up(
        server: GitoliteServer, work: Path) -> None:
    config = probe(server, work / "probe-acme", "acme", "probe-acme",
                   ACME + [Box("ap-7", "192.0.2.70", "00:11:22:33:44:77", role="ap")])
    server.down()
    try:
        report = run_client(config, config.client("acme"), [])
    finally:
        server.up()
    assert report.status == "ok" and report.exit_code == 0
    assert report.push["inventory"]["status"] == "failed"
    written = json.loads((config.inventory_dir("acme") / "last-run.json").read_text())
    assert written["push"]["configs"]["status"] == "failed"
    later = run_client(config, config.client("acme"), [])
    assert {r["status"] for r in later.push.values()} == {"ok"}, later.push
    assert main(["hub", "--hub", str(work / "hub.yaml"), "sync"]) == 0
    assert main(["hub", "--hub", str(work / "hub.yaml"), "build", str(work / "out")]) == 0
    assert "ap-7" in (work / "out" / "clients" / "acme.html").read_text()


def test_a_leaver_loses_every_access_at_once(server: GitoliteServer, work: Path,
                                             tmp_path: Path) -> None:
    assert access(work, "grant", "alice", "acme") == 0
    assert access(work, "grant", "alice", "globex") == 0
    assert server.git_as("alice", "ls-remote", server.url("globex/inventory")).returncode == 0
    assert access(work, "revoke", "alice", "--all") == 0
    for repo in ("acme/inventory", "globex/configs", "testing"):
        refused = server.git_as("alice", "ls-remote", server.url(repo))
        assert refused.returncode != 0, repo
    assert not (work / "admin" / "keydir" / "alice.pub").exists()


def test_a_probe_cannot_rewrite_its_clients_history(server: GitoliteServer, work: Path,
                                                    tmp_path: Path) -> None:
    """Only the site snapshot branch may be replaced; main's history is kept on the hub
    even if a probe (or whoever holds its key) tries to rewrite it."""
    clone = tmp_path / "configs"
    assert server.git_as("probe-acme", "clone", "-q", "-b", "main",
                         server.url("acme/configs"), str(clone)).returncode == 0
    env_args = ["-c", "user.name=x", "-c", "user.email=x@localhost"]
    assert server.git_as("probe-acme", *env_args, "commit", "-q", "--amend", "-m", "rewritten",
                         cwd=clone).returncode == 0
    forced = server.git_as("probe-acme", "push", "-f", "origin", "HEAD:main", cwd=clone)
    assert forced.returncode != 0 and "DENIED" in forced.stderr
