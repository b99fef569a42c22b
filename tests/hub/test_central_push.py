"""Probes push everything: both repositories of every client go to the central
remote named by a template; a failed push never fails the run and the next run's
push catches up; the run report says what happened; secrets and tokens stay home.

Here the central server is a folder of bare repositories (local remotes); the same
path over real sshd + gitolite is tested in test_gitolite.py."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from netdoc.hub.central import SITE_BRANCH, central_warnings, masked_url, remote_url
from netdoc.config import parse_config
from netdoc.errors import ConfigError
from netdoc.app.runner import run_client

from probe_data import Box, populate, write_config  # type: ignore[import-not-found]

ACME = [Box("core-sw", "192.0.2.2", "00:11:22:33:44:01"),
        Box("edge-rt", "192.0.2.1", "00:11:22:33:44:02", model="ISR4331", role="router",
            failing=True)]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                          check=True).stdout


def bare(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--bare", "-q")
    return path


def test_the_template_names_each_repository() -> None:
    assert remote_url("ssh://git@hub/{client}/{repo}", "acme", "configs") == \
        "ssh://git@hub/acme/configs"
    assert masked_url("https://netdoc:glpat-XyZ@git.example/acme") == \
        "https://netdoc:*****@git.example/acme"
    assert masked_url("ssh://git@hub/acme/inventory") == "ssh://git@hub/acme/inventory"


def test_both_repositories_and_the_site_reach_the_central_server(tmp_path: Path) -> None:
    server = tmp_path / "server"
    config = write_config(tmp_path, {"acme": ACME}, central=f"{server}/{{client}}/{{repo}}.git")
    populate(config, "acme", ACME)
    site = config.inventory_dir("acme") / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>acme</h1>\n")
    inventory, configs = bare(server / "acme" / "inventory.git"), \
        bare(server / "acme" / "configs.git")

    report = run_client(config, config.client("acme"), [])

    assert report.status == "ok"
    assert report.push["inventory"]["status"] == "ok"
    assert report.push["configs"]["status"] == "ok"
    assert git(inventory, "rev-parse", "main").strip() == \
        git(config.inventory_dir("acme"), "rev-parse", "HEAD").strip()
    assert git(configs, "rev-parse", "main").strip() == \
        git(config.backups_dir("acme"), "rev-parse", "HEAD").strip()
    assert git(inventory, "show", f"{SITE_BRANCH}:site/index.html") == "<h1>acme</h1>\n"
    status = json.loads(git(inventory, "show", f"{SITE_BRANCH}:status.json"))
    assert status["client"] == "acme"
    assert {b["name"]: b["status"] for b in status["backups"]} == \
        {"core-sw": "ok", "edge-rt": "failed"}
    # the inventory's main branch stays the network's history: no site, no run reports
    tracked = git(inventory, "ls-tree", "-r", "--name-only", "main").split()
    assert "index.json" in tracked and not any(t.startswith(("site/", "runs/")) or
                                               t == "last-run.json" for t in tracked)
    written = json.loads((config.inventory_dir("acme") / "last-run.json").read_text())
    assert written["push"]["configs"]["status"] == "ok" and written["push"]["configs"]["time"]


def test_a_server_that_is_down_never_fails_the_run_and_the_next_push_catches_up(
        tmp_path: Path) -> None:
    server = tmp_path / "server"
    config = write_config(tmp_path, {"acme": ACME}, central=f"{server}/{{client}}/{{repo}}.git")
    populate(config, "acme", ACME)

    down = run_client(config, config.client("acme"), [])

    assert down.status == "ok" and down.exit_code == 0
    assert down.push["inventory"]["status"] == "failed"
    assert "next run pushes it" in down.push["configs"]["reason"]
    written = json.loads((config.inventory_dir("acme") / "last-run.json").read_text())
    assert written["push"]["inventory"]["status"] == "failed"
    # two more commits while the server is away
    populate(config, "acme", ACME + [Box("ap-1", "192.0.2.30", "00:11:22:33:44:03",
                                         model="C9120", role="ap")])
    inventory, configs = bare(server / "acme" / "inventory.git"), \
        bare(server / "acme" / "configs.git")

    back = run_client(config, config.client("acme"), [])

    assert back.push["inventory"]["status"] == "ok" and back.push["configs"]["status"] == "ok"
    assert int(git(configs, "rev-list", "--count", "main")) == \
        int(git(config.backups_dir("acme"), "rev-list", "--count", "HEAD")) == 2
    assert "ap-1" in git(inventory, "show", "main:index.json")


def test_a_token_in_the_remote_never_reaches_the_report(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"acme": ACME}, timeout=10,
                          central="https://netdoc:glpat-S3cretT0ken@127.0.0.1:9/{client}/{repo}")
    populate(config, "acme", ACME)
    report = run_client(config, config.client("acme"), [])
    text = (config.inventory_dir("acme") / "last-run.json").read_text()
    assert report.push["configs"]["status"] == "failed"
    assert "glpat-S3cretT0ken" not in text and "netdoc:*****@127.0.0.1" in text


def test_a_client_keeping_secrets_never_pushes_its_configs_and_check_warns(
        tmp_path: Path) -> None:
    server = tmp_path / "server"
    config = write_config(tmp_path, {"acme": ACME}, central=f"{server}/{{client}}/{{repo}}.git")
    text = config.path.read_text().replace("    sites:", "    secrets: keep\n    sites:", 1)
    config.path.write_text(text)
    config = parse_config(text, config.path)
    populate(config, "acme", ACME, config_text="hostname x\nenable secret 5 $1$abcd$hunter2\n")
    configs = bare(server / "acme" / "configs.git")
    bare(server / "acme" / "inventory.git")

    report = run_client(config, config.client("acme"), [])

    assert report.push["configs"]["status"] == "skipped"
    assert "never leave the probe" in report.push["configs"]["reason"]
    assert git(configs, "for-each-ref").strip() == ""  # nothing arrived
    assert report.push["inventory"]["status"] == "ok"
    warnings = central_warnings(config)
    assert len(warnings) == 1 and "secrets: keep" in warnings[0]


@pytest.mark.parametrize("remote, message", [
    ("ssh://git@hub/{client}", "needs {repo}"),
    ("ssh://git@hub/all/{repo}", "needs {client}"),
])
def test_a_central_remote_without_its_placeholders_is_refused(tmp_path: Path, remote: str,
                                                              message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        write_config(tmp_path, {"acme": ACME}, central=remote)


def test_a_client_may_name_its_own_central_remote(tmp_path: Path) -> None:
    text = ("clients:\n  acme:\n    sites: {hq: {subnets: [192.0.2.0/24]}}\n"
            "    central: {remote: \"ssh://git@other-hub/acme-{repo}\"}\n")
    config = parse_config(text, tmp_path / "netdoc.yaml")
    chosen = config.client("acme").central
    assert chosen is not None and chosen.remote == "ssh://git@other-hub/acme-{repo}"
    assert config.central is None


def test_the_site_shows_the_last_push(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"acme": ACME},
                          central=f"{tmp_path}/nowhere/{{client}}/{{repo}}.git")
    populate(config, "acme", ACME)
    run_client(config, config.client("acme"), [])  # the server is not there: failed
    populate(config, "acme", ACME, render=True)
    page = (config.inventory_dir("acme") / "site" / "index.html").read_text()
    assert "Central push" in page and "push-failed" in page and "next run pushes it" in page


def test_a_silent_ssh_server_cannot_hold_the_run(tmp_path: Path) -> None:
    """The server accepts the connection and never says a word: each repository's push
    is cut off at central.timeout, and the run ends with its report."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        config = write_config(tmp_path, {"acme": ACME}, timeout=3,
                              central=f"ssh://git@127.0.0.1:{port}/{{client}}/{{repo}}",
                              known_hosts=str(tmp_path / "known_hosts"))
        populate(config, "acme", ACME)
        started = time.monotonic()
        report = run_client(config, config.client("acme"), [])
        seconds = time.monotonic() - started
    finally:
        listener.close()
    assert report.status == "ok"
    assert report.push["inventory"]["status"] == "failed"
    assert "no answer within 3 s" in report.push["configs"]["reason"]
    assert seconds < 20, seconds


