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
                                                          # (and `scp -f NAME` sends entry NAME as a file)
    exec_only: false               # true: no shell, only exec requests (pfSense/OPNsense style)
    planted_secrets: ["s3cret"]    # secret values the recording holds: the fidelity scoreboard
                                   # (benchmarks/backup_fidelity.py) checks none is stored masked
    auth_none: true                # SSH accepts the "none" method and the device asks for
                                   # "User Name:"/"Password:" in the session (old PowerConnect);
                                   # play that dialogue with `prompt` and `modes`

Faults a test can switch on for one server: `stall_after` (command -> bytes of
its output sent before the device goes silent), `endless_pager` (output pages
forever), `latency` (seconds before each answer, as a device's CPU would take).

Run standalone (the benchmark does, to keep the server off netdoc's GIL):
    python tests/support/replay_server.py SPEC.json    # prints "READY" once listening
SPEC.json: {"servers": [{"recording": PATH, "host": "127.0.0.1", "port": 0,
            "host_key": PATH, "latency": 0.0}]}; chosen ports are printed as JSON.

Oxidized's simulation format (`MODEL#DESCRIPTION#simulation.yaml`, as in
../shared/device-sessions and Oxidized's spec/model/data; `netdoc record` writes it
too) is read by the same `Recording.load` (see `oxidized_recording`):

    init_prompt: |-               # banner + first prompt, Ruby-style escapes (\\e \\r \\x20)
    command_newline: "\\r\\n"      # optional: what the device wants after a command
    commands:                      # a mapping, or a list of one-key mappings (in order:
      "show version\\n": |-        #   the same key may repeat, " " answers a pager)
        show version               # the answer as the device sent it: echo, output and
        ...                        #   the next prompt, played back verbatim
        sw1#

A recording whose answers carry no echo was made over SSH exec requests (Junos,
RouterOS, pfSense, OPNsense in Oxidized): it answers exec requests only. A shell
session sends init_prompt, then for each typed line its recorded answer (a repeated
key plays its answers in order, then repeats the last). A line the recording lacks
(netmiko's `terminal width 511`, an empty line for the prompt) gets the echo and the
current prompt (the last line of the latest answer), or, for the few session-set-up
queries a netmiko driver must parse, a plausible fixed answer (`PREPARATION_ANSWERS`).
Pipe modifiers are understood: `| no-more` is ignored, and `CMD | include/grep/exclude/
begin RE` is answered from CMD's recorded output, filtered; a recorded `CMD | FILTER`
answers a plain `CMD` (the device would have said more, never less config).
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
    planted_secrets: list[str] = field(default_factory=list)  # secret values in the recording
    auth_none: bool = False  # SSH lets anyone in ("none" auth); the login is in-band
    # Oxidized simulation format (see oxidized_recording): answers played verbatim
    verbatim: bool = False
    init_prompt: str = ""
    command_newline: str = "\n"
    script: list[tuple[str, str]] = field(default_factory=list)  # (typed key, answer), in order
    echoed: bool = True          # answers start with the command's echo (else it is added)

    @classmethod
    def load(cls, path: Path) -> "Recording":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if is_oxidized_format(data, path):
            return oxidized_recording(data, path)
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown recording keys {sorted(unknown)}")
        data["commands"] = {str(k): "" if v is None else str(v)
                            for k, v in (data.get("commands") or {}).items()}
        data.setdefault("source", str(path))
        return cls(**data)


# ------------------------------------------------------------------ Oxidized format

def is_oxidized_format(data: Any, path: Path) -> bool:
    return isinstance(data, dict) and (
        path.name.endswith("simulation.yaml") or "init_prompt" in data
        or isinstance(data.get("commands"), list))


def ruby_unescape(text: str | None) -> str:
    """A YAML block scalar of Oxidized's, read as the Ruby double-quoted string it stands for
    (Oxidized undumps it): \\e \\r \\n \\t \\xHH \\uHHHH \\u{H..} \\NNN \\" \\\\."""
    if not text:
        return ""
    out = bytearray()
    simple = {"n": b"\n", "r": b"\r", "t": b"\t", "e": b"\x1b", "a": b"\x07", "b": b"\x08",
              "f": b"\x0c", "v": b"\x0b", "s": b" ", '"': b'"', "\\": b"\\", "'": b"'",
              "#": b"#"}
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out += char.encode("utf-8")
            index += 1
            continue
        code = text[index + 1]
        index += 2
        if code in simple:
            out += simple[code]
        elif code == "x":
            digits = re.match(r"[0-9a-fA-F]{1,2}", text[index:])
            if digits:
                out.append(int(digits.group(0), 16))
                index += len(digits.group(0))
            else:
                out += b"x"
        elif code == "u":
            braced = re.match(r"\{([0-9a-fA-F ]+)\}", text[index:])
            plain = re.match(r"[0-9a-fA-F]{4}", text[index:])
            if braced:
                out += "".join(chr(int(h, 16)) for h in braced.group(1).split()).encode("utf-8")
                index += len(braced.group(0))
            elif plain:
                out += chr(int(plain.group(0), 16)).encode("utf-8")
                index += 4
            else:
                out += b"u"
        elif code in "01234567":
            digits = re.match(r"[0-7]{1,3}", text[index - 1:])
            assert digits is not None
            out.append(int(digits.group(0), 8) & 0xFF)
            index += len(digits.group(0)) - 1
        else:  # an unknown escape is the character itself, as in Ruby
            out += code.encode("utf-8")
    return out.decode("utf-8", "replace")


def oxidized_recording(data: dict[str, Any], path: Path) -> "Recording":
    """A Recording from Oxidized's simulation YAML (init_prompt + commands with echo/prompt)."""
    unknown = set(data) - {"init_prompt", "commands", "command_newline"}
    if unknown:
        raise ValueError(f"{path}: unknown simulation keys {sorted(unknown)}")
    raw = data.get("commands") or {}
    pairs: list[tuple[Any, Any]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        for entry in raw:
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: commands: expected one-key mappings, got {entry!r}")
            pairs.extend(entry.items())
    else:
        raise ValueError(f"{path}: commands: expected a mapping or a list")
    script = [(str(key), ruby_unescape(None if value is None else str(value)))
              for key, value in pairs]
    commands: dict[str, str] = {}
    for key, answer in script:
        commands.setdefault(_line_of(key), answer)
    stem = path.name.split("#")[0].split(":")[0]
    return Recording(platform=stem, verbatim=True, commands=commands, script=script,
                     init_prompt=ruby_unescape(data.get("init_prompt")),
                     command_newline=ruby_unescape(str(data.get("command_newline") or "\\n")),
                     echoed=_echoes(script), source=str(path),
                     # no echo and no prompt to show: recorded over exec requests
                     exec_only=not _echoes(script) and not _looks_like_prompt(
                         _last_line(ruby_unescape(data.get("init_prompt")))))


def _looks_like_prompt(line: str) -> bool:
    return bool(re.fullmatch(r"\S.{0,80}[#>$%\]:]\s*", _visible(line).strip() + " ")) \
        if _visible(line).strip() else False


def _line_of(key: str) -> str:
    """The command a key stands for: keys end with the newline (or are a lone keypress)."""
    return key if _is_keypress(key) else key.rstrip("\r\n").strip()


def _is_keypress(key: str) -> bool:
    return len(key) == 1 and key not in "\r\n"


def _echoes(script: list[tuple[str, str]]) -> bool:
    """Recorded over an interactive shell: answers start with the echo of the command."""
    for key, answer in script:
        command = _line_of(key)
        if command and not _is_keypress(key) and command not in ("exit", "quit", "logout"):
            first = _visible(answer.lstrip("\r\n").split("\n", 1)[0])
            if first.strip().endswith(command):
                return True
    return False


_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][A-Z0-9]|[=>78DEHM])")
# what a device prints at a page break (the last line of an answer that wants a keypress)
_PAGER_LINE = re.compile(r"-+ ?\(?more(?: \d+%)?\)? ?-+|<--- More --->|Press any key|"
                         r"next page: Space", re.IGNORECASE)
_PASSWORD_PROMPT = re.compile(r"(?i)(?:password|passphrase|secret)[^\n]{0,20}:\s*$")
_FILTERS = {"include", "inc", "i", "grep", "match", "exclude", "exc", "e", "except", "begin",
            "b"}
_NO_PAGING = {"no-more", "nomore", "no-paging"}


def _visible(line: str) -> str:
    line = _ANSI.sub("", line)
    return line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")


def _pipes(command: str) -> tuple[str, tuple[str, ...]]:
    """`show run | no-more | include x` -> ("show run", ("include x",)): the base command
    (with pipes that change content, such as Junos `display set`) and the line filters."""
    parts = [p.strip() for p in re.split(r"\s+\|\s*", command.strip())]
    base = [parts[0]]
    filters: list[str] = []
    for part in parts[1:]:
        word = part.split(" ", 1)[0].lower()
        if word in _NO_PAGING:
            continue
        if word in _FILTERS and len(part.split(" ", 1)) == 2:
            filters.append(part)
        else:
            base.append(part)
    return " | ".join(base), tuple(filters)


def apply_filters(text: str, filters: tuple[str, ...]) -> str:
    """Cisco/Fortinet/Juniper-style output filters, line by line."""
    lines = text.split("\n")
    for spec in filters:
        word, _, pattern = spec.partition(" ")
        word = word.lower()
        invert = False
        if word == "grep":
            while pattern.startswith("-"):  # grep -v / -i / -f (context: ignored)
                flag, _, pattern = pattern.partition(" ")
                invert = invert or "v" in flag
        pattern = pattern.strip().strip('"')
        try:
            regex = re.compile(pattern, re.IGNORECASE if word == "grep" else 0)
        except re.error:
            regex = re.compile(re.escape(pattern))
        if word in ("begin", "b"):
            start = next((n for n, line in enumerate(lines) if regex.search(_visible(line))),
                         len(lines))
            lines = lines[start:]
            continue
        keep = word not in ("exclude", "exc", "e", "except")
        if invert:
            keep = not keep
        lines = [line for line in lines if bool(regex.search(_visible(line))) == keep]
    return "\n".join(lines)


# Set-up queries whose answer a netmiko driver parses, for recordings made without them
# (Oxidized does not send them). Values are what such a device plausibly prints.
PREPARATION_ANSWERS: dict[str, str] = {
    # FortiOS 7 (netmiko FortinetSSH reads the console output mode, then sets "standard")
    "get system console": "baudrate            : 9600\noutput              : more\n"
                          "login               : enable\n",
    # Arista EOS and Juniper Junos (netmiko waits for these confirmations)
    "terminal width 511": "Width set to 511 columns.\n",
    "terminal length 0": "Pagination disabled.\n",
    "set cli screen-width 511": "Screen width set to 511\n",
    "set cli screen-length 0": "Screen length set to 0\n",
    "set cli complete-on-space off": "Disabling complete-on-space\n",
}


@dataclass
class Faults:
    latency: float = 0.0
    stall_after: dict[str, int] = field(default_factory=dict)
    endless_pager: bool = False
    password: str | None = None  # overrides the recording's (a "changed password" device)
    endless_output: bool = False  # the command's output repeats forever, no pager, no prompt
    offered: list[tuple[str, str]] = field(default_factory=list)  # every (user, password) tried
    # commands before whose echo the device prints a log message and redraws its prompt
    # (a vty with `terminal monitor`: a link went up just as the command was typed)
    log_before: tuple[str, ...] = ()


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
        if command.startswith("scp -f "):  # a file copied off the device (APC config.ini)
            await self.send_file(command[len("scp -f "):].strip())
            return
        output = self.rec.commands.get(command.strip())
        if output is None:
            output = _resolve(command, self.rec)
        if output is None:
            self.process.stderr.write(f"sh: {command.split()[0]}: not found\n")
            self.process.exit(127)
            return
        self.process.stdout.write(output)
        self.process.exit(0)

    async def send_file(self, name: str) -> None:
        await send_scp_file(self.process, name, self.rec.commands.get(name))

    async def answer(self, command: str) -> bool:
        """Answer one typed line; False ends the session."""
        if DEBUG:
            print(f"replay {self.rec.platform}: {command!r}", file=sys.stderr, flush=True)
        if command in self.faults.log_before:
            self.write("\n%LINK-3-UPDOWN: Interface gi1/0/5, changed state to up\n" + self.prompt)
            await self.process.stdout.drain()
            await asyncio.sleep(0.3)
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
        if self.faults.endless_output and output:
            while not self.process.is_closing():  # streams until the client hangs up
                self.write(output)
                await self.process.stdout.drain()
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
        found = _resolve(command, self.rec)  # `| no-more`, `| include x` of a recorded command
        if found is not None:
            return found
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


class _VerbatimShell:
    """A session of an Oxidized-format recording: recorded answers are sent as they are."""

    def __init__(self, process: asyncssh.SSHServerProcess[str], recording: Recording,
                 faults: Faults) -> None:
        self.process = process
        self.rec = recording
        self.faults = faults
        self.played: dict[str, int] = {}  # key -> answers of it played so far
        self.last_index = -1              # script entry played last (-1: none yet, -2: an
                                          # answer made up for a line the recording lacks)
        self.prompt = _last_line(recording.init_prompt)
        self.newline = "\r\n" if any("\r\n" in a for _, a in recording.script) else "\n"
        self.password_asked = False
        self._after_cr = False

    async def run(self) -> None:
        try:
            if self.process.command is not None:
                await self.answer_exec(self.process.command)
                return
            if self.rec.exec_only:
                self.process.stdout.write("This recording was made over exec requests "
                                          "only; open no shell.\r\n")
                self.process.exit(1)
                return
            self.process.stdout.write(self.rec.init_prompt)
            buffer = ""
            while True:
                chunk = await self.process.stdin.read(1)
                if not chunk:
                    break
                if not buffer and self._keypress_answer(chunk):
                    continue
                if chunk not in "\r\n":
                    buffer += chunk
                    continue
                if chunk == "\n" and self._after_cr and not buffer:
                    self._after_cr = False
                    continue
                self._after_cr = chunk == "\r"
                line, buffer = buffer.strip(), ""
                if DEBUG:
                    print(f"replay {self.rec.platform}: {line!r}", file=sys.stderr, flush=True)
                await asyncio.sleep(self.faults.latency)
                if line in ("exit", "quit", "logout") and not self.rec.commands.get(line):
                    break
                self.answer(line)
                if line in ("exit", "quit", "logout"):
                    break
            self.process.exit(0)
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
            self.process.exit(0)
        except (BrokenPipeError, ConnectionError, asyncssh.DisconnectError):
            pass

    def _keypress_answer(self, key: str) -> bool:
        """A recorded lone keypress (the space a pager waits for) is answered at once."""
        if not _is_keypress(key) or not any(k == key for k, _ in self.rec.script):
            return False  # a recorded "\n" is an empty command line, answered as a line
        self.send(self._next_answer(key))
        return True

    def _recorded_next(self, key: str) -> bool:
        """Is `key` the script entry right after the one played last (or the first one)?"""
        follows = self.last_index + 1
        return self.last_index >= -1 and follows < len(self.rec.script) \
            and _line_of(self.rec.script[follows][0]) == key

    def _next_answer(self, key: str) -> str:
        """The answer to `key`: the entry right after the last one played when it is that
        key (a pager's next page), else the key's next recorded answer (the last repeats)."""
        if self._recorded_next(key):
            self.last_index += 1
            return self.rec.script[self.last_index][1]
        indexes = [i for i, (k, _) in enumerate(self.rec.script) if _line_of(k) == key]
        count = self.played.get(key, 0)
        self.played[key] = count + 1
        self.last_index = indexes[min(count, len(indexes) - 1)]
        return self.rec.script[self.last_index][1]

    def send(self, answer: str) -> None:
        self.process.stdout.write(answer)
        prompt = _last_line(answer)
        asks = _PASSWORD_PROMPT.search(_visible(prompt))
        if prompt.strip() and not _PAGER_LINE.search(prompt) and not asks:
            self.prompt = prompt
        # a password prompt in the answer (`enable` recorded with its Password: line, the
        # secret itself left out): the next line typed is that secret
        self.password_asked = any(_PASSWORD_PROMPT.search(_visible(line))
                                  for line in answer.split("\n")[-3:])

    def answer(self, line: str) -> None:
        if self.password_asked and line not in self.rec.commands:
            self.password_asked = False  # a secret typed at a password prompt: no echo
            self.send(self.newline + self.prompt)
            return
        if line == "" and not self._recorded_next(""):
            self.send(self.newline + self.prompt)  # a bare Enter: the prompt again
            return
        if line in self.rec.commands:  # also "" (a recorded bare Enter: "Press any key")
            answer = self._next_answer(line)
            if not self.rec.echoed:  # a device that was recorded without its echo
                answer = line + self.newline + answer
                if not _looks_like_prompt(_last_line(answer)):
                    answer = answer.rstrip("\r\n") + self.newline + self.prompt
            self.send(answer)
            return
        body = self.body_for(line)
        self.last_index = -2  # answered from no script entry: no entry "follows" it
        if body and not body.endswith("\n"):
            body += "\n"
        self.send(line + self.newline + body.replace("\r\n", "\n").replace(
            "\n", self.newline) + self.prompt)

    def body_for(self, line: str) -> str:
        """Output for a line the recording lacks: a pipe variant of a recorded command, a
        known set-up query, else nothing (echo and prompt only)."""
        if not line:
            return ""
        found = _resolve(line, self.rec)
        if found is not None:
            return found
        return PREPARATION_ANSWERS.get(line, "")

    async def answer_exec(self, command: str) -> None:
        await asyncio.sleep(self.faults.latency)
        command = command.strip()
        if command.startswith("scp -f "):  # a recorded file (APC's config.ini) copied off
            name = command[len("scp -f "):].strip()
            await send_scp_file(self.process, name, self.rec.commands.get(name))
            return
        if command in self.rec.commands:
            index = next(i for i, (k, _) in enumerate(self.rec.script)
                         if _line_of(k) == command)
            output = _body(self.rec, index) if not self.rec.exec_only \
                else self.rec.script[index][1]
        else:  # a command the recording lacks: a filtered variant, else no output
            output = _resolve(command, self.rec) or ""
        self.process.stdout.write(output)
        self.process.exit(0)


async def send_scp_file(process: asyncssh.SSHServerProcess[str], name: str,
                        content: str | None) -> None:
    """The source side of the SCP protocol (`scp -f NAME`) for one recorded file: wait for
    the client's go-ahead, announce name and size, send the bytes, wait for its ack."""
    await process.stdin.read(1)
    if content is None:
        process.stdout.write(f"\x01scp: {name}: No such file or directory\n")
        process.exit(1)
        return
    process.stdout.write(f"C0644 {len(content.encode('utf-8'))} {name}\n")
    await process.stdin.read(1)
    process.stdout.write(content + "\0")
    await process.stdin.read(1)
    process.exit(0)


def _last_line(text: str) -> str:
    return text.rsplit("\n", 1)[-1] if text else ""


def _body(rec: Recording, index: int) -> str:
    """The output of script entry `index` without echo and prompt; a paged output is
    joined with the pages its keypress entries brought."""
    key, answer = rec.script[index]
    command = _line_of(key)
    lines = answer.split("\n")
    if rec.exec_only:
        return answer
    if lines and _visible(lines[0]).strip().endswith(command):
        lines = lines[1:]
    tail = ""
    if lines and (rec.echoed or _looks_like_prompt(lines[-1])
                  or _PAGER_LINE.search(_visible(lines[-1]))):
        tail = lines.pop()  # the next prompt (or a pager), not output
    text = "\n".join(lines) + ("\n" if lines else "")
    if _PAGER_LINE.search(_visible(tail)) and index + 1 < len(rec.script) \
            and _is_keypress(rec.script[index + 1][0]):
        more = _body(rec, index + 1)
        text += re.sub(r"^\r? *\r", "", more)
    return text


def _resolve(line: str, rec: Recording) -> str | None:
    """Output for `line` from a recorded command that differs only in pipes."""
    base, filters = _pipes(line)
    entries = rec.script if rec.verbatim else list(rec.commands.items())
    candidates: list[tuple[int, int, tuple[str, ...]]] = []
    for index, (key, _) in enumerate(entries):
        if _is_keypress(key) or key.startswith("re:"):
            continue
        recorded_base, recorded_filters = _pipes(_line_of(key))
        if recorded_base == base:
            # the same filters first, then the unfiltered output, then any filtered one
            rank = 0 if recorded_filters == filters else 1 if not recorded_filters else 2
            candidates.append((rank, index, recorded_filters))
    if not candidates:
        return None
    rank, index, recorded_filters = min(candidates)
    text = _body(rec, index) if rec.verbatim else entries[index][1]
    return text if rank == 0 else apply_filters(text, filters)


class _Server(asyncssh.SSHServer):
    def __init__(self, recording: Recording, faults: Faults) -> None:
        self.recording = recording
        self.faults = faults

    def begin_auth(self, username: str) -> bool:
        # False: no SSH authentication needed (a device that asks "User Name:" in-band)
        return not self.recording.auth_none

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.faults.offered.append((username, password))
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
            shell = _VerbatimShell if device.recording.verbatim else _DeviceShell
            await shell(process, device.recording, device.faults).run()
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
