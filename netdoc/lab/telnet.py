"""Telnet for the lab's legacy gear: GNU inetutils `telnetd` in front of the lab's
IOS-like CLI, inside the device's own namespace.

    python -m netdoc.lab.telnet inetd SPEC.json NODE [PORT]   # in NODE's namespace
    python -m netdoc.lab.telnet login SPEC.json NODE          # what telnetd runs

`inetd` is the super-server part (Debian's telnetd is started per connection by an
inetd): it listens on the node's management address, port 23, and hands every
accepted connection to a fresh `telnetd -h -E "... login SPEC NODE"` as its stdin and
stdout. The real telnetd does the telnet protocol (IAC option negotiation, a pty);
`login` runs on that pty and asks "Username:" / "Password:" like a Cisco device
with `line vty / login local`, then serves the same CLI as the lab's SSH server
(netdoc.lab.cli_server.IosSession: enable, terminal length 0, show running-config,
re-read from its file every time). The pty is in raw mode, as a vty is: the CLI echoes
what it reads (not the password) and ends a line at CR or LF.

SPEC.json is the lab's cli-server.json (the node specs of the SSH CLI server), so a
node answers telnet with the same credentials and config as over SSH.
`start_telnet(lab, node)` starts the inetd as one of the lab's processes (stopped by
`lab.down()`, or earlier with `stop_telnet`).
"""
from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import termios
import time
import tty
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netdoc.errors import LabError

if TYPE_CHECKING:
    from netdoc.lab.lab import Lab
    from netdoc.lab.system import ProcessRecord

TELNETD = Path("/usr/sbin/telnetd")  # Debian: inetutils-telnetd
TELNET_PORT = 23
LOGIN_TRIES = 3
MAX_SESSIONS = 16


def node_spec(spec_file: Path, node: str) -> dict[str, Any]:
    for entry in json.loads(spec_file.read_text(encoding="utf-8")):
        if entry.get("name") == node:
            return dict(entry)
    raise LabError(f"{spec_file} has no CLI node {node!r}")


# ---------------------------------------------------------------- the login program

class _Terminal:
    """The pty telnetd gave us, shaped like the asyncssh process IosSession expects.

    Raw mode, as a device's own CLI reads its vty: a line ends at CR or LF whatever the
    client sends after it (netmiko ends the username and password with a bare CR, other
    clients with CR LF or CR NUL); the echo and the CR LF line ends are ours to write
    (telnetd may add a CR of its own in NVT mode: clients take CR CR LF as one line end)."""

    command: str | None = None

    def __init__(self) -> None:
        self.stdin = self
        self.stdout = self
        self.channel = self
        self.echo = True
        self.after_cr = False
        try:
            tty.setraw(0)
        except termios.error:
            pass  # not a terminal (input piped in): bytes are read the same way

    async def readline(self) -> str:
        return await asyncio.get_running_loop().run_in_executor(None, self._readline)

    def _readline(self) -> str:
        text = b""
        while True:
            byte = os.read(0, 1)
            if not byte:
                return text.decode("utf-8", "replace")  # the client left: "" ends the CLI
            if byte in (b"\x00", b"\n") and self.after_cr:
                self.after_cr = False
                continue
            self.after_cr = byte == b"\r"
            if byte in (b"\r", b"\n"):
                os.write(1, b"\r\n")
                return text.decode("utf-8", "replace") + "\n"
            if byte in (b"\x7f", b"\x08"):
                text = text[:-1]
                continue
            text += byte
            if self.echo:
                os.write(1, byte)

    def write(self, text: str) -> None:
        os.write(1, text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))

    def set_echo(self, on: bool) -> None:
        self.echo = on

    def exit(self, status: int) -> None:
        return None


async def _login(spec: dict[str, Any]) -> None:
    from netdoc.lab.cli_server import CliNode, IosSession, _first_line

    node = CliNode.from_dict(spec)
    terminal = _Terminal()
    terminal.write("\nUser Access Verification\n\n")
    tries = empties = 0
    while tries < LOGIN_TRIES:
        terminal.write("Username: ")
        line = await terminal.readline()
        user = line.strip()
        if not user:  # an empty line (a client pressing return to wake us): ask again
            empties += 1
            if not line or empties > 20:
                return
            continue
        tries += 1
        terminal.write("Password: ")
        terminal.set_echo(False)
        try:
            password = (await terminal.readline()).rstrip("\r\n")
        finally:
            terminal.set_echo(True)
        if user == node.username and password == _first_line(node.password_file):
            break
        terminal.write("% Login invalid\n\n")
    else:
        terminal.write("% Bad passwords\n")
        return
    await IosSession(node, terminal, time.time()).run()  # type: ignore[arg-type]


