r"""Record a device's CLI session as a fixture: how a technician contributes a new vendor.

    netdoc record HOST --platform P [--commands CMD ...] [--output FILE]
                  [--credential NAME | --username U [--password-env VAR] [--enable-env VAR]]
                  [--port 22] [--no-mask]

netdoc logs in exactly as a backup would (the same netmiko driver, session set-up,
enable and pager handling, through netdoc.backup.transport), runs the platform's
facts and backup commands (or the given ones) and writes every byte the device
sent, in the simulation format of Oxidized (docs/DeviceSimulation.md; the format of
../shared/device-sessions), which the project's replay server plays back:

    ---
    init_prompt: |-               # what the device sent before the first command
      sw1#
    commands:                      # each line sent (with its newline) -> the device's
      "show version\n": |-        # answer: echo, output and the next prompt
        show version
        ...
        sw1#

Answers are YAML block scalars holding Ruby-style escapes (\e for ESC, \r, \x20 for
a trailing space, \" and \\), as Oxidized writes them. When a line is sent more
than once with a different answer (a space answering a pager), `commands` is a list
of one-key mappings in the order sent, Oxidized's ordered variant. Sessions over SSH
exec requests (pfSense, OPNsense) have an empty init_prompt and answers without echo;
so do platforms whose files are copied off (transport: scp), keyed by file name.

Secrets: the recording is meant to be sent to the project, so by default every
secret the platform's profile knows is masked (the same masking as a backup's
`secrets: mask`, under a key of this recording only), and the login password and
enable secret never appear: a line typed at a password prompt is not recorded.
`--no-mask` keeps device secrets verbatim, for a lab device.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import secrets as pysecrets
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterator

from netdoc.errors import UsageError

log = logging.getLogger("netdoc.record")

# a line typed after this is a secret: it is never written to the recording
PASSWORD_PROMPT = re.compile(r"(?i)(?:password|passphrase|secret)[^\n]{0,20}:\s*$")
NEWLINES = ("\n", "\r\n", "\r")


@dataclass
class Session:
    """What a recording holds: the login text and each (sent, answer) pair in order."""

    init_prompt: str = ""
    exchanges: list[tuple[str, str]] = field(default_factory=list)
    exec_mode: bool = False


# ---------------------------------------------------------------- capturing

class _Tap:
    """Every byte the SSH session channel received or sent, in order, as text."""

    def __init__(self) -> None:
        import codecs

        self.events: list[tuple[str, str]] = []  # ("r" | "w", text)
        self.lock = threading.Lock()
        self.decoders = {kind: codecs.getincrementaldecoder("utf-8")("replace")
                         for kind in "rw"}

    def add(self, kind: str, data: bytes) -> None:
        text = self.decoders[kind].decode(data)
        if not text:
            return
        with self.lock:
            if self.events and self.events[-1][0] == kind == "r":
                self.events[-1] = (kind, self.events[-1][1] + text)
            else:
                self.events.append((kind, text))


@contextmanager
def _tapped() -> Iterator[_Tap]:
    """Capture the session's channel I/O at paramiko's Channel, below netmiko and
    netdoc's own reader (the recorder is the only SSH session in its process)."""
    import paramiko

    tap = _Tap()
    recv, send = paramiko.Channel.recv, paramiko.Channel.send

    def receiving(self: paramiko.Channel, nbytes: int) -> bytes:
        data: bytes = recv(self, nbytes)
        tap.add("r", data)
        return data

    def sending(self: paramiko.Channel, s: bytes | bytearray) -> int:
        sent: int = send(self, s)
        tap.add("w", (s.encode("utf-8") if isinstance(s, str) else bytes(s))[:sent])
        return sent

    paramiko.Channel.recv = receiving  # type: ignore[method-assign]
    paramiko.Channel.send = sending  # type: ignore[method-assign]
    try:
        yield tap
    finally:
        paramiko.Channel.recv = recv  # type: ignore[method-assign]
        paramiko.Channel.send = send  # type: ignore[method-assign]


