"""What `netdoc hub access` writes into gitolite-admin, and what it refuses before
touching the server (the real gitolite round trip is in test_gitolite.py)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from netdoc.hub.access import Access, AdminRepo, add_user
from netdoc.hub.settings import HubError, load_hub


def hub(tmp_path: Path) -> Path:
    path = tmp_path / "hub.yaml"
    path.write_text('remote: "ssh://git@127.0.0.1:2222/{client}/{repo}"\n'
                    'admin: "ssh://git@127.0.0.1:2222/gitolite-admin"\n')
    return path


def test_the_generated_conf_has_one_writer_and_readers_per_client(tmp_path: Path) -> None:
    admin = AdminRepo(load_hub(hub(tmp_path)))
    conf = admin.render(Access(clients={"acme": {"writer": "probe-acme",
                                                 "readers": ["alice", "bob"]},
                                        "globex": {"writer": "probe-globex", "readers": []}},
                               everywhere=["hub"]))
    assert "repo acme/inventory acme/configs\n" \
           "    RW+   refs/heads/netdoc-site$ = probe-acme\n    RW    = probe-acme\n" \
           "    R     = alice bob hub\n" in conf
    assert "repo globex/inventory globex/configs\n" \
           "    RW+   refs/heads/netdoc-site$ = probe-globex\n    RW    = probe-globex\n" \
           "    R     = hub\n" in conf
    # history is never rewritten: only the site snapshot branch may be replaced
    assert [line for line in conf.splitlines() if "RW+" in line and "netdoc-site$" not in line] \
        == []


def test_a_private_key_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    key = tmp_path / "alice"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    with pytest.raises(HubError, match="not one OpenSSH public key line"):
        add_user(load_hub(hub(tmp_path)), "alice", key)


@pytest.mark.parametrize("user", ["../admin", "-oProxyCommand=x", "a b", ""])
def test_user_names_that_could_break_the_conf_are_refused(tmp_path: Path, user: str) -> None:
    key = tmp_path / "k.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9 x\n")
    with pytest.raises(HubError, match="invalid user name"):
        add_user(load_hub(hub(tmp_path)), user, key)


def test_a_hub_yaml_without_the_template_placeholders_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hub.yaml"
    path.write_text('remote: "ssh://git@hub/everything"\n')
    with pytest.raises(HubError, match="{client} and {repo}"):
        load_hub(path)
