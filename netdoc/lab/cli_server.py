"""An SSH server that answers like a Cisco IOS CLI, for the lab's switches and routers.

One process serves every node of a lab: for each node it opens a listening
socket *inside that node's network namespace* (sockets keep the namespace they
were created in) on the node's management address, port 22, with the node's
own host key. netmiko's `cisco_ios` driver can log in with a password, go
`enable`, set `terminal length 0` / `terminal width 511`, run
`show running-config` and `show version`, and `exit`.

    python -m netdoc.lab.cli_server SPEC.json

SPEC.json is a list of node specs (see `CliNode`). The running config is
re-read from its file on every `show running-config`, so a test can change a
device's config between two backups. When every listener is up, the server
writes SPEC.json.ready.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import asyncssh

log = logging.getLogger("netdoc.lab.cli")

INVALID_INPUT = "% Invalid input detected at '^' marker."


@dataclass(frozen=True)
class CliNode:
    name: str
    address: str
    port: int
    host_key: str  # path; generated (ed25519) when missing
    running_config: str  # path, re-read on every show running-config
    show_version: str  # path; "{uptime}" is filled in
    username: str
    password_file: str
    enable_file: str
    netns: str = ""  # "" = the server's own namespace (unit tests on loopback)
    record_file: str = ""  # a rogue: accept no login, append every "user<TAB>password" here

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CliNode":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _first_line(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").splitlines()[0]


def _uptime(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{days} day{'s' * (days != 1)}"] if days else []) + \
        ([f"{hours} hour{'s' * (hours != 1)}"] if hours else []) + \
        [f"{minutes} minute{'s' * (minutes != 1)}"]
    return ", ".join(parts)


class IosSession:
    """One CLI session: user EXEC (`host>`) and privileged EXEC (`host#`)."""

    def __init__(self, node: CliNode, process: asyncssh.SSHServerProcess[str],
                 started: float) -> None:
        self.node = node
        self.process = process
        self.started = started
        self.privileged = False
        self.commands: list[tuple[tuple[str, ...], bool, Callable[[list[str]], Awaitable[bool]]]] = [
            # (words, needs privilege, handler returning False to end the session)
            (("show", "running-config"), True, self.show_running_config),
            (("show", "startup-config"), True, self.show_startup_config),
            (("show", "version"), False, self.show_version),
            (("terminal", "length"), False, self.accept),
            (("terminal", "width"), False, self.accept),
            (("terminal", "no", "monitor"), False, self.accept),
            (("enable",), False, self.enable),
            (("disable",), False, self.disable),
            (("configure", "terminal"), True, self.read_only),
            (("exit",), False, self.leave),
            (("logout",), False, self.leave),
            (("quit",), False, self.leave),
        ]

    # output ----------------------------------------------------------------
    def write(self, text: str) -> None:
        # The line editor turns \n into \r\n when a terminal is attached.
        self.process.stdout.write(text)

    def hostname(self) -> str:
        """The prompt follows the config's hostname line, as on a real device."""
        try:
            text = Path(self.node.running_config).read_text(encoding="utf-8")
        except OSError:
            return self.node.name
        match = re.search(r"^hostname (\S+)", text, re.M)
        return match.group(1) if match else self.node.name

    def prompt(self) -> str:
        return self.hostname() + ("#" if self.privileged else ">")

    # the loop --------------------------------------------------------------
    async def run(self) -> None:
        if self.process.command:  # `ssh host show version`: one command, no prompt
            self.privileged = True
            await self.execute(self.process.command)
            self.process.exit(0)
            return
        self.write("\n")
        try:
            while True:
                self.write(self.prompt())
                line = await self.process.stdin.readline()
                if not line:
                    break
                if not await self.execute(line.strip()):
                    break
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged, asyncssh.SignalReceived):
            pass
        except (BrokenPipeError, ConnectionError, asyncssh.DisconnectError):
            return
        self.process.exit(0)

    async def execute(self, line: str) -> bool:
        words = line.split()
        if not words:
            return True
        matches = [(cmd, privileged, handler) for cmd, privileged, handler in self.commands
                   if len(words) >= len(cmd) and
                   all(cmd[i].startswith(words[i].lower()) for i in range(len(cmd)))]
        if not matches:
            self.invalid(line, words)
            return True
        if len({m[0] for m in matches}) > 1 and not any(m[0][-1] == words[len(m[0]) - 1]
                                                         for m in matches):
            self.write(f'% Ambiguous command:  "{line}"\n')
            return True
        words_, privileged, handler = matches[0]
        if privileged and not self.privileged:
            self.invalid(line, words)
            return True
        return await handler(words[len(words_):])

    def invalid(self, line: str, words: list[str]) -> None:
        caret = len(self.prompt()) + line.find(words[-1] if len(words) > 1 else words[0])
        self.write(" " * caret + "^\n" + INVALID_INPUT + "\n\n")

    # commands --------------------------------------------------------------
    async def accept(self, args: list[str]) -> bool:
        return True

    async def show_running_config(self, args: list[str]) -> bool:
        config = Path(self.node.running_config).read_text(encoding="utf-8")
        self.write("Building configuration...\n\n"
                   f"Current configuration : {len(config.encode())} bytes\n" + config)
        return True

    async def show_startup_config(self, args: list[str]) -> bool:
        config = Path(self.node.running_config).read_text(encoding="utf-8")
        self.write(f"Using {len(config.encode())} out of 524288 bytes\n" + config)
        return True

    async def show_version(self, args: list[str]) -> bool:
        text = Path(self.node.show_version).read_text(encoding="utf-8")
        self.write(text.replace("{uptime}", _uptime(time.time() - self.started)) + "\n")
        return True

    async def enable(self, args: list[str]) -> bool:
        if self.privileged:
            return True
        self.write("Password: ")
        # With a terminal, the channel is asyncssh's line-editor wrapper, which has set_echo.
        channel: Any = self.process.channel
        channel.set_echo(False)
        try:
            secret = (await self.process.stdin.readline()).rstrip("\r\n")
        finally:
            channel.set_echo(True)
        self.write("\n")
        if secret == _first_line(self.node.enable_file):
            self.privileged = True
        else:  # one try, as IOS with AAA answers: fail fast rather than re-prompt
            self.write("% Access denied\n\n")
        return True

    async def disable(self, args: list[str]) -> bool:
        self.privileged = False
        return True

    async def read_only(self, args: list[str]) -> bool:
        self.write("% This lab device's CLI is read-only; edit its running-config file "
                   "instead\n")
        return True

    async def leave(self, args: list[str]) -> bool:
        return False