def session_from_events(events: list[tuple[str, str]]) -> Session:
    """Split channel I/O into init_prompt and (sent, answer) pairs.

    netmiko types its first lines before the login banner has even arrived, so reads
    are not cut at write times but where the device starts answering: at the echo of a
    typed command; before the first command, the banner up to the first prompt is the
    init_prompt and each further prompt answers one of the early Enter keys.
    A line typed at a password prompt (the enable secret) is not recorded: what the
    device said next stays in the answer that asked for it.
    """
    stream = ""
    writes: list[tuple[str, int]] = []  # (text, length of stream when it was sent)
    secret_typed = False  # a secret without its Enter: the Enter that follows is its end
    for kind, text in events:
        if kind == "r":
            stream += text
            secret_typed = secret_typed and not text.strip()
        elif PASSWORD_PROMPT.search(_visible_tail(stream)) and text not in NEWLINES:
            secret_typed = not text.endswith(NEWLINES)
        elif secret_typed and text in NEWLINES:
            secret_typed = False
        else:
            secret_typed = False
            writes.append((text, len(stream)))
    starts: list[int] = []
    cursor = 0
    for text, offset in writes:
        start = max(cursor, offset)
        command = text.strip()
        if command:
            echo = stream.find(command, start)
            start = echo if echo >= 0 else start
        starts.append(start)
        cursor = start
    first = next((i for i, (text, _) in enumerate(writes) if text.strip()), len(writes))
    region = stream[:starts[first]] if first < len(writes) else stream
    init, early = _split_login(region, first)
    session = Session(init_prompt=init)
    session.exchanges = [(writes[i][0], early[i]) for i in range(first)]
    for i in range(first, len(writes)):
        end = starts[i + 1] if i + 1 < len(writes) else len(stream)
        session.exchanges.append((writes[i][0], stream[starts[i]:end]))
    return session


def _split_login(region: str, enters: int) -> tuple[str, list[str]]:
    """(init_prompt, answers of the `enters` Enter keys typed meanwhile) from the text
    a device sent before the first command: banner, prompt, then one prompt per Enter."""
    prompt = region.rsplit("\n", 1)[-1] if "\n" in region else region
    if not enters or not prompt.strip():
        return region, [""] * enters
    ends = [m.end() for m in re.finditer(re.escape(prompt) + r"(?=\r|\n|$)", region)]
    if len(ends) < 2:
        return region, [""] * enters
    init = region[:ends[0]]
    pieces = [region[a:b] for a, b in zip(ends, ends[1:])]
    answers = pieces[:enters] + [""] * (enters - len(pieces))
    if len(pieces) > enters:  # more prompts than Enter keys: keep the text, in the last
        answers[-1] += "".join(pieces[enters:])
    return init, answers


_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][A-Z0-9]|[=>78DEHM])")


def _visible_tail(text: str) -> str:
    return _ANSI.sub("", text[-200:]).rsplit("\n", 1)[-1].rsplit("\r", 1)[-1]


# ---------------------------------------------------------------- masking

def mask_session(session: Session, recipe: Any, hide: list[str]) -> Session:
    """The session with the profile's secrets masked and the login secrets hidden."""
    from netdoc.backup.secrets import mask_secrets

    key = pysecrets.token_bytes(32)  # this recording's own key: nothing to correlate with

    def clean(text: str) -> str:
        if recipe is not None:
            crlf = "\r\n" in text
            text = mask_secrets(text.replace("\r\n", "\n"), recipe, key)
            if crlf:
                text = text.replace("\n", "\r\n")
        return hide_values(text, hide)

    return Session(init_prompt=clean(session.init_prompt), exec_mode=session.exec_mode,
                   exchanges=[(hide_values(sent, hide), clean(answer))
                              for sent, answer in session.exchanges])


def hide_values(text: str, values: list[str]) -> str:
    for value in sorted((v for v in values if len(v) >= 3), key=len, reverse=True):
        text = text.replace(value, "<masked:login-secret>")
    return text


# ---------------------------------------------------------------- the YAML

