"""A real gitolite3 behind a real sshd, on loopback only, for the access tests.

The test (as root) creates a system user of its own, sets gitolite up in a
temporary home with an admin key, and starts sshd as a child process with its own
config and host key on 127.0.0.1:<free port>. Everything is removed afterwards:
sshd is stopped by its PID, the user deleted, the folder removed.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
GITOLITE = shutil.which("gitolite") or "/usr/bin/gitolite"


def unavailable_reason() -> str:
    if os.geteuid() != 0:
        return "needs root (creates a system user for gitolite and runs sshd)"
    for tool, package in ((SSHD, "openssh-server"), (GITOLITE, "gitolite3"),
                          (shutil.which("ssh-keygen") or "/nonexistent", "openssh-client"),
                          (shutil.which("useradd") or "/nonexistent", "passwd")):
        if not Path(tool).exists():
            return f"needs {tool} (Debian package {package}; scripts/setup.sh installs it)"
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GitoliteServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="netdoc-gitolite-"))
        self.root.chmod(0o755)
        self.user = f"ndhub{os.getpid() % 100000}"
        self.home = self.root / "home"
        self.keys = self.root / "keys"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.known_hosts = self.root / "known_hosts"
        self.created_user = False

    # ------------------------------------------------------------ set-up
    def start(self) -> "GitoliteServer":
        self.keys.mkdir(mode=0o700)
        for name in ("admin",):
            self.key(name)
        subprocess.run(["useradd", "--system", "--home-dir", str(self.home), "--create-home",
                        "--shell", "/bin/sh", self.user], check=True, capture_output=True)
        self.created_user = True
        # a new system user's password is "!" (locked): sshd refuses even keys then
        subprocess.run(["usermod", "-p", "*", self.user], check=True, capture_output=True)
        shutil.copy(self.keys / "admin.pub", self.home / "admin.pub")
        shutil.chown(self.home / "admin.pub", self.user)
        subprocess.run(["runuser", "-u", self.user, "--", "env", f"HOME={self.home}",
                        GITOLITE, "setup", "-pk", str(self.home / "admin.pub")],
                       check=True, capture_output=True, cwd=self.home)
        host_key = self.root / "host_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)],
                       check=True)
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} "
                                    f"{(self.root / 'host_ed25519.pub').read_text()}")
        (self.root / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
            f"PidFile {self.root / 'sshd.pid'}\nAuthorizedKeysFile .ssh/authorized_keys\n"
            f"PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
            f"StrictModes no\nAllowUsers {self.user}\nPermitRootLogin no\nLogLevel ERROR\n"
            f"MaxStartups 50\n")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
        self.up()
        return self

    def up(self) -> None:
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {self.process.stderr.read().decode()}"
                                   if self.process.stderr else "sshd exited")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start listening")

    def down(self) -> None:
        """Stop sshd (the hub is down): its PID only."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self) -> None:
        self.down()
        if self.created_user:
            subprocess.run(["userdel", self.user], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ helpers
    def key(self, name: str) -> Path:
        """A client-side key pair (private key path; .pub beside it)."""
        private = self.keys / name
        if not private.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                            "-f", str(private)], check=True)
        return private

    def url(self, path: str) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}/{path}"

    def ssh_command(self, key: str) -> str:
        return (f"ssh -o BatchMode=yes -o ConnectTimeout=5 -i {self.key(key)} "
                f"-o IdentitiesOnly=yes -o UserKnownHostsFile={self.known_hosts} "
                f"-o StrictHostKeyChecking=yes")

    def git_as(self, key: str, *args: str, cwd: Path | None = None) \
            -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, GIT_SSH_COMMAND=self.ssh_command(key), GIT_TERMINAL_PROMPT="0")
        return subprocess.run(["git", *args], capture_output=True, text=True, env=env, cwd=cwd,
                              timeout=60, check=False)

    def hub_yaml(self, folder: Path) -> Path:
        path = folder / "hub.yaml"
        path.write_text(f"remote: \"{self.url('{client}/{repo}')}\"\nmirror: mirror\n"
                        f"ssh_key: {self.key('admin')}\nknown_hosts: {self.known_hosts}\n"
                        f"admin: \"{self.url('gitolite-admin')}\"\nadmin_clone: admin\n"
                        f"timeout: 60\n")
        return path