def test_an_ssh_user_is_not_taken_for_a_token(tmp_path: Path) -> None:
    quiet = write_config(tmp_path, {"acme": ACME}, central="ssh://git@hub:2222/{client}/{repo}")
    assert not [w for w in quiet.warnings if "token" in w]
    loud = write_config(tmp_path, {"acme": ACME},
                        central="https://netdoc:glpat-x1@git.example/{client}/{repo}")
    assert [w for w in loud.warnings if "central.remote: plaintext token" in w]


def test_a_key_file_committed_by_mistake_is_never_pushed(tmp_path: Path) -> None:
    server = tmp_path / "server"
    config = write_config(tmp_path, {"acme": ACME}, central=f"{server}/{{client}}/{{repo}}.git")
    populate(config, "acme", ACME)
    inventory = bare(server / "acme" / "inventory.git")
    bare(server / "acme" / "configs.git")
    folder = config.inventory_dir("acme")
    (folder / "acme.key").write_text("not for the hub\n")
    git(folder, "add", "-f", "acme.key")
    git(folder, "-c", "user.name=x", "-c", "user.email=x@localhost", "commit", "-qm", "oops")

    report = run_client(config, config.client("acme"), [])

    assert report.push["inventory"]["status"] == "failed"
    assert "acme.key" in report.push["inventory"]["reason"]
    assert git(inventory, "for-each-ref").strip() == ""
    assert report.push["configs"]["status"] == "ok"