_RUBY_SHORT = {"\\": "\\\\", '"': '\\"', "\x1b": "\\e", "\r": "\\r", "\t": "\\t",
               "\x07": "\\a", "\x08": "\\b", "\x0c": "\\f", "\x0b": "\\v"}


def ruby_escape(line: str) -> str:
    """One line (no newline) as Oxidized writes it in a block scalar (Ruby's String#dump
    without the quotes; printable non-ASCII text stays readable)."""
    out = []
    for index, char in enumerate(line):
        if char in _RUBY_SHORT:
            out.append(_RUBY_SHORT[char])
        elif char == "#" and line[index + 1:index + 2] in ("{", "$", "@"):
            out.append("\\#")  # Ruby would interpolate #{...}
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        elif not char.isprintable() or char in "\u2028\u2029\ufeff":
            out.append(f"\\u{{{ord(char):X}}}")
        else:
            out.append(char)
    text = "".join(out)
    if text.endswith(" "):
        text = text[:-1] + "\\x20"  # editors strip trailing spaces; devices send them
    return text


def block_scalar(text: str, indent: str) -> str:
    """`|-` and the escaped lines; "" for an empty answer."""
    if text == "":
        return '""'
    trailing = ""
    if text.endswith("\n"):  # `|-` drops a final line break: write it as an escape
        text, trailing = text[:-1], "\\n"
    lines = [ruby_escape(line) for line in text.split("\n")]
    lines[-1] += trailing
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is not None and lines[first].startswith(" "):
        lines[first] = "\\x20" + lines[first][1:]  # YAML takes the indent from this line
    return "|-\n" + "\n".join(indent + line if line else "" for line in lines)