def login(spec_file: Path, node: str) -> int:
    try:
        asyncio.run(_login(node_spec(spec_file, node)))
    except (OSError, EOFError):
        return 1  # the client left
    return 0


# ---------------------------------------------------------------- the inetd part

def inetd(spec_file: Path, node: str, port: int = TELNET_PORT) -> int:
    """Accept telnet connections on the node's address; one telnetd per connection."""
    spec = node_spec(spec_file, node)
    program = " ".join(shlex.quote(p) for p in (sys.executable, "-m", "netdoc.lab.telnet",
                                                "login", str(spec_file), node))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((spec["address"], port))
    listener.listen(16)
    children: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"telnet for {node} on {spec['address']}:{port}", flush=True)
    try:
        while True:
            conn, peer = listener.accept()
            children = [c for c in children if c.poll() is None]
            with conn:
                if len(children) >= MAX_SESSIONS:
                    continue  # closed: a real vty pool is small too
                print(f"connection from {peer[0]}", flush=True)
                children.append(subprocess.Popen(
                    [str(TELNETD), "-h", "-E", program], stdin=conn.fileno(),
                    stdout=conn.fileno(), stderr=subprocess.DEVNULL, close_fds=True))
    finally:
        listener.close()
        for child in children:  # the telnetd processes this inetd started, by PID
            if child.poll() is None:
                child.terminate()


def start_telnet(lab: "Lab", node: str, port: int = TELNET_PORT) -> "ProcessRecord":
    """Serve `node`'s CLI over real telnet too (inetd + telnetd in its namespace), as one
    of the lab's recorded processes; it answers when this returns."""
    from netdoc.lab import system
    from netdoc.lab.lab import CLI_SPEC_FILE, NETNS_ETC

    if not TELNETD.exists():
        raise LabError(f"{TELNETD} is missing: install inetutils-telnetd (scripts/setup.sh)")
    spec_file = lab.state_dir / CLI_SPEC_FILE
    address = node_spec(spec_file, node)["address"]
    # telnetd looks the client's address up (for the login's host name): the node asks the
    # lab's name server, as the probe does, never a resolver outside the lab (it would
    # not answer from a sealed namespace, and telnetd would wait for it at every login)
    resolv = NETNS_ETC / lab.netns(lab.probe) / "resolv.conf"
    own = NETNS_ETC / lab.netns(node) / "resolv.conf"
    if resolv.is_file() and not own.exists():
        own.parent.mkdir(parents=True, exist_ok=True)
        own.write_text(resolv.read_text(encoding="utf-8"), encoding="utf-8")  # LAB_MARK first:
        # `lab down` removes it with the probe's
    record = system.start_process(
        lab.netns(node), [sys.executable, "-m", "netdoc.lab.telnet", "inetd", str(spec_file),
                          node, str(port)],
        node=node, daemon="telnetd", log=lab.files(node).log("telnetd"),
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    lab._started(record)  # recorded: `lab down` stops it even if the caller never does
    log = lab.files(node).log("telnetd")
    deadline = time.monotonic() + 10
    while f"on {address}:{port}" not in log.read_text(encoding="utf-8", errors="replace"):
        if time.monotonic() > deadline or not system.is_ours(record):
            stop_telnet(lab, record)
            raise LabError(f"telnet on {node} did not come up; see {log}")
        time.sleep(0.05)
    return record


def stop_telnet(lab: "Lab", record: "ProcessRecord") -> list[str]:
    from netdoc.lab import system

    problems = system.stop_processes([record])
    if record in lab.processes:
        lab.processes.remove(record)
        lab._save()
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 3 and args[0] == "inetd":
        return inetd(Path(args[1]), args[2], int(args[3]) if len(args) > 3 else TELNET_PORT)
    if len(args) == 3 and args[0] == "login":
        return login(Path(args[1]), args[2])
    print("usage: python -m netdoc.lab.telnet inetd SPEC.json NODE [PORT] | "
          "login SPEC.json NODE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
