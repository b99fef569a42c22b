"""`netdoc hub access`: per-client access, kept in gitolite's own admin repository.

    netdoc hub access add-user USER KEYFILE     keydir/USER.pub
    netdoc hub access grant USER CLIENT         read access to the client's repositories
    netdoc hub access grant USER CLIENT --write  the client's one writer (its probe)
    netdoc hub access grant USER '*'            read access to every client (the hub itself)
    netdoc hub access revoke USER CLIENT
    netdoc hub access revoke USER --all         a leaver: every grant and the key go at once
    netdoc hub access list

The truth is conf/netdoc-access.json in the admin repository; conf/netdoc.conf is
generated from it (gitolite.conf includes it) and every change is one commit,
pushed to gitolite, which applies it on the spot. One writer per repository: a
second writer is refused until the first is revoked. gitolite enforces the rest:
a key reaches only the repositories its user is named on.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdoc.hub.central import REPOS, SITE_BRANCH, masked_url, scrub
from netdoc.gitstore import author_env, git_env, run_git, ssh_command
from netdoc.fsutil import atomic_write, stable_json
from netdoc.hub.settings import HubError, HubSettings, valid_client
from netdoc.hub.sync import ssh_target

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
KEY_LINE = re.compile(r"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?$")
STATE = "conf/netdoc-access.json"
CONF = "conf/netdoc.conf"
INCLUDE = 'include "netdoc.conf"'
EVERY = "*"


@dataclass
class Access:
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)  # writer, readers
    everywhere: list[str] = field(default_factory=list)  # read every client (the hub)

    def users(self) -> set[str]:
        found = set(self.everywhere)
        for entry in self.clients.values():
            found.update(entry.get("readers", []))
            if entry.get("writer"):
                found.add(entry["writer"])
        return found


class AdminRepo:
    """A clone of gitolite-admin that netdoc edits, commits and pushes."""

    def __init__(self, hub: HubSettings) -> None:
        if not hub.admin or hub.admin_clone is None:
            raise HubError(f"{hub.path}: set admin: (the gitolite-admin remote, e.g. "
                           f"ssh://git@hub/gitolite-admin) to manage access")
        self.hub = hub
        self.url = hub.admin
        self.folder = hub.admin_clone
        # netdoc commits the admin repository as every store of it does (netdoc.gitstore)
        self.env = {**git_env(ssh_command(hub.ssh_key, hub.known_hosts)), **author_env()}
        _, _, self.path_template = ssh_target(hub.remote) if "://" in hub.remote or \
            re.match(r"^[^/:]+@[^/:]+:", hub.remote) else ("", [], hub.remote)
        if self.path_template.endswith(".git"):
            self.path_template = self.path_template[:-4]

    # ------------------------------------------------------------ git
    def _git(self, *args: str, cwd: Path | None = None) -> str:
        code, out, err = run_git(list(args), cwd=cwd or self.folder, env=self.env,
                                 timeout=self.hub.timeout)
        if code:
            lines = [line for line in err.strip().splitlines() if line.strip()]
            reason = next((line for line in lines if "FATAL" in line or "fatal:" in line),
                          lines[-1] if lines else f"no answer within {self.hub.timeout:g} s")
            raise HubError(f"git {args[0]} in {self.folder} failed: {scrub(reason, self.url)}")
        return out.decode("utf-8", "replace")

    def refresh(self) -> None:
        if (self.folder / ".git").is_dir():
            self._git("pull", "--ff-only", "--quiet", "origin")
        else:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            self._git("clone", "--quiet", self.url, str(self.folder), cwd=self.folder.parent)

    def publish(self, message: str) -> None:
        self._git("add", "-A", "conf", "keydir")
        if not self._git("status", "--porcelain", "conf", "keydir").strip():
            return
        self._git("commit", "--quiet", "-m", message)
        try:
            self._git("push", "--quiet", "origin", "HEAD")
        except HubError as exc:
            raise HubError(f"{exc}; the change is committed in {self.folder} but gitolite "
                           f"did not take it ({masked_url(self.url)})") from None

    # ------------------------------------------------------------ state
    def load(self) -> Access:
        path = self.folder / STATE
        if not path.is_file():
            return Access()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Access(clients=dict(data.get("clients", {})),
                          everywhere=list(data.get("everywhere", [])))
        except (OSError, ValueError, AttributeError) as exc:
            raise HubError(f"{path}: not readable ({exc}); restore it from the admin "
                           f"repository's history") from None

    def save(self, access: Access) -> None:
        access.clients = {name: {"writer": entry.get("writer", ""),
                                 "readers": sorted(set(entry.get("readers", [])))}
                          for name, entry in sorted(access.clients.items())
                          if entry.get("writer") or entry.get("readers")}
        access.everywhere = sorted(set(access.everywhere))
        atomic_write(self.folder / STATE, stable_json(
            {"clients": access.clients, "everywhere": access.everywhere}), mode=0o644)
        atomic_write(self.folder / CONF, self.render(access), mode=0o644)
        main = self.folder / "conf" / "gitolite.conf"
        text = main.read_text(encoding="utf-8") if main.is_file() else ""
        if INCLUDE not in text:
            atomic_write(main, text.rstrip("\n") + f"\n\n{INCLUDE}\n", mode=0o644)

    def repo_names(self, client: str) -> list[str]:
        return [self.path_template.replace("{client}", client).replace("{repo}", repo)
                for repo in REPOS]

    def render(self, access: Access) -> str:
        lines = ["# Generated by `netdoc hub access` from netdoc-access.json: do not edit.",
                 "# One writer per repository (the client's probe); readers see one client.",
                 ""]
        for client, entry in sorted(access.clients.items()):
            lines.append(f"repo {' '.join(self.repo_names(client))}")
            if entry.get("writer"):  # only the site snapshot branch may be replaced
                lines.append(f"    RW+   refs/heads/{SITE_BRANCH}$ = {entry['writer']}")
                lines.append(f"    RW    = {entry['writer']}")
            readers = sorted((set(entry.get("readers", [])) | set(access.everywhere))
                             - {entry.get("writer", "")})
            if readers:
                lines.append(f"    R     = {' '.join(readers)}")
            lines.append("")
        return "\n".join(lines)

    def keys_of(self, user: str) -> list[Path]:
        keydir = self.folder / "keydir"
        if not keydir.is_dir():
            return []
        return sorted(p for p in keydir.rglob("*.pub")
                      if p.name == f"{user}.pub" or p.name.startswith(f"{user}@"))


# ---------------------------------------------------------------- actions

def _check_user(user: str) -> None:
    if not USER_NAME.match(user):
        raise HubError(f"invalid user name {user!r}; use letters, digits, '.', '_', '+', '-'")


def _check_client(client: str) -> None:
    if client != EVERY and not valid_client(client):
        raise HubError(f"invalid client name {client!r}")


def add_user(hub: HubSettings, user: str, key_file: Path) -> str:
    _check_user(user)
    try:
        key = key_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise HubError(f"cannot read the public key {key_file}: {exc}") from None
    if len(key.splitlines()) != 1 or not KEY_LINE.match(key):
        raise HubError(f"{key_file} is not one OpenSSH public key line (ssh-ed25519 AAAA... "
                       f"comment); give the .pub file, never the private key")
    admin = AdminRepo(hub)
    admin.refresh()
    atomic_write(admin.folder / "keydir" / f"{user}.pub", key + "\n", mode=0o644)
    admin.save(admin.load())
    admin.publish(f"netdoc: add user {user}")
    return f"user {user} added (keydir/{user}.pub)"


def grant(hub: HubSettings, user: str, client: str, write: bool = False) -> str:
    _check_user(user)
    _check_client(client)
    admin = AdminRepo(hub)
    admin.refresh()
    if not admin.keys_of(user):
        raise HubError(f"user {user} has no key in the admin repository; first run: "
                       f"netdoc hub access add-user {user} KEYFILE")
    access = admin.load()
    if client == EVERY:
        if write:
            raise HubError("write access to every client is never granted: one writer per "
                           "repository, each client's own probe")
        access.everywhere.append(user)
        what = f"{user} may read every client"
    else:
        entry = access.clients.setdefault(client, {"writer": "", "readers": []})
        if write:
            if entry.get("writer") and entry["writer"] != user:
                raise HubError(f"{client} already has a writer ({entry['writer']}); one writer "
                               f"per repository: revoke {entry['writer']} {client} first")
            entry["writer"] = user
            entry["readers"] = [r for r in entry.get("readers", []) if r != user]
            what = f"{user} writes {client} (its probe)"
        else:
            entry.setdefault("readers", []).append(user)
            what = f"{user} may read {client}"
    admin.save(access)
    admin.publish(f"netdoc: grant {what}")
    return what


def revoke(hub: HubSettings, user: str, client: str | None, everything: bool = False) -> str:
    _check_user(user)
    if not everything and not client:
        raise HubError("name the client to revoke, or --all for a leaver")
    admin = AdminRepo(hub)
    admin.refresh()
    access = admin.load()
    touched = []
    for name, entry in access.clients.items():
        if everything or name == client:
            if entry.get("writer") == user:
                entry["writer"] = ""
                touched.append(name)
            if user in entry.get("readers", []):
                entry["readers"] = [r for r in entry["readers"] if r != user]
                touched.append(name)
    if (everything or client == EVERY) and user in access.everywhere:
        access.everywhere = [u for u in access.everywhere if u != user]
        touched.append("every client")
    keys = admin.keys_of(user) if everything else []
    for key in keys:
        key.unlink()
    admin.save(access)
    if everything:
        admin.publish(f"netdoc: revoke every access of {user} (leaver): "
                      f"{', '.join(sorted(set(touched))) or 'no grants'}; key removed")
        return (f"{user}: access to {', '.join(sorted(set(touched))) or 'nothing'} revoked"
                f"{' and key removed' if keys else ''}")
    admin.publish(f"netdoc: revoke {user} on {client}")
    return f"{user}: access to {client} revoked" if touched else \
        f"{user} had no access to {client}"


def listing(hub: HubSettings) -> dict[str, Any]:
    admin = AdminRepo(hub)
    admin.refresh()
    access = admin.load()
    keydir = admin.folder / "keydir"
    users = sorted({p.name[:-4].split("@", 1)[0] for p in keydir.rglob("*.pub")}) \
        if keydir.is_dir() else []
    return {"clients": access.clients, "everywhere": access.everywhere, "users": users}
