"""The MSP's hub in the lab: a real gitolite3 behind a real sshd, in a node's namespace.

A node of kind `hub` gets, at `lab up`:

    a system user of its own (git-<prefix>), home STATE/nodes/<hub>/home, gitolite set up
    there with the lab's admin key;
    sshd (its own config and host key) listening on the node's TEST-NET address, port 22;
    STATE/hub/keys/       admin (the hub's own key: gitolite-admin, reads every client)
                          probe-<client> (one key per client, for that client's probe)
    STATE/hub/known_hosts the hub's host key, as probes and technicians pin it
    STATE/hub/hub.yaml    the hub machine's netdoc hub configuration

`lab down` stops sshd by its PID and deletes the user (only when its home is the one
the lab recorded, so a stranger of the same name is never touched).
"""
from __future__ import annotations

import pwd
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from netdoc.errors import LabError
from netdoc.lab import system
from netdoc.lab.system import ProcessRecord

SSHD = "/usr/sbin/sshd"
PORT = 22
HUB_FOLDER = "hub"


def gitolite_tool() -> str:
    return shutil.which("gitolite") or "/usr/bin/gitolite"


def missing_tools() -> list[str]:
    """Debian packages the hub node needs that are not installed."""
    wanted = ((SSHD, "openssh-server"), (gitolite_tool(), "gitolite3"),
              (shutil.which("ssh-keygen") or "/nonexistent", "openssh-client"),
              (shutil.which("useradd") or "/nonexistent", "passwd"),
              (shutil.which("git") or "/nonexistent", "git"))
    return [package for tool, package in wanted if not Path(tool).exists()]


def user_name(prefix: str) -> str:
    """The hub's git user for a lab prefix: ndt123- -> git-ndt123 (at most 31 characters)."""
    return ("git-" + re.sub(r"[^a-z0-9-]", "", prefix.rstrip("-")))[:31]


@dataclass(frozen=True)
class HubLayout:
    """Where a lab's hub keeps its files (the node's folder and STATE/hub)."""

    state_dir: Path
    node: str

    @property
    def root(self) -> Path:
        return self.state_dir / "nodes" / self.node

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def folder(self) -> Path:
        return self.state_dir / HUB_FOLDER

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    @property
    def hub_yaml(self) -> Path:
        return self.folder / "hub.yaml"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def sshd_config(self) -> Path:
        return self.root / "sshd_config"

    def key(self, name: str) -> Path:
        return self.keys / name


def make_key(path: Path, comment: str) -> Path:
    """An ed25519 key pair without passphrase (private key at path, .pub beside it)."""
    if not path.exists():
        system.run([shutil.which("ssh-keygen") or "ssh-keygen", "-q", "-t", "ed25519", "-N",
                    "", "-C", comment, "-f", str(path)])
    return path


def create_user(user: str, home: Path) -> None:
    try:
        pwd.getpwnam(user)
    except KeyError:
        pass
    else:
        raise LabError(f"a user named {user} already exists; another lab with this prefix "
                       f"may be up (netdoc lab down), or remove the user: userdel {user}")
    system.run(["useradd", "--system", "--home-dir", str(home), "--create-home",
                "--shell", "/bin/sh", user])
    # a new system user's password is "!" (locked): sshd then refuses even keys
    system.run(["usermod", "-p", "*", user])


def remove_user(user: str, home: str) -> list[str]:
    """Delete the lab's hub user, only if its home is the one the lab gave it."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return []
    if entry.pw_dir != home:
        return [f"user {user} was not made by this lab (home {entry.pw_dir}); left alone"]
    done = system.run(["userdel", user], check=False)
    return [] if done.returncode == 0 else [f"cannot delete user {user}: "
                                            f"{done.stderr.strip()}"]


def set_up(layout: HubLayout, user: str, address: str, clients: list[str]) -> None:
    """Keys, gitolite (as the hub user), sshd's config and host key, hub.yaml."""
    layout.keys.mkdir(parents=True, mode=0o700, exist_ok=True)
    layout.root.mkdir(parents=True, exist_ok=True)
    make_key(layout.key("admin"), "admin")
    for client in clients:
        make_key(layout.key(f"probe-{client}"), f"probe-{client}")
    create_user(user, layout.home)
    layout.home.chmod(0o755)
    admin_pub = layout.home / "admin.pub"
    shutil.copy(layout.key("admin").with_suffix(".pub"), admin_pub)
    shutil.chown(admin_pub, user)
    system.run(["runuser", "-u", user, "--", "env", f"HOME={layout.home}", gitolite_tool(),
                "setup", "-pk", str(admin_pub)], timeout=60)
    make_key(layout.host_key, "hub host key")
    layout.known_hosts.write_text(f"{address} {layout.host_key.with_suffix('.pub').read_text()}",
                                  encoding="utf-8")
    layout.sshd_config.write_text(
        f"# sshd in front of gitolite3 for the lab hub (written by netdoc lab up)\n"
        f"Port {PORT}\nListenAddress {address}\nHostKey {layout.host_key}\n"
        f"PidFile none\nAuthorizedKeysFile .ssh/authorized_keys\n"
        f"PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        f"StrictModes no\nAllowUsers {user}\nPermitRootLogin no\nLogLevel ERROR\n"
        f"MaxStartups 50\n", encoding="utf-8")
    url = f"ssh://{user}@{address}"
    layout.hub_yaml.write_text(
        f"# netdoc hub configuration of the lab's hub (run it in the hub namespace)\n"
        f"remote: \"{url}/{{client}}/{{repo}}\"\nmirror: mirror\n"
        f"ssh_key: {layout.key('admin')}\nknown_hosts: {layout.known_hosts}\n"
        f"admin: \"{url}/gitolite-admin\"\nadmin_clone: gitolite-admin\n"
        f"stale_after_hours: 26\ntimeout: 60\n", encoding="utf-8")


def start_sshd(layout: HubLayout, netns: str, address: str) -> ProcessRecord:
    """sshd in the foreground in the hub's namespace; returns once it accepts connections."""
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    record = system.start_process(netns, [SSHD, "-D", "-e", "-f", str(layout.sshd_config)],
                                  node=layout.node, daemon="sshd-gitolite",
                                  log=layout.root / "sshd-gitolite.log")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not system.is_ours(record):
            raise LabError(f"sshd on {layout.node} exited: see {layout.root}/sshd-gitolite.log")
        with system.in_netns(netns), socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((address, PORT)) == 0:
                return record
        time.sleep(0.05)
    raise LabError(f"sshd on {layout.node} does not accept connections on {address}:{PORT}")


def ssh_command(layout: HubLayout, key: str) -> str:
    """GIT_SSH_COMMAND for someone holding STATE/hub/keys/<key> (batch mode, pinned host)."""
    return (f"ssh -o BatchMode=yes -o ConnectTimeout=5 -i {layout.key(key)} "
            f"-o IdentitiesOnly=yes -o UserKnownHostsFile={layout.known_hosts} "
            f"-o StrictHostKeyChecking=yes")


def git_env(layout: HubLayout, key: str) -> dict[str, str]:
    return {"GIT_SSH_COMMAND": ssh_command(layout, key), "GIT_TERMINAL_PROMPT": "0",
            "HOME": str(layout.folder)}


__all__ = ["HubLayout", "set_up", "start_sshd", "remove_user", "user_name", "missing_tools",
           "git_env", "ssh_command", "make_key"]
