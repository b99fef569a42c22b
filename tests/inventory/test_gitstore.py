"""The one git store (netdoc.gitstore): how netdoc creates, commits to and reads the
inventory and config repositories."""
from __future__ import annotations

import os
from pathlib import Path

import git
import pytest

from netdoc.errors import StoreError
from netdoc.fsutil import WRITER_NOTE
from netdoc.gitstore import BRANCH, GitStore


def test_a_new_repository_is_on_main_with_netdoc_as_author(tmp_path: Path) -> None:
    store = GitStore(tmp_path / "repo", name="test", ignore=("state.json",))
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.txt").write_text("one\n")
    (tmp_path / "repo" / "state.json").write_text("{}\n")
    commit = store.commit_all("First\n\nbody\n")
    repo = git.Repo(tmp_path / "repo")
    assert repo.active_branch.name == BRANCH == "main"
    assert repo.head.commit.hexsha == commit == store.head()
    assert (repo.head.commit.author.name, repo.head.commit.author.email) == \
        ("netdoc", "netdoc@localhost")
    assert repo.head.commit.committer.name == "netdoc"
    assert repo.config_reader().get_value("user", "name") == "netdoc"
    assert sorted(str(f) for f in repo.head.commit.stats.files) == [".gitignore", "a.txt"]
    assert oct((tmp_path / "repo").stat().st_mode & 0o777) in ("0o700", "0o755")


def test_one_commit_only_when_something_changed(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    store = GitStore(folder)
    folder.mkdir()
    (folder / "a.txt").write_text("one\n")
    first = store.commit_all("one")
    assert store.commit_all("nothing") == ""
    (folder / "a.txt").write_text("two\n")
    (folder / "b.txt").write_text("new\n")
    assert store.commit_all("only b", ["b.txt"]) != first  # only the named file
    assert store.show("HEAD", "a.txt") == "one\n" and store.show("HEAD", "b.txt") == "new\n"
    assert store.show("HEAD", "missing.txt") is None
    log = store.log()
    assert [entry.subject for entry in log] == ["only b", "one"]
    assert log[0].files == ["b.txt"] and log[1].files == ["a.txt"]
    assert "+new" in store.patch(log[0].hash, "b.txt")


def test_a_killed_runs_git_lock_is_recovered(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    store = GitStore(folder)
    folder.mkdir()
    (folder / "a.txt").write_text("one\n")
    store.commit_all("one")
    (folder / ".git" / "index.lock").write_text("")
    (folder / ".git" / WRITER_NOTE).write_text("999999999 0\n")  # a netdoc that is gone
    (folder / "a.txt").write_text("two\n")
    assert store.commit_all("two")
    assert not (folder / ".git" / "index.lock").exists()
    assert not (folder / ".git" / WRITER_NOTE).exists()


def test_a_foreign_git_lock_is_reported_not_removed(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netdoc.fsutil.FOREIGN_LOCK_WAIT", 0.2)
    folder = tmp_path / "repo"
    store = GitStore(folder)
    folder.mkdir()
    (folder / "a.txt").write_text("one\n")
    store.commit_all("one")
    (folder / ".git" / "index.lock").write_text("")  # a technician's git command?
    with pytest.raises(StoreError, match="no netdoc run left it"):
        store.commit_all("two")
    assert (folder / ".git" / "index.lock").exists()


def test_reading_a_folder_without_a_repository_creates_nothing(tmp_path: Path) -> None:
    store = GitStore(tmp_path / "nothing")
    assert store.log() == [] and store.head() == "" and not store.exists()
    assert not (tmp_path / "nothing").exists()
    assert os.listdir(tmp_path) == []


def test_a_files_history_says_when_it_was_added_and_changed(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    store = GitStore(folder)
    folder.mkdir()
    (folder / "sw1.cfg").write_text("hostname sw1\n")
    first = store.commit_all("backup: 1 added\n\nAdded:\n  sw1\n")
    (folder / "sw1.cfg").write_text("hostname sw1\nntp server 192.0.2.9\n")
    second = store.commit_all("backup: 1 changed")
    history = store.file_history("sw1.cfg")
    assert [(c.hexsha, c.added, c.insertions, c.deletions, c.subject) for c in history] == \
        [(second, False, 1, 0, "backup: 1 changed"), (first, True, 1, 0, "backup: 1 added")]
    assert store.first_parent("HEAD") == first and store.first_parent(first) == ""
    assert store.resolve("HEAD~1") == first and store.resolve("no-such-rev") is None
    assert store.text_at(first, "sw1.cfg") == "hostname sw1"  # as git prints it
    assert store.diff(first, second, ["sw1.cfg"], name_status=True) == "M\tsw1.cfg"
    assert "+ntp server 192.0.2.9" in store.diff(first, second, ["sw1.cfg"], context=0)
    assert store.last_change("sw1.cfg")[:4].isdigit()
    assert store.last_commit_before("1990-01-01") == ""
    with pytest.raises(StoreError, match="git show"):
        store.text_at(first, "gone.cfg")


def test_unpushed_until_the_remote_has_main(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    store = GitStore(folder)
    assert not store.unpushed()  # no repository, nothing to push
    folder.mkdir()
    (folder / "a.cfg").write_text("one\n")
    store.commit_all("one")
    assert store.unpushed()  # never pushed
    remote = tmp_path / "remote.git"
    git.Repo.init(remote, bare=True)
    assert store.push(str(remote)) == (True, "")
    git.Repo(folder).git.fetch(str(remote), "+main:refs/remotes/origin/main")
    assert not store.unpushed()
    (folder / "a.cfg").write_text("two\n")
    store.commit_all("two")
    assert store.unpushed()