def yaml_key(text: str) -> str:
    """A sent line as a YAML double-quoted key ("show version\\n")."""
    escaped = []
    for char in text:
        if char in '\\"':
            escaped.append("\\" + char)
        elif char in "\n\r\t":
            escaped.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif char == "\x1b":
            escaped.append("\\e")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\x{ord(char):02X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def simulation_yaml(session: Session, header: list[str]) -> str:
    lines = [f"# {h}" for h in header] + ["---"]
    if session.exec_mode or not session.init_prompt:
        lines.append("init_prompt:")
    else:
        lines.append("init_prompt: " + block_scalar(session.init_prompt, "  "))
    exchanges = _dedupe(session.exchanges)
    ordered = len({sent for sent, _ in exchanges}) < len(exchanges)
    lines.append("commands:")
    for sent, answer in exchanges:
        if ordered:
            lines.append(f"  - {yaml_key(sent)}: " + block_scalar(answer, "      "))
        else:
            lines.append(f"  {yaml_key(sent)}: " + block_scalar(answer, "    "))
    if not exchanges:
        lines[-1] = "commands: {}"
    return "\n".join(lines) + "\n"


def _dedupe(exchanges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A line always answered the same (netmiko's Enter for the prompt) is recorded
    once; one whose answers differ (Enter before and after `enable`, a pager's space)
    keeps every answer, in order, as a replay plays them."""
    answers: dict[str, set[str]] = {}
    for sent, answer in exchanges:
        answers.setdefault(sent, set()).add(answer)
    seen: set[str] = set()
    out = []
    for sent, answer in exchanges:
        if len(answers[sent]) == 1 and sent in seen:
            continue
        seen.add(sent)
        out.append((sent, answer))
    return out


# ---------------------------------------------------------------- recording

@dataclass(frozen=True)
class RecordRequest:
    host: str
    platform: str
    username: str
    password: str = ""
    enable_secret: str = ""
    key_file: str = ""
    port: int = 22
    commands: tuple[str, ...] = ()  # empty: the platform's facts and backup commands
    mask: bool = True
    timeout: float = 120.0
    exec_mode: bool = False  # SSH exec requests instead of a shell (a new vendor's choice)


@dataclass(frozen=True)
class RecordPlan:
    platform: str   # netdoc platform, or the netmiko device_type of a vendor without profile
    driver: str     # netmiko device_type
    recipe: Any     # netdoc.platforms.BackupRecipe


def plan_recording(request: RecordRequest) -> RecordPlan:
    """How to record: the platform's recipe, or, for a vendor netdoc has no profile for
    yet, a netmiko device_type (`generic` will do) and the commands given."""
    from dataclasses import replace

    from netdoc.backup.platforms import is_netmiko_type, plan_for, resolve
    from netdoc.platforms import BackupRecipe

    profile, name, _ = resolve(request.platform)
    if profile is None and is_netmiko_type(name):
        if not request.commands:
            raise UsageError(f"netdoc has no profile for {name!r} yet, so it does not know "
                             f"which commands print the configuration: give them with "
                             f"--commands (e.g. --commands 'show version' 'show running-config')")
        recipe = BackupRecipe(commands=request.commands,
                              transport="exec" if request.exec_mode else "cli")
        return RecordPlan(platform=name, driver=name, recipe=recipe)
    plan = plan_for(request.host, request.platform)
    recipe = replace(plan.recipe, transport="exec") if request.exec_mode else plan.recipe
    return RecordPlan(platform=plan.platform, driver=plan.driver, recipe=recipe)


def record(request: RecordRequest, clock: Callable[[], float] = time.monotonic) -> tuple[str, str]:
    """Log in, run the commands, return (recording YAML, platform name)."""
    from netdoc import __version__
    from netdoc.backup.transport import FetchRequest, NetmikoSource

    plan = plan_recording(request)
    recipe = plan.recipe
    commands = request.commands or tuple(dict.fromkeys(recipe.facts_commands + recipe.commands))
    # every session setting a recipe carries (enable, transport, login questions, prompt
    # shape, ...) goes to the transport as a backup would pass it
    from_recipe = {f.name: getattr(recipe, f.name) for f in fields(FetchRequest)
                   if f.name != "commands" and hasattr(recipe, f.name)}
    fetch = FetchRequest(host=request.host, port=request.port, device_type=plan.driver,
                         username=request.username, password=request.password,
                         enable_secret=request.enable_secret, key_file=request.key_file,
                         commands=commands, **from_recipe)
    deadline = clock() + request.timeout
    source = NetmikoSource()
    if recipe.transport != "cli":  # exec requests (or files copied off): no shell to record
        raw = source.fetch(fetch, deadline)
        session = Session(exec_mode=True,
                          exchanges=[(c + "\n", raw.outputs.get(c, "")) for c in commands])
    else:
        with _tapped() as tap:
            source.fetch(fetch, deadline)
        session = session_from_events(tap.events)
    hide = [v for v in (request.password, request.enable_secret) if v]
    session = mask_session(session, recipe if request.mask else None, hide)
    header = [f"recorded by netdoc {__version__} `netdoc record` from platform {plan.platform} "
              f"(netmiko {plan.driver}, {recipe.transport})",
              "format: Oxidized device simulation (init_prompt + commands: sent line -> "
              "echo, output, next prompt; Ruby-style escapes)",
              "secrets: " + ("masked with this recording's own key; login secrets never "
                             "recorded" if request.mask else
                             "NOT masked (--no-mask): for a lab device only"),
              "before sending it: review it, and replace addresses or serial numbers you "
              "do not want to share"]
    return simulation_yaml(session, header), plan.platform


# ---------------------------------------------------------------- command line

Command = Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]


def add_record_command(command: Command) -> None:
    sub = command("record", "Record a device's SSH session (the platform's backup commands) "
                            "as a test fixture, secrets masked, to contribute a new vendor.",
                  record_command)
    sub.add_argument("host", help="IP address or name of the device")
    sub.add_argument("--platform", required=True,
                     help="netdoc platform (profile name, alias, Oxidized model or netmiko "
                          "device_type; `netdoc platforms` lists them); for a vendor netdoc "
                          "has no profile for, a netmiko device_type (generic will do) "
                          "with --commands")
    sub.add_argument("--commands", nargs="+", metavar="CMD",
                     help="commands to run instead of the platform's facts and backup "
                          "commands (quote each one)")
    sub.add_argument("--output", metavar="FILE",
                     help="where to write it (default PLATFORM#HOST#simulation.yaml; - for "
                          "stdout)")
    sub.add_argument("--port", type=int, default=22, help="SSH port (default 22)")
    sub.add_argument("--credential", metavar="NAME",
                     help="use the ssh: part of this credential set from netdoc.yaml")
    sub.add_argument("--username", help="SSH user (the password is asked for, or read from "
                                        "--password-env)")
    sub.add_argument("--password-env", metavar="VAR",
                     help="environment variable holding the SSH password")
    sub.add_argument("--enable-env", metavar="VAR",
                     help="environment variable holding the enable secret (if the platform "
                          "uses enable)")
    sub.add_argument("--key-file", metavar="PATH", default="", help="SSH private key file")
    sub.add_argument("--timeout", type=float, default=120.0,
                     help="seconds for the whole session (default 120)")
    sub.add_argument("--exec", dest="exec_mode", action="store_true",
                     help="run each command as an SSH exec request, not in a shell (devices "
                          "that show a menu to interactive logins)")
    sub.add_argument("--no-mask", action="store_true",
                     help="keep the device's secrets in the recording (lab devices only)")
    sub.add_argument("--force", action="store_true", help="overwrite --output if it exists")


def record_command(args: argparse.Namespace) -> int:
    from netdoc.fsutil import atomic_write

    username, password, enable = _credentials(args)
    request = RecordRequest(host=args.host, platform=args.platform, username=username,
                            password=password, enable_secret=enable, key_file=args.key_file,
                            port=args.port, commands=tuple(args.commands or ()),
                            mask=not args.no_mask, timeout=args.timeout,
                            exec_mode=args.exec_mode)
    if not 1 <= request.port <= 65535:
        raise UsageError("--port must be from 1 to 65535")
    output = args.output or ""
    if output != "-":
        platform = plan_recording(request).platform  # fail before connecting
        path = Path(output or f"{platform}#{_file_safe(args.host)}#simulation.yaml")
        if path.exists() and not args.force:
            raise UsageError(f"{path} exists; not overwriting it (give --force)")
    text, platform = record(request)
    if output == "-":
        sys.stdout.write(text)
        return 0
    atomic_write(path, text, mode=0o600)
    print(f"wrote {path}: {text.count(chr(10))} lines, platform {platform}, secrets "
          f"{'masked' if request.mask else 'NOT masked'}; review it before sending")
    return 0


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "device"


def _credentials(args: argparse.Namespace) -> tuple[str, str, str]:
    if args.credential and args.username:
        raise UsageError("give --credential NAME or --username USER, not both")
    if args.credential:
        from netdoc.config import load_config

        config = load_config(getattr(args, "config", None))
        found = config.credentials.get(args.credential)
        if found is None:
            raise UsageError(f"no credential set {args.credential!r} in {config.path}; defined: "
                             f"{', '.join(sorted(config.credentials)) or 'none'}")
        if found.ssh is None:
            raise UsageError(f"credential set {args.credential!r} has no ssh: part")
        ssh = found.ssh
        if not args.key_file and ssh.key_file:
            args.key_file = ssh.key_file
        return (ssh.username, ssh.password.reveal() if ssh.password else "",
                ssh.enable.reveal() if ssh.enable else "")
    if not args.username:
        raise UsageError("give --credential NAME (from netdoc.yaml) or --username USER")
    password = _from_env(args.password_env, "--password-env") if args.password_env else ""
    if not password and not args.key_file:
        if not sys.stdin.isatty():
            raise UsageError("no password: give --password-env VAR (or run in a terminal to "
                             "be asked)")
        password = getpass.getpass(f"SSH password for {args.username}@{args.host}: ")
    enable = _from_env(args.enable_env, "--enable-env") if args.enable_env else ""
    from netdoc.secrets import remember_secret

    for value in (password, enable):
        if value:
            remember_secret(value)  # never in a log line
    return args.username, password, enable


def _from_env(name: str, option: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"{option}: environment variable {name} is not set")
    return value