def test_status_shows_each_repositorys_push_and_when_it_last_reached_the_server(
        tmp_path: Path) -> None:
    from netdoc.app.status import client_status, status_lines

    server = tmp_path / "server"
    config = write_config(tmp_path, {"acme": ACME}, central=f"{server}/{{client}}/{{repo}}.git")
    populate(config, "acme", ACME)
    bare(server / "acme" / "inventory.git"), bare(server / "acme" / "configs.git")
    reached = run_client(config, config.client("acme"), [])
    assert reached.push["inventory"]["status"] == "ok"
    (server / "acme" / "configs.git").rename(server / "acme" / "moved.git")
    time.sleep(1.1)  # run reports are named by the second they started

    run_client(config, config.client("acme"), [])
    status = client_status(config, config.client("acme"))

    assert status["central_push"]["inventory"]["status"] == "ok"
    configs = status["central_push"]["configs"]
    assert configs["status"] == "failed" and configs["last_ok"] == reached.push["configs"]["time"]
    assert status["attention"] is True
    text = "\n".join(status_lines(status))
    assert "PUSH FAILED configs" in text and f"last reached {configs['last_ok']}" in text
    assert "pushed inventory" in text


def test_the_starter_config_shows_central_and_its_example_is_valid(tmp_path: Path) -> None:
    import re

    from netdoc.app.starter import STARTER_CONFIG

    block = STARTER_CONFIG.split("# central:", 1)[1]
    enabled = STARTER_CONFIG.split("# central:", 1)[0] + "central:" + re.sub(
        r"(?m)^# ", "", block)
    (tmp_path / "netdoc.yaml").write_text(enabled)

    config = parse_config(enabled, tmp_path / "netdoc.yaml")

    assert config.central is not None
    assert remote_url(config.central.remote, "acme", "configs") == \
        "ssh://git@hub.example.net/acme/configs"
