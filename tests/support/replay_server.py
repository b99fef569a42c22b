"""An SSH server that replays recorded device CLI sessions, for tests and benchmarks.

A recording (tests/fixtures/sessions/*.yaml) describes one device as a terminal
sees it: login banner, prompts, what each command prints, whether output is
paged and how the pager looks. The server plays that device over real SSH
(asyncssh), so netdoc's real transport (netmiko + paramiko) talks to it exactly
as it would to the device. Recording keys:

    platform: cisco_ios            # the netdoc platform the recording stands for
    username: netdoc               # login accepted (a "+suffix", as MikroTik clients send, is ignored)
    password: lab-pass
    enable_secret: lab-enable      # optional: `enable` asks for it, then prompt -> enable_prompt
    banner: "..."                  # printed once after login
    prompt: "sw1>"                 # prompt after login
    enable_prompt: "sw1#"
    modes: {"configure terminal": "sw1(config)#", "end": "sw1#"}   # commands that change the prompt
    page_lines: 20                 # output is paged every N lines until a pager_off command
    pager: " --More-- "            # what the device prints at a page break
    pager_erase: "\\r          \\r"  # what it prints after the keypress, before the next page
    pager_off: ["terminal length 0"]
    newline: "\\r\\n"              # line ends the device sends (default \\r\\n)
    unknown: "% Invalid input detected at '^' marker."   # reply to unrecorded commands
                                                          # (default: nothing, just the prompt)
    commands: {"show running-config": "...output..."}    # also answered on exec requests
    exec_only: false               # true: no shell, only exec requests (pfSense/OPNsense style)

Faults a test can switch on for one server: `stall_after` (command -> bytes of
its output sent before the device goes silent), `endless_pager` (output pages
forever), `latency` (seconds before each answer, as a device's CPU would take).

Run standalone (the benchmark does, to keep the server off netdoc's GIL):
    python tests/support/replay_server.py SPEC.json    # prints "READY" once listening
SPEC.json: {"servers": [{"recording": PATH, "host": "127.0.0.1", "port": 0,
            "host_key": PATH, "latency": 0.0}]}; chosen ports are printed as JSON.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import yaml


DEBUG = bool(os.environ.get("REPLAY_DEBUG"))


@dataclass
class Recording:
    platform: str
    username: str = "netdoc"
    password: str = "lab-pass"
    enable_secret: str = ""
    banner: str = ""
    prompt: str = "device>"
    enable_prompt: str = ""
    modes: dict[str, str] = field(default_factory=dict)
    page_lines: int = 0
    pager: str = " --More-- "
    pager_erase: str = "\r          \r"
    pager_off: list[str] = field(default_factory=list)
    newline: str = "\r\n"
    unknown: str = ""
    commands: dict[str, str] = field(default_factory=dict)
    exec_only: bool = False
    source: str = ""

    @classmethod
    def load(cls, path: Path) -> "Recording":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown recording keys {sorted(unknown)}")
        data["commands"] = {str(k): "" if v is None else str(v)
                            for k, v in (data.get("commands") or {}).items()}
        data.setdefault("source", str(path))
        return cls(**data)


@dataclass
class Faults:
    latency: float = 0.0
    stall_after: dict[str, int] = field(default_factory=dict)
    endless_pager: bool = False
    password: str | None = None  # overrides the recording's (a "changed password" device)


class _DeviceShell:
    """One interactive session: reads typed lines, answers like the recorded device."""

    def __init__(self, process: asyncssh.SSHServerProcess[str], recording: Recording,
                 faults: Faults) -> None:
        self.process = process
        self.rec = recording
        self.faults = faults
        self.prompt = recording.prompt
        self.paging = recording.page_lines > 0 or faults.endless_pager
        self.after_cr = False  # a "\n" right after a "\r" ends no second line

    def write(self, text: str) -> None:
        self.process.stdout.write(text.replace("\n", self.rec.newline)
                                  if self.rec.newline != "\n" else text)

    async def run(self) -> None:
        try:
            if self.process.command is not None:
                await self.answer_exec(self.process.command)
                return
            if self.rec.exec_only:
                self.process.stdout.write("This device only accepts exec requests.\r\n")
                self.process.exit(1)
                return
            if self.rec.banner:
                self.write(self.rec.banner.rstrip("\n") + "\n")
            self.write(self.prompt)
            while True:
                line = await self.read_line()
                if line is None:
                    break
                if not await self.answer(line.strip()):
                    break
            self.process.exit(0)
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
            self.process.exit(0)
        except (BrokenPipeError, ConnectionError, asyncssh.DisconnectError):
            pass

    async def read_line(self) -> str | None:
        buffer = ""
        while True:
            chunk = await self.process.stdin.read(1)
            if not chunk:
                return None
            if chunk == "\n" and self.after_cr and not buffer:
                self.after_cr = False
                continue
            self.after_cr = chunk == "\r"
            if chunk in "\r\n":
                return buffer
            buffer += chunk

    async def answer_exec(self, command: str) -> None:
        await asyncio.sleep(self.faults.latency)
        output = self.rec.commands.get(command.strip())
        if output is None:
            self.process.stderr.write(f"sh: {command.split()[0]}: not found\n")
            self.process.exit(127)
            return
        self.process.stdout.write(output)
        self.process.exit(0)

    async def answer(self, command: str) -> bool:
        """Answer one typed line; False ends the session."""
        if DEBUG:
            print(f"replay {self.rec.platform}: {command!r}", file=sys.stderr, flush=True)
        self.write(command + "\n")  # the terminal echo
        if not command:
            self.write(self.prompt)
            return True
        if command in ("exit", "quit", "logout"):
            return False
        _SESSIONS["now"] += 1
        _SESSIONS["peak"] = max(_SESSIONS["peak"], _SESSIONS["now"])
        try:
            return await self._answer(command)
        finally:
            _SESSIONS["now"] -= 1

    async def _answer(self, command: str) -> bool:
        await asyncio.sleep(self.faults.latency)
        if command == "enable" and self.rec.enable_prompt:
            await self.enable()
            return True
        if command in self.rec.pager_off and not self.faults.endless_pager:
            self.paging = False
        if command in self.rec.modes:
            self.prompt = self.rec.modes[command]
        output = self.output_of(command)
        if command in self.faults.stall_after:
            self.write(output[:self.faults.stall_after[command]])
            await asyncio.sleep(3600)  # the device stops answering mid-output
            return False
        if self.faults.endless_pager and output:
            await self.page_forever(output)
            return False
        await self.send_paged(output)
        self.write(self.prompt)
        return True

    def output_of(self, command: str) -> str:
        if command in self.rec.commands:
            return self.rec.commands[command]
        for recorded, output in self.rec.commands.items():
            # devices accept abbreviations; recordings may key on a regex: "re:PATTERN"
            if recorded.startswith("re:") and re.fullmatch(recorded[3:], command):
                return output
        if command in self.rec.pager_off or command in self.rec.modes:
            return ""
        return self.rec.unknown.replace("{command}", command).rstrip("\n") + "\n" \
            if self.rec.unknown else ""

    async def enable(self) -> None:
        self.write("Password: ")
        secret = await self.read_line()
        self.write("\n")
        if secret is not None and secret.strip() == self.rec.enable_secret:
            self.prompt = self.rec.enable_prompt
        else:
            self.write("% Access denied\n")
        self.write(self.prompt)

    async def send_paged(self, output: str) -> None:
        if not self.paging or not output:
            self.write(output)
            return
        lines = output.splitlines(keepends=True)
        size = self.rec.page_lines
        for start in range(0, len(lines), size):
            self.write("".join(lines[start:start + size]))
            if start + size < len(lines):
                self.write(self.rec.pager)
                key = await self.process.stdin.read(1)
                if not key or key == "q":
                    return
                self.write(self.rec.pager_erase)

    async def page_forever(self, output: str) -> None:
        lines = output.splitlines(keepends=True) or ["\n"]
        size = max(self.rec.page_lines, 10)
        position = 0
        while True:
            page = [lines[(position + i) % len(lines)] for i in range(size)]
            position += size
            self.write("".join(page) + self.rec.pager)
            key = await self.process.stdin.read(1)
            if not key:
                return
            self.write(self.rec.pager_erase)


class _Server(asyncssh.SSHServer):
    def __init__(self, recording: Recording, faults: Faults) -> None:
        self.recording = recording
        self.faults = faults

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        expected = self.faults.password if self.faults.password is not None \
            else self.recording.password
        base_user = username.split("+", 1)[0]  # MikroTik clients append "+ct511w4098h"
        return base_user == self.recording.username and password == expected


@dataclass
class ServedDevice:
    recording: Recording
    host: str
    port: int
    host_key: asyncssh.SSHKey
    faults: Faults
    listener: Any = None
    sessions: int = 0        # open shell/exec sessions right now
    peak_sessions: int = 0


# Across all devices of the process: how many commands were being answered at once, at
# most (a closed session may linger a moment server-side; a command in progress cannot).
_SESSIONS = {"now": 0, "peak": 0}


class ReplayServer:
    """Serve one or more recordings on 127.0.0.x, each on its own port, from a thread.

    Use as a context manager; every listener is closed on exit, also on failure.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="replay-ssh",
                                       daemon=True)
        self.devices: list[ServedDevice] = []

    def __enter__(self) -> "ReplayServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def serve(self, recording: Recording, host: str = "127.0.0.1", port: int = 0,
              host_key: asyncssh.SSHKey | None = None, faults: Faults | None = None) \
            -> ServedDevice:
        device = ServedDevice(recording, host, port,
                              host_key or asyncssh.generate_private_key("ssh-ed25519"),
                              faults or Faults())
        future = asyncio.run_coroutine_threadsafe(_listen(device), self.loop)
        future.result(timeout=30)
        self.devices.append(device)
        return device

    @property
    def peak_busy(self) -> int:
        """Most commands answered at the same time, over every device served so far."""
        return _SESSIONS["peak"]

    def reset_peak(self) -> None:
        _SESSIONS["peak"] = _SESSIONS["now"]

    def stop(self, device: ServedDevice) -> None:
        asyncio.run_coroutine_threadsafe(_stop(device), self.loop).result(timeout=30)

    def close(self) -> None:
        if not self.thread.is_alive():
            return
        for device in self.devices:
            try:
                self.stop(device)
            except Exception:  # noqa: BLE001 - closing is best effort, keep closing the rest
                pass
        try:  # sessions still running (a stalled device) end here, not at interpreter exit
            asyncio.run_coroutine_threadsafe(_cancel_sessions(), self.loop).result(timeout=10)
        except Exception:  # noqa: BLE001 - best effort
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


