"""An SSH server whose `sftp` subsystem is OpenSSH's own sftp-server binary.

A firewall such as pfSense keeps its whole configuration in /cf/conf/config.xml; netdoc
pulls it over SFTP. To test that against the real OpenSSH implementation without
touching this machine's files, the server (asyncssh, password login on 127.0.0.x)
starts /usr/lib/openssh/sftp-server for each SFTP session inside a private mount
namespace, chrooted into a temporary folder that holds the device's file tree
(/usr is bind-mounted read-only-in-practice so the binary and its libraries load).

    with SftpDevice(files={"cf/conf/config.xml": "..."}, root=tmp_path) as device:
        ... device.host, device.port ...

`available()` says why it cannot run here (no sftp-server, no unshare, no right to
create a mount namespace); tests skip with that reason.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import asyncssh

SFTP_SERVER = Path("/usr/lib/openssh/sftp-server")
# runs as: sh -c SCRIPT sh ROOT  (mounts vanish with the namespace when sftp-server exits)
CHROOT_SCRIPT = ('mount --rbind /usr "$1/usr" && mount --bind /dev/null "$1/dev/null" && '
                 'exec chroot "$1" ' + str(SFTP_SERVER) + ' -e -l ERROR')


def _prepare_root(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    (root / "usr").mkdir(exist_ok=True)
    (root / "dev").mkdir(exist_ok=True)
    (root / "dev" / "null").touch()
    (root / "etc").mkdir(exist_ok=True)  # sftp-server looks its user up
    (root / "etc" / "passwd").write_text(f"device:x:{os.getuid()}:{os.getgid()}:device:/:"
                                         f"/bin/sh\n", encoding="utf-8")
    for link, target in (("lib", "usr/lib"), ("lib64", "usr/lib64"), ("bin", "usr/bin")):
        if Path("/" + link).is_symlink() and not (root / link).is_symlink():
            (root / link).symlink_to(target)


def remove_root(root: Path) -> None:
    """Delete a device tree; never while /usr is mounted into it (the mounts live only
    in sftp-server's private namespace, but a tree with a mount in it is left alone)."""
    if any(p.is_mount() for p in (root / "usr", root / "dev" / "null")):
        raise RuntimeError(f"{root} still has a mount in it; not deleting")
    shutil.rmtree(root, ignore_errors=True)


def command(root: Path) -> list[str]:
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", CHROOT_SCRIPT,
            "sh", str(root)]


def available(scratch: Path) -> str:
    """"" when the server can run here, else the reason it cannot."""
    if not SFTP_SERVER.exists():
        return f"{SFTP_SERVER} is missing (Debian package openssh-sftp-server)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is missing"
    root = scratch / "sftp-probe"
    _prepare_root(root, {})
    probe = subprocess.run(command(root), input=b"", capture_output=True, timeout=10)
    remove_root(root)
    if probe.returncode != 0:
        return f"cannot chroot sftp-server here: {probe.stderr.decode(errors='replace')[:200]}"
    return ""


class _SftpSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    """One SFTP session: the channel's bytes go to a fresh sftp-server and back.
    (asyncssh's own process API hands an `sftp` request only to its built-in server.)"""

    def __init__(self, device: "SftpDevice") -> None:
        self.device = device
        self.chan: Any = None
        self.child: asyncio.subprocess.Process | None = None
        self.early: list[bytes] = []
        self.eof = False

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == "sftp"

    def session_started(self) -> None:
        asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        self.device.sessions += 1
        self.child = await asyncio.create_subprocess_exec(
            *command(self.device.root), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        self.device.children.append(self.child)
        assert self.child.stdin is not None and self.child.stdout is not None
        for data in self.early:
            self.child.stdin.write(data)
        if self.eof:
            self.child.stdin.close()
        while True:
            data = await self.child.stdout.read(65536)
            if not data:
                break
            self.chan.write(data)
        status = await self.child.wait()
        self.chan.exit(status)

    def data_received(self, data: bytes, datatype: Any) -> None:
        if self.child is None or self.child.stdin is None:
            self.early.append(data)
        else:
            self.child.stdin.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        if self.child is not None and self.child.stdin is not None:
            self.child.stdin.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.child is not None and self.child.returncode is None:
            self.child.kill()


class _Server(asyncssh.SSHServer):
    def __init__(self, device: "SftpDevice") -> None:
        self.device = device

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self.device.username and password == self.device.password

    def session_requested(self) -> _SftpSession:
        return _SftpSession(self.device)


class SftpDevice:
    def __init__(self, root: Path, files: dict[str, str], host: str = "127.0.0.1",
                 username: str = "netdoc", password: str = "lab-pass") -> None:
        self.root = root
        _prepare_root(root, files)
        self.host, self.port = host, 0
        self.username, self.password = username, password
        self.sessions = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sftp-device",
                                       daemon=True)
        self.listener: Any = None
        self.children: list[asyncio.subprocess.Process] = []

    async def _start(self) -> None:
        self.listener = await asyncssh.listen(
            self.host, 0, server_host_keys=[asyncssh.generate_private_key("ssh-ed25519")],
            server_factory=lambda: _Server(self), encoding=None, keepalive_interval=0)
        self.port = self.listener.sockets[0].getsockname()[1]

    def __enter__(self) -> "SftpDevice":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.listener.close()
            await self.listener.wait_closed()
            for child in self.children:  # only the sftp-server processes this server started
                if child.returncode is None:
                    child.kill()
                    await child.wait()

        try:
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
