"""A telnet front-end to the replay server: the same recordings, played over telnet.

Legacy switches that speak only telnet show a "Username:" / "Password:" dialogue in
the byte stream (there is no SSH authentication layer), negotiate options with IAC
sequences (RFC 854/857/858: the server offers WILL ECHO and WILL SUPPRESS-GO-AHEAD,
refuses everything else) and double any 0xFF data byte. This server does exactly
that on 127.0.0.x, then hands the session to the replay server's own shell
(`_DeviceShell` / `_VerbatimShell`), so a recording answers identically over SSH and
telnet. netdoc's real transport (netmiko's `<driver>_telnet` classes) talks to it.

    with TelnetReplayServer() as server:
        device = server.serve(Recording.load(path), host="127.0.0.5")
        ... device.port ...
"""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from support.replay_server import Faults, Recording, _DeviceShell, _VerbatimShell

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SUPPRESS_GO_AHEAD = 1, 3
OFFERED = (ECHO, SUPPRESS_GO_AHEAD)


class _Stdin:
    """Data bytes of the telnet stream, IAC commands removed, decoded as text."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.pending = ""
        self.after_cr = False

    async def _byte(self) -> int | None:
        data = await self.reader.read(1)
        return data[0] if data else None

    async def read(self, count: int = 1) -> str:
        while len(self.pending) < count:
            byte = await self._byte()
            if byte is None:
                break
            if byte == IAC:
                await self._command()
                continue
            if byte == 0 or (byte == 10 and self.after_cr):  # CR NUL, CR LF: one line end
                self.after_cr = False
                continue
            self.after_cr = byte == 13
            self.pending += bytes([byte]).decode("latin-1")
        text, self.pending = self.pending[:count], self.pending[count:]
        return text

    async def _command(self) -> None:
        verb = await self._byte()
        if verb == IAC:  # a doubled 0xFF is a data byte
            self.pending += "\xff"
        elif verb in (DO, DONT, WILL, WONT):
            option = await self._byte()
            if verb == DO and option not in OFFERED:
                self.writer.write(bytes([IAC, WONT, option or 0]))
            elif verb == WILL:  # the client offers something: we want none of it
                self.writer.write(bytes([IAC, DONT, option or 0]))
        elif verb == SB:  # subnegotiation: skip to IAC SE
            previous = None
            while True:
                byte = await self._byte()
                if byte is None or (previous == IAC and byte == SE):
                    break
                previous = byte


class _Stdout:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    def write(self, text: str) -> None:
        if self.writer.is_closing():
            raise BrokenPipeError("telnet client gone")
        self.writer.write(text.encode("utf-8").replace(b"\xff", b"\xff\xff"))

    async def drain(self) -> None:
        await self.writer.drain()


class TelnetProcess:
    """The part of asyncssh's SSHServerProcess the replay shells use."""

    command: str | None = None

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.stdin = _Stdin(reader, writer)
        self.stdout = _Stdout(writer)
        self.stderr = self.stdout

    def exit(self, status: int) -> None:
        self.writer.close()

    def is_closing(self) -> bool:
        return self.writer.is_closing()


@dataclass
class TelnetDevice:
    recording: Recording
    host: str
    port: int
    faults: Faults = field(default_factory=Faults)
    server: Any = None
    logins: list[tuple[str, str]] = field(default_factory=list)  # every (user, password) tried


async def _read_line(stdin: _Stdin, stdout: _Stdout, echo: bool) -> str | None:
    line = ""
    while True:
        char = await stdin.read(1)
        if not char:
            return None
        if char in "\r\n":
            stdout.write("\r\n")
            return line
        line += char
        if echo:
            stdout.write(char)


async def _session(device: TelnetDevice, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
    process = TelnetProcess(reader, writer)
    writer.write(bytes([IAC, WILL, ECHO, IAC, WILL, SUPPRESS_GO_AHEAD]))
    rec = device.recording
    try:
        for _attempt in range(3):
            process.stdout.write("\r\nUser Access Verification\r\n\r\nUsername: ")
            user = await _read_line(process.stdin, process.stdout, echo=True)
            process.stdout.write("Password: ")
            password = await _read_line(process.stdin, process.stdout, echo=False)
            if user is None or password is None:
                return
            device.logins.append((user, password))
            expected = device.faults.password if device.faults.password is not None \
                else rec.password
            if user == rec.username and password == expected:
                break
            process.stdout.write("% Authentication failed\r\n")
        else:
            return
        shell = _VerbatimShell if rec.verbatim else _DeviceShell
        await shell(process, rec, device.faults).run()  # type: ignore[arg-type]
    except (ConnectionError, BrokenPipeError):
        pass
    finally:
        writer.close()


class TelnetReplayServer:
    """Telnet listeners on 127.0.0.x, served from one thread; closed on exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="replay-telnet",
                                       daemon=True)
        self.devices: list[TelnetDevice] = []

    def __enter__(self) -> "TelnetReplayServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def serve(self, recording: Recording, host: str = "127.0.0.1", port: int = 0,
              faults: Faults | None = None) -> TelnetDevice:
        device = TelnetDevice(recording, host, port, faults or Faults())

        async def start() -> None:
            device.server = await asyncio.start_server(
                lambda r, w: _session(device, r, w), host, port)
            device.port = device.server.sockets[0].getsockname()[1]

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(timeout=30)
        self.devices.append(device)
        return device

    def close(self) -> None:
        if not self.thread.is_alive():
            return

        async def stop() -> None:
            for device in self.devices:
                if device.server is not None:
                    device.server.close()
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