async def _listen(device: ServedDevice) -> None:
    async def handle(process: asyncssh.SSHServerProcess[str]) -> None:
        device.sessions += 1
        device.peak_sessions = max(device.peak_sessions, device.sessions)
        try:
            await _DeviceShell(process, device.recording, device.faults).run()
        finally:
            device.sessions -= 1

    device.listener = await asyncssh.listen(
        device.host, device.port, server_host_keys=[device.host_key],
        server_factory=lambda: _Server(device.recording, device.faults),
        process_factory=handle, line_editor=False, encoding="utf-8",
        # elliptic curves first; netmiko's FortiGate driver offers only finite-field DH
        # (as FortiOS itself long did), so group14 stays available
        kex_algs=["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
                  "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256",
                  "diffie-hellman-group14-sha1"],
        keepalive_interval=0, login_timeout=30)
    device.port = device.listener.sockets[0].getsockname()[1]


async def _cancel_sessions() -> None:
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _stop(device: ServedDevice) -> None:
    if device.listener is not None:
        device.listener.close()
        await device.listener.wait_closed()
        device.listener = None


def _main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    server = ReplayServer()
    server.thread.start()
    ports = []
    for entry in spec["servers"]:
        key = asyncssh.read_private_key(entry["host_key"]) if entry.get("host_key") else None
        device = server.serve(Recording.load(Path(entry["recording"])),
                              host=entry.get("host", "127.0.0.1"), port=entry.get("port", 0),
                              host_key=key, faults=Faults(latency=entry.get("latency", 0.0)))
        ports.append([device.host, device.port])
    print(json.dumps({"ports": ports}), flush=True)
    print("READY", flush=True)
    try:
        sys.stdin.read()  # runs until the parent closes our stdin (or kills us by PID)
    finally:
        server.close()


if __name__ == "__main__":
    _main(sys.argv[1])
