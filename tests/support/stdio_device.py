"""A recorded device on a terminal: the login program a real telnetd runs.

    python tests/support/stdio_device.py RECORDING.yaml

GNU inetutils telnetd (`telnetd -E PROGRAM`) runs this instead of /bin/login on the
pty it allocated; it asks "Username:" / "Password:" like a Cisco switch, then plays
the recording with the replay server's own shell (tests/support/replay_server.py).
The terminal is put in raw mode: the recorded device echoes and ends lines itself,
as it does over SSH. `TelnetdServer` is the inetd part: it accepts TCP connections
on 127.0.0.x and starts one telnetd per connection (stopped by PID at the end).
"""
from __future__ import annotations

import asyncio
import os
import shlex
import socket
import subprocess
import sys
import threading
import tty
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TELNETD = Path("/usr/sbin/telnetd")


class _Stdin:
    def __init__(self) -> None:
        self.after_cr = False

    async def read(self, count: int = 1) -> str:
        loop = asyncio.get_running_loop()
        while True:
            data = await loop.run_in_executor(None, os.read, 0, 1)
            if not data:
                return ""
            if data == b"\x00" or (data == b"\n" and self.after_cr):
                self.after_cr = False
                continue
            self.after_cr = data == b"\r"
            return data.decode("latin-1")


class _Stdout:
    def write(self, text: str) -> None:
        os.write(1, text.encode("utf-8"))

    async def drain(self) -> None:
        return None


class StdioProcess:
    command: str | None = None

    def __init__(self) -> None:
        self.stdin = _Stdin()
        self.stdout = _Stdout()
        self.stderr = self.stdout
        self.closed = False

    def exit(self, status: int) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


async def _line(process: StdioProcess, echo: bool) -> str | None:
    text = ""
    while True:
        char = await process.stdin.read(1)
        if not char:
            return None
        if char in "\r\n":
            process.stdout.write("\r\n")
            return text
        text += char
        if echo:
            process.stdout.write(char)


async def _main(recording_path: str) -> None:
    from support.replay_server import Faults, Recording, _DeviceShell, _VerbatimShell

    rec = Recording.load(Path(recording_path))
    process = StdioProcess()
    for _ in range(3):
        process.stdout.write("\r\nUser Access Verification\r\n\r\nUsername: ")
        user = await _line(process, echo=True)
        process.stdout.write("Password: ")
        password = await _line(process, echo=False)
        if user is None or password is None:
            return
        if user == rec.username and password == rec.password:
            break
        process.stdout.write("% Authentication failed\r\n")
    else:
        return
    shell = _VerbatimShell if rec.verbatim else _DeviceShell
    await shell(process, rec, Faults()).run()  # type: ignore[arg-type]


class TelnetdServer:
    """inetd for one device: each accepted connection becomes the stdin/stdout of a
    fresh `telnetd -E "python stdio_device.py RECORDING"`."""

    def __init__(self, recording: Path, host: str = "127.0.0.1") -> None:
        self.recording = recording
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.host, self.port = host, int(self.sock.getsockname()[1])
        self.children: list[subprocess.Popen[bytes]] = []
        self.thread = threading.Thread(target=self._accept, name="telnetd-inetd", daemon=True)

    def __enter__(self) -> "TelnetdServer":
        self.thread.start()
        return self

    def _accept(self) -> None:
        program = " ".join(shlex.quote(p) for p in (sys.executable, __file__,
                                                    str(self.recording)))
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.children.append(subprocess.Popen(
                    [str(TELNETD), "-h", "-E", program], stdin=conn.fileno(),
                    stdout=conn.fileno(), stderr=subprocess.DEVNULL, close_fds=True))

    def __exit__(self, *exc: Any) -> None:
        self.sock.close()
        for child in self.children:  # only the telnetd processes started here, by PID
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(timeout=5)
        self.thread.join(timeout=5)


if __name__ == "__main__":
    if os.isatty(0):
        tty.setraw(0)
    asyncio.run(_main(sys.argv[1]))