class _Server(asyncssh.SSHServer):
    def __init__(self, node: CliNode) -> None:
        self.node = node
        self.peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.peer = str(conn.get_extra_info("peername", ("?",))[0])

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        if self.node.record_file:  # a credential harvester: remember it, refuse it
            with open(self.node.record_file, "a", encoding="utf-8") as handle:
                handle.write(f"{self.node.name}\t{username}\t{password}\n")
            log.info("%s (rogue): recorded a login attempt from %s", self.node.name, self.peer)
            return False
        ok = username == self.node.username and password == _first_line(self.node.password_file)
        log.info("%s: login %s for %r from %s", self.node.name, "accepted" if ok else "refused",
                 username, self.peer)
        return ok


def load_host_key(path: str) -> asyncssh.SSHKey:
    key_path = Path(path)
    if not key_path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        key_path.write_bytes(key.export_private_key())
        key_path.chmod(0o600)
        return key
    return asyncssh.read_private_key(str(key_path))


def listening_socket(node: CliNode) -> socket.socket:
    """A TCP socket bound inside the node's namespace (creation decides its namespace)."""
    def bind() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((node.address, node.port))
        sock.listen(64)
        sock.setblocking(False)
        return sock

    if not node.netns:
        return bind()
    from netdoc.lab.system import in_netns

    with in_netns(node.netns):
        return bind()


async def serve(nodes: list[CliNode], ready_file: Path | None = None) -> None:
    started = time.time()
    acceptors = []
    for node in nodes:
        def factory(process: asyncssh.SSHServerProcess[str], node: CliNode = node) \
                -> Awaitable[None]:
            return IosSession(node, process, started).run()

        acceptors.append(await asyncssh.listen(
            sock=listening_socket(node), server_factory=lambda node=node: _Server(node),
            server_host_keys=[load_host_key(node.host_key)], process_factory=factory,
            encoding="utf-8", line_editor=True, line_echo=True, keepalive_interval=0,
            login_timeout=30))
    log.info("serving %d node(s)", len(nodes))
    if ready_file is not None:
        ready_file.write_text(str(os.getpid()))
    await asyncio.gather(*(acceptor.wait_closed() for acceptor in acceptors))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m netdoc.lab.cli_server SPEC.json", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s: %(message)s")
    spec = Path(args[0])
    nodes = [CliNode.from_dict(item) for item in json.loads(spec.read_text(encoding="utf-8"))]
    try:
        asyncio.run(serve(nodes, spec.with_name(spec.name + ".ready")))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
