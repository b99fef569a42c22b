"""The leak search used to prove that no planted vault secret reaches netdoc's
outputs: it must find a secret in plain files, escaped in JSON or HTML, and
anywhere in a git repository's history, and report names, not values."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from netdoc.vault.leaks import Leak, find_leaks

PLANTED = {"acme/core-ssh": 'pl4nted<"ssh">&pw', "acme/snmp": "planted-community-ÄÖ"}


def git(repository: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repository), "-c", "user.name=t", "-c",
                    "user.email=t@example.invalid", *args], check=True, capture_output=True)


def test_clean_outputs_have_no_leaks(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text(json.dumps({"password": "*****"}))
    assert find_leaks([tmp_path], PLANTED) == []


def test_finds_plain_json_escaped_and_html_escaped_secrets(tmp_path: Path) -> None:
    (tmp_path / "run.log").write_text(f"login with {PLANTED['acme/snmp']}\n")
    (tmp_path / "report.json").write_text(json.dumps({"x": PLANTED["acme/core-ssh"]}))
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        "<td>pl4nted&lt;&quot;ssh&quot;&gt;&amp;pw</td>")
    leaks = find_leaks([tmp_path], PLANTED)
    assert leaks == [Leak(str(tmp_path / "report.json"), "acme/core-ssh"),
                     Leak(str(tmp_path / "run.log"), "acme/snmp"),
                     Leak(str(tmp_path / "site" / "index.html"), "acme/core-ssh")]
    for leak in leaks:
        assert all(value not in repr(leak) for value in PLANTED.values())


def test_finds_a_secret_removed_from_git_but_still_in_history(tmp_path: Path) -> None:
    repository = tmp_path / "config_backups" / "acme"
    repository.mkdir(parents=True)
    git(repository, "init", "-q")
    config = repository / "core-sw.cfg"
    config.write_text(f"snmp-server community {PLANTED['acme/snmp']} RO\n")
    git(repository, "add", "core-sw.cfg")
    git(repository, "commit", "-q", "-m", "first backup")
    config.write_text("snmp-server community <masked> RO\n")
    git(repository, "commit", "-q", "-am", "masked")
    git(repository, "gc", "-q")  # packed objects are searched too
    leaks = find_leaks([tmp_path / "config_backups"], PLANTED)
    assert len(leaks) == 1 and leaks[0].secret == "acme/snmp"
    assert leaks[0].where.startswith(f"{repository} git object ")


def test_searches_a_bare_repository_too(tmp_path: Path) -> None:
    work, remote = tmp_path / "work", tmp_path / "remotes" / "acme.git"
    work.mkdir()
    git(work, "init", "-q")
    (work / "x.cfg").write_text(PLANTED["acme/core-ssh"])
    git(work, "add", "x.cfg")
    git(work, "commit", "-q", "-m", "x")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(remote)], check=True)
    leaks = find_leaks([tmp_path / "remotes"], PLANTED)
    assert [leak.secret for leak in leaks] == ["acme/core-ssh"]
    assert leaks[0].where.startswith(f"{remote} git object ")
