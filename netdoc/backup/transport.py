"""The transport seam: how raw command output gets off a device.

`ConfigSource.fetch(request, deadline)` logs in, runs the commands and returns
their raw output (echo, prompt, pager remnants and all: cleaning is the next
stage's job). Two real implementations:

    NetmikoSource  interactive CLI over SSH via netmiko (paging off, enable mode)
                   or, for recipes with `transport: exec`, one SSH exec request per
                   command (pfSense/OPNsense, which show a menu to shells)
                   or `transport: scp`/`sftp` (the commands are files copied off), or
                   the interactive CLI over telnet (`transport: telnet`, per recipe or per
                   seed: netmiko's <driver>_telnet class; no host key, credentials in clear)

A test can hand the stage any other object with the same `fetch` method; the
project's own tests prefer the real NetmikoSource against the replay server in
tests/support/replay_server.py.

Host keys: the caller passes the key it remembers for this device (or none).
paramiko checks it before any password is sent; a mismatch raises HostKeyChanged
carrying the key the device offered, so a technician can accept it later.
"""
from __future__ import annotations

import logging
import re
import select
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from netdoc.errors import BackupError, HostKeyChanged, SessionClosed, SshNoPrompt, SshUnreachable
from netdoc.platforms import pager_rules
from netdoc.app.lazy import lazy_module

if TYPE_CHECKING:
    import paramiko
else:  # imported at the first SSH connection: `netdoc status` needs none
    paramiko = lazy_module("paramiko")

log = logging.getLogger("netdoc.backup.transport")

READ_PAUSE = 0.02  # seconds between channel polls: short, so latency is the device's
READ_WAIT = 0.25  # longest blocking wait for the channel between deadline checks
MAX_PAGES = 5000   # a pager that never ends is cut off here, or at the deadline
PROMPT_ESCAPES = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[()][A-Z0-9]|[=>78DEHM])")
READ_CHUNK = 65536  # bytes per channel read
# A prompt read before the command's echo is the previous command's, arriving late
# (netmiko's session set-up reads `terminal width` only up to its echo): the answer starts
# at the echo, as netmiko's cmd_verify has it. A device that never echoes gets its prompt
# accepted after this long.
ECHO_WAIT = 2.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # backup.max_config_bytes: output beyond it is refused


@dataclass(frozen=True)
class HostKey:
    key_type: str  # e.g. "ssh-ed25519"
    base64: str

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.key_type, self.base64)


@dataclass(frozen=True)
class FetchRequest:
    host: str
    port: int
    device_type: str              # netmiko device_type
    username: str
    password: str = ""
    enable_secret: str = ""
    key_file: str = ""
    commands: tuple[str, ...] = ()
    enable: bool = False          # enter privileged mode (only with an enable_secret)
    transport: str = "cli"        # "cli", "exec" or "scp" (commands are file names)
    known_key: HostKey | None = None
    # questions asked between SSH login and the prompt (regex, answer): profile `login:`
    login: tuple[tuple[re.Pattern[str], str], ...] = ()
    # the platform's prompt whatever the host name (profile `prompt:`): also ends an answer
    prompt: re.Pattern[str] | None = None
    max_bytes: int = DEFAULT_MAX_BYTES  # output of all commands together, at most


@dataclass
class RawFetch:
    outputs: dict[str, str] = field(default_factory=dict)  # command -> raw text
    prompt: str = ""              # the base prompt netmiko found (cli only)
    host_key: HostKey | None = None


class LoginFailed(BackupError):
    """The device refused the username/password or key: the next credential set may work."""


class OutputTooLarge(BackupError):
    """The device sent more than backup.max_config_bytes: the session is dropped."""


class ConfigSource(Protocol):
    def fetch(self, request: FetchRequest, deadline: float) -> RawFetch: ...

    def detect(self, request: FetchRequest, deadline: float) -> tuple[str, HostKey | None]:
        """The netmiko device_type the device looks like ("" = no idea) and its host key."""

    def abort(self, host: str, port: int) -> None:
        """Cut a running fetch off (its time is up); it then fails with a timeout."""


# Every read netmiko makes itself (login banner, prompt finding, paging off,
# autodetection) counts against the device's byte budget too: netmiko's own read
# loops keep reading while a device keeps talking. The budget is per worker thread
# (one device per thread); no budget set, no limit (netmiko used outside netdoc).
_read_budget = threading.local()


def _guard_netmiko_reads() -> None:
    from netmiko.channel import SSHChannel, TelnetChannel

    # SSH reads go through read_buffer; telnet's through read_channel (telnetlib)
    for channel_class, method in ((SSHChannel, "read_buffer"), (TelnetChannel, "read_channel")):
        _bound_reads(channel_class, method)


def _bound_reads(channel_class: Any, method: str) -> None:
    original = getattr(channel_class, method)
    if getattr(original, "_netdoc_bounded", False):
        return

    def bounded(self: Any) -> str:
        data = original(self)
        left = getattr(_read_budget, "left", None)
        if left is not None and data:
            _read_budget.left = left - len(data)
            if _read_budget.left < 0:
                _read_budget.exceeded = True
                try:  # netmiko may swallow the error (autodetection does): end the session
                    self.remote_conn.close()
                except Exception:  # noqa: BLE001 - it is going away either way
                    pass
                raise OutputTooLarge(getattr(_read_budget, "host", "?"),
                                     _too_large("session set-up", _read_budget.limit))
        return str(data)

    bounded._netdoc_bounded = True  # type: ignore[attr-defined]
    setattr(channel_class, method, bounded)


class _budget:
    """Within: netmiko's reads in this thread may bring at most `limit` bytes."""

    def __init__(self, host: str, limit: int) -> None:
        self.host, self.limit = host, limit

    def __enter__(self) -> "_budget":
        _guard_netmiko_reads()
        _read_budget.left, _read_budget.limit, _read_budget.host = \
            self.limit, self.limit, self.host
        _read_budget.exceeded = False
        return self

    def __exit__(self, *exc: object) -> None:
        _read_budget.left = None

    def check(self) -> None:
        """Raise if the device went over its budget, even where netmiko hid the error."""
        if getattr(_read_budget, "exceeded", False):
            raise OutputTooLarge(self.host, _too_large("session set-up", self.limit))


class NetmikoSource:
    """The real thing: netmiko/paramiko over SSH."""

    def __init__(self) -> None:
        self._live: dict[tuple[str, int], Any] = {}
        self._lock = threading.Lock()

    def fetch(self, request: FetchRequest, deadline: float) -> RawFetch:
        if request.transport in ("cli", "telnet"):
            with _budget(request.host, request.max_bytes):
                return self._fetch_cli(request, deadline)
        if request.transport in ("exec", "scp", "sftp"):
            return self._fetch_exec(request, deadline)
        return self._fetch_cli(request, deadline)

    def abort(self, host: str, port: int) -> None:
        with self._lock:
            live = self._live.get((host, port))
        if live is not None:
            try:
                live.close()
            except Exception:  # noqa: BLE001 - the socket may already be gone
                pass

    # ------------------------------------------------------------ interactive CLI
    def _fetch_cli(self, request: FetchRequest, deadline: float) -> RawFetch:
        from netmiko import ConnectHandler
        from netmiko.exceptions import (NetmikoAuthenticationException, NetmikoBaseException,
                                        NetmikoTimeoutException)

        with _known_hosts_file(request) as known_hosts:
            try:
                conn = ConnectHandler(**(_telnet_args(request, deadline)
                                         if request.transport == "telnet"
                                         else _netmiko_args(request, deadline, known_hosts)))
            except NetmikoAuthenticationException:
                raise LoginFailed(request.host, f"login refused for user {request.username!r} "
                                                f"(wrong password or key?)") from None
            except NetmikoTimeoutException as exc:
                raise _connect_error(request, exc) from None
            except (NetmikoBaseException, ValueError, OSError, EOFError,
                    paramiko.SSHException) as exc:
                raise BackupError(request.host, f"logged in, but the {request.device_type} "
                                                f"session could not be prepared (paging off, "
                                                f"prompt): {_netmiko_message(exc)}; is the "
                                                f"platform right?") from None
        pre = getattr(conn, "remote_conn_pre", None)  # None over telnet: no SSH, no host key
        transport = pre.get_transport() if pre is not None else conn.remote_conn
        self._register(request, transport)
        polite = False
        try:
            if request.login:
                _answer_login(conn, request, deadline)
                conn.base_prompt = _found_prompt(conn, request.host)
            elif not conn.base_prompt:
                conn.base_prompt = _found_prompt(conn, request.host)
            # drivers that switch ANSI stripping on after finding the prompt (Zyxel) keep
            # the escapes in it, while every later read comes without them
            conn.base_prompt = PROMPT_ESCAPES.sub("", conn.base_prompt)
            result = RawFetch(prompt=conn.base_prompt,
                              host_key=_host_key_of(transport) if pre is not None else None)
            if request.enable and request.enable_secret:
                _enter_enable(conn, request)
            budget = request.max_bytes
            for command in request.commands:
                result.outputs[command] = _run(conn, command, deadline, request.host, budget,
                                               request.max_bytes, request.prompt)
                budget -= len(result.outputs[command])
            polite = True
            return result
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise _cut_off(request.host, deadline, exc, transport) from None
        finally:
            self._unregister(request)
            _close(conn, polite)

    # ------------------------------------------------------------ exec requests
    def _fetch_exec(self, request: FetchRequest, deadline: float) -> RawFetch:
        client = paramiko.SSHClient()
        with _known_hosts_file(request) as known_hosts:
            client.load_host_keys(str(known_hosts))
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            try:
                client.connect(request.host, port=request.port, username=request.username,
                               password=request.password or None,
                               key_filename=request.key_file or None,
                               timeout=_left(deadline, 15), auth_timeout=_left(deadline, 15),
                               banner_timeout=_left(deadline, 15),
                               allow_agent=False, look_for_keys=False)
            except paramiko.BadHostKeyException as exc:
                raise _host_key_changed(request, exc) from None
            except paramiko.AuthenticationException:
                raise LoginFailed(request.host, f"login refused for user {request.username!r} "
                                                f"(wrong password or key?)") from None
            except (OSError, paramiko.SSHException) as exc:
                raise BackupError(request.host, f"SSH connection to port {request.port} failed: "
                                                f"{_first_line(exc)}") from None
        transport = client.get_transport()
        self._register(request, transport)
        try:
            result = RawFetch(host_key=_host_key_of(transport))
            budget = request.max_bytes
            read = _scp_get if request.transport == "scp" else \
                _sftp_get if request.transport == "sftp" else _exec
            for command in request.commands:
                result.outputs[command] = read(client, command, deadline, request.host, budget)
                budget -= len(result.outputs[command])
            return result
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise _cut_off(request.host, deadline, exc, transport) from None
        finally:
            self._unregister(request)
            client.close()

    # ------------------------------------------------------------ autodetection
    def detect(self, request: FetchRequest, deadline: float) -> tuple[str, HostKey | None]:
        """netmiko's SSH autodetection; ("", key) when nothing matched. What the device
        may send meanwhile is bounded like a fetch (backup.max_config_bytes)."""
        with _budget(request.host, request.max_bytes) as budget:
            try:
                found = self._detect(request, deadline)
            except BackupError:
                budget.check()
                raise
            budget.check()
            return found

    def _detect(self, request: FetchRequest, deadline: float) -> tuple[str, HostKey | None]:
        """netmiko's SSH autodetection; ("", key) when nothing matched.

        Slow by nature (netmiko waits ~7 s per probe command), so the stage
        remembers the answer and runs it once per device.
        """
        from netmiko import SSHDetect
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

        request = replace(request, device_type="autodetect")
        with _known_hosts_file(request) as known_hosts:
            try:
                detector = SSHDetect(**_netmiko_args(request, deadline, known_hosts))
            except NetmikoAuthenticationException:
                raise LoginFailed(request.host, f"login refused for user "
                                                f"{request.username!r}") from None
            except NetmikoTimeoutException as exc:
                raise _connect_error(request, exc) from None
        pre = detector.connection.remote_conn_pre
        transport = pre.get_transport() if pre is not None else None
        self._register(request, transport)
        key = _host_key_of(transport)  # autodetect() closes the session when it is sure
        try:
            return detector.autodetect() or "", key
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise BackupError(request.host, f"autodetection failed: "
                                            f"{_cut_off(request.host, deadline, exc, transport).reason}"
                              ) from None
        finally:
            self._unregister(request)
            _close(detector.connection, polite=True)

    def _register(self, request: FetchRequest, transport: Any) -> None:
        with self._lock:
            self._live[(request.host, request.port)] = transport

    def _unregister(self, request: FetchRequest) -> None:
        with self._lock:
            self._live.pop((request.host, request.port), None)


# ---------------------------------------------------------------- helpers

def telnet_driver(device_type: str) -> str:
    """netmiko's telnet class for an SSH device_type (cisco_ios -> cisco_ios_telnet)."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    name = device_type if device_type.endswith("_telnet") else f"{device_type}_telnet"
    return name if name in CLASS_MAPPER else ""


def _telnet_args(request: FetchRequest, deadline: float) -> dict[str, Any]:
    """Telnet: no host key to check, credentials travel in clear (`netdoc check` warns)."""
    driver = telnet_driver(request.device_type)
    if not driver:
        raise BackupError(request.host, f"netmiko has no telnet driver for "
                                        f"{request.device_type!r}; this platform can only be "
                                        f"backed up over SSH")
    budget = _left(deadline, 30)
    return {"device_type": driver, "host": request.host, "port": request.port,
            "username": request.username, "password": request.password,
            "secret": request.enable_secret, "conn_timeout": budget, "auth_timeout": budget,
            "fast_cli": True}


def _netmiko_args(request: FetchRequest, deadline: float, known_hosts: Path) -> dict[str, Any]:
    budget = _left(deadline, 30)
    return {
        "device_type": request.device_type, "host": request.host, "port": request.port,
        "username": request.username, "password": request.password,
        "secret": request.enable_secret,
        "use_keys": bool(request.key_file), "key_file": request.key_file or None,
        "allow_agent": False,
        # host keys: only the one we remember for this device is loaded; a new device's
        # key is accepted here and remembered by the caller after the session
        "ssh_strict": False, "system_host_keys": False,
        "alt_host_keys": True, "alt_key_file": str(known_hosts),
        "conn_timeout": budget, "auth_timeout": budget, "banner_timeout": budget,
        "fast_cli": True,
    }


class _known_hosts_file:
    """A private temporary known_hosts holding only this device's remembered key.

    One file per connection: paramiko rewrites the file it loaded when it adds a
    key, and concurrent sessions must not trample each other's files.
    """

    def __init__(self, request: FetchRequest) -> None:
        self.request = request
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        self.folder = tempfile.TemporaryDirectory(prefix="netdoc-hostkey-")
        path = Path(self.folder.name) / "known_hosts"
        keys = paramiko.HostKeys()
        known = self.request.known_key
        if known is not None:
            keys.add(_host_entry(self.request.host, self.request.port), known.key_type,
                     paramiko.PKey.from_type_string(known.key_type,
                                                    _b64decode(known.base64)))
        keys.save(str(path))
        return path

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            self.folder.cleanup()


def _host_entry(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def _b64decode(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _fingerprint(key_type: str, b64: str) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(_b64decode(b64)).digest()
    return f"{key_type} SHA256:{base64.b64encode(digest).decode().rstrip('=')}"


def _host_key_of(transport: Any) -> HostKey | None:
    if transport is None:
        return None
    key = transport.get_remote_server_key()
    return HostKey(key.get_name(), key.get_base64())


def _host_key_changed(request: FetchRequest, exc: paramiko.BadHostKeyException) -> HostKeyChanged:
    offered = HostKey(exc.key.get_name(), exc.key.get_base64())
    expected = request.known_key.fingerprint if request.known_key else "?"
    error = HostKeyChanged(request.host, (
        f"SSH host key CHANGED (possible man-in-the-middle): remembered {expected}, "
        f"device offered {offered.fingerprint}. Nothing was sent to it. If the change is "
        f"expected (device replaced or re-keyed), accept it with: "
        f"netdoc hostkey accept CLIENT {request.host}"))
    error.offered = offered  # type: ignore[attr-defined]
    return error


def _connect_error(request: FetchRequest, exc: Exception) -> BackupError:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, paramiko.BadHostKeyException):
            return _host_key_changed(request, cause)
        cause = cause.__cause__ or cause.__context__
    # netmiko wraps every connection problem in NetmikoTimeoutException; what went wrong
    # is the exception it was raised from (decided by type, never by netmiko's wording)
    from netmiko.exceptions import ReadTimeout

    causes = _cause_chain(exc)
    if any(isinstance(c, socket.gaierror) for c in causes):
        return BackupError(request.host, f"SSH connection failed: the host name "
                                         f"{request.host!r} does not resolve")
    if any(isinstance(c, OSError) for c in causes[1:]):  # the TCP connect itself failed
        return SshUnreachable(request.host, f"no SSH answer on port {request.port} "
                                            f"(device down, wrong port or filtered)",
                              port=request.port)
    if any(isinstance(c, ReadTimeout) for c in causes) or \
            not any(isinstance(c, paramiko.SSHException) for c in causes[1:]):
        return SshNoPrompt(request.host, "SSH login started but no prompt came back in time")
    return BackupError(request.host, f"SSH connection failed: {_first_line(exc)}")


def _cause_chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def _close(conn: Any, polite: bool) -> None:
    """Log out properly after a good session; just drop the connection after a bad one
    (a hung device would make netmiko's logout dialogue wait for it)."""
    try:
        if polite:
            conn.disconnect()
        else:
            conn.paramiko_cleanup()
    except Exception:  # noqa: BLE001 - the session is over either way
        pass


LOGIN_WAIT = 30.0  # seconds a device may take to get from SSH login to its prompt
LOGIN_REPEATS = 3  # a login question asked again after this many answers: the answer is wrong
# the last line looks like a prompt (a menu question ending in ":" or "?" does not)
_LOGIN_PROMPT = re.compile(r"[^\r\n]*[>#$%\]]\s*$")


def _answer_login(conn: Any, request: FetchRequest, deadline: float) -> None:
    """Answer what the device asks after SSH login (the profile's `login:` list, in any
    order: a menu choice, a policy banner to accept, a second username/password) until
    a prompt shows. A device that shows nothing is nudged with a newline; one that keeps
    asking the same question (a wrong password) fails at once."""
    seen = ""
    answered: list[str] = []
    last_data = time.monotonic()
    nudges = 0
    limit = min(deadline, time.monotonic() + LOGIN_WAIT)
    while time.monotonic() < limit:
        chunk = conn.read_channel()
        now = time.monotonic()
        if chunk:
            # questions and prompts are matched without terminal escapes
            seen, last_data = (seen + PROMPT_ESCAPES.sub("", chunk))[-2000:], now
            for question, answer in request.login:
                if question.search(seen):
                    if answered.count(question.pattern) >= LOGIN_REPEATS:
                        raise BackupError(request.host, (
                            f"logged in, but the device kept asking the login question "
                            f"{question.pattern!r} ({LOGIN_REPEATS} answers given): check "
                            f"the credential set, or the profile's login answers"))
                    conn.write_channel(answer.replace("{username}", request.username)
                                       .replace("{password}", request.password) + conn.RETURN)
                    answered.append(question.pattern)
                    seen = ""
                    break
            continue
        if seen and now - last_data > 0.3 and _LOGIN_PROMPT.search(seen):
            return
        if now - last_data > 1.5 and nudges < 3:  # nothing (more) came: ask for the prompt
            conn.write_channel(conn.RETURN)
            nudges, last_data = nudges + 1, now
        time.sleep(READ_PAUSE)
    shown = ", ".join(repr(a) for a in dict.fromkeys(answered)) or "nothing"
    raise BackupError(request.host, f"logged in, but no prompt came after answering the "
                                    f"login questions ({shown} answered); is the platform "
                                    f"right?")


def _found_prompt(conn: Any, host: str) -> str:
    """The base prompt, for drivers that prepare nothing (netmiko's `generic`): the
    last line the device shows after a newline, without its final > # $ % ] or :."""
    try:
        prompt = str(conn.find_prompt())
    except Exception:  # noqa: BLE001 - netmiko raises ValueError or ReadTimeout here
        raise BackupError(host, "logged in, but no prompt came back after a newline; "
                                "is the platform right?") from None
    return prompt[:-1] if len(prompt) > 1 and prompt[-1] in ">#$%]:" else prompt


def _enter_enable(conn: Any, request: FetchRequest) -> None:
    try:
        conn.enable()
    except Exception:  # noqa: BLE001 - netmiko raises ValueError or ReadTimeout here
        raise BackupError(request.host, "enable (privileged mode) refused: wrong enable "
                                        "secret in the credential set?") from None
    if not conn.check_enable_mode():
        raise BackupError(request.host, "enable (privileged mode) refused: wrong enable "
                                        "secret in the credential set?")


def _run(conn: Any, command: str, deadline: float, host: str,
         max_bytes: int = DEFAULT_MAX_BYTES, limit: int = 0,
         platform_prompt: re.Pattern[str] | None = None) -> str:
    """Send one command; read until the prompt returns, answering pagers with a space.

    Line ends stay as the device sent them: netmiko would turn the carriage return a
    pager erases itself with into a line break (a blank line in the config), while
    cleaning plays carriage returns the way a terminal does. Only a device that ends
    lines with bare carriage returns gets them turned into line breaks here."""
    normalize = conn.disable_lf_normalization
    conn.disable_lf_normalization = True
    try:
        output = _read_answer(conn, command, deadline, host, max_bytes, limit,
                              platform_prompt)
    finally:
        conn.disable_lf_normalization = normalize
    return output if "\n" in output else output.replace("\r", "\n")


def _read_answer(conn: Any, command: str, deadline: float, host: str,
                 max_bytes: int = DEFAULT_MAX_BYTES, limit: int = 0,
                 platform_prompt: re.Pattern[str] | None = None) -> str:
    """Reads the SSH channel directly, one bounded chunk at a time: netmiko's own
    read_channel() drains a channel until it is momentarily empty (a device that
    streams without pause never lets it return) and logs all it read at debug level.
    More than `max_bytes` of output, or the deadline, ends the session. The answer ends
    at the prompt found at login or, when the profile gives one, at any prompt of the
    platform's shape (a host name changed by the config just applied)."""
    prompt = _prompt_pattern(conn.base_prompt)
    conn.clear_buffer()
    conn.write_channel(command + conn.RETURN)
    reader = _ChannelReader(conn)
    chunks: list[str] = []
    size = 0
    tail = ""
    pages = 0
    echo = command.strip()[:40]
    echoed = not echo
    sent = time.monotonic()

    def ended() -> bool:
        return bool(prompt.search(tail) or (platform_prompt is not None
                                            and platform_prompt.search(tail)))

    while True:
        if time.monotonic() >= deadline:
            raise BackupError(host, _stalled_reason(command, "".join(chunks), pages))
        chunk = reader.read()
        if not chunk:
            if not echoed and chunks and time.monotonic() - sent >= ECHO_WAIT and ended():
                return "".join(chunks)  # a device that does not echo what it is sent
            reader.wait(READ_WAIT if echoed or not chunks
                        else max(0.0, min(READ_WAIT, ECHO_WAIT - (time.monotonic() - sent))))
            continue
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise OutputTooLarge(host, _too_large(command, limit or max_bytes))
        tail = (tail + chunk)[-300:]
        if not echoed:  # only the first few chunks: the echo comes first or never
            so_far = "".join(chunks)
            at = so_far.find(echo, 0, 4096)
            if at >= 0:  # what came before the echo (a late prompt) cannot end the answer
                echoed, tail = True, so_far[at:][-300:]
            elif len(so_far) >= 4096:
                echoed = True  # no echo in the first 4 KiB: this device does not echo
        if ended():
            if not echoed and time.monotonic() - sent < ECHO_WAIT:
                continue
            if not "".join(chunks[-2:]).rstrip().endswith(command.strip()):
                return "".join(chunks)
        # what a device prints at a page break (the profiles' more_prompts) is
        # answered with a space, so paging a platform cannot disable still yields
        # the whole config (and cleaning cuts the prompts out)
        if pager_rules().at_end.search(tail):
            pages += 1
            if pages > MAX_PAGES:
                raise BackupError(host, f"{command!r}: the pager never ended "
                                        f"({MAX_PAGES} pages); output refused")
            conn.write_channel(" ")


class _ChannelReader:
    """Bounded reads from a netmiko connection's paramiko channel, with netmiko's line-feed
    normalisation (a trailing CR waits briefly for its LF) and ANSI stripping when the
    driver asks for it."""

    def __init__(self, conn: Any) -> None:
        import codecs

        self.conn = conn
        self.channel = conn.remote_conn
        self.telnet = hasattr(self.channel, "read_very_eager")  # telnetlib.Telnet
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.carry = ""
        self.quiet_since = time.monotonic()

    def wait(self, most: float) -> None:
        """Until the device sends something (or hangs up), `most` seconds at most: a
        blocking wait on the channel, woken by the data. Polling every READ_PAUSE added
        up to that much to each answer, and 20 workers waking 50 times a second each
        took the interpreter lock from the sessions that had data."""
        if self.carry:  # a CR waiting for its LF: look again soon
            most = min(most, READ_PAUSE)
        try:
            select.select([self.channel], [], [], max(0.0, most))
        except (OSError, ValueError, TypeError, AttributeError):  # no fileno(): a stand-in
            time.sleep(min(most, READ_PAUSE))

    def read(self) -> str:
        text = ""
        if self.telnet:
            data = self.channel.read_very_eager()  # EOFError once the device hung up
            if data:
                text = self.decoder.decode(data)
                self.quiet_since = time.monotonic()
        elif self.channel.recv_ready():
            data = self.channel.recv(READ_CHUNK)
            if not data:
                raise EOFError("the device closed the session")
            text = self.decoder.decode(data)
            self.quiet_since = time.monotonic()
        elif self.channel.closed or self.channel.exit_status_ready() and \
                not self.channel.recv_ready():
            raise EOFError("the device closed the session")
        text = self.carry + text
        self.carry = ""
        if text.endswith("\r") and time.monotonic() - self.quiet_since < 0.5:
            stripped = text.rstrip("\r")
            self.carry, text = text[len(stripped):], stripped
        if not text:
            return ""
        if self.conn.disable_lf_normalization is False:
            text = self.conn.normalize_linefeeds(text)
        if getattr(self.conn, "ansi_escape_codes", False):
            text = self.conn.strip_ansi_escape_codes(text)
        return text


def _too_large(command: str, limit: int) -> str:
    return (f"{command!r}: the device sent more than backup.max_config_bytes ({limit:,} bytes) "
            f"in all; session dropped, output refused")


def _stalled_reason(command: str, output: str, pages: int) -> str:
    if pages:
        return (f"{command!r}: time limit reached while the device kept paging "
                f"({pages} pages, endless pager?); output refused")
    if not output.strip():
        return f"{command!r}: the device sent nothing before the time limit"
    return (f"{command!r}: the device stopped answering mid-output "
            f"({len(output)} bytes received, no prompt by the time limit); output refused")


def _prompt_pattern(base_prompt: str) -> re.Pattern[str]:
    # the prompt comes back as the last line: base prompt, maybe a mode, then > # $ % ] or :
    # (a line that merely contains the hostname, like "hostname sw1", does not count)
    base = base_prompt.strip()
    if not base.strip(">#$%"):
        # a prompt without a name (Cisco FTD's bare "> "): only a line that is nothing but
        # that terminator counts, not any config line that happens to end in ":" or "#"
        return re.compile(r"(?:^|[\r\n])(?:\x1b[\[\]()][0-9;?]*[A-Za-z]?|\x1b[=>78]|[ \t])*"
                          + re.escape(base or ">") + r"[ \t]*$")
    # ("* " before it: Extreme EXOS's mark of unsaved changes; escapes after it: ZyNOS CLI
    # switches save the cursor, "XGS4600# \e7")
    return re.compile(r"(?:^|[\r\n])(?:\x1b[\[\]()][0-9;?]*[A-Za-z]?|\x1b[=>78]|\s)*(?:\* )?[<\[(]?"
                      + re.escape(base_prompt.strip()) + r"[^\r\n]{0,60}[>#$%\]:]\s*"
                      r"(?:\x1b(?:\[[0-9;?]*[A-Za-z]|[=>78]))*\s*$")


def _scp_get(client: paramiko.SSHClient, path: str, deadline: float, host: str,
             max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """One file copied off the device with SCP (we are the sink of `scp -f PATH`): APC
    network cards keep their whole configuration in config.ini, readable only this way."""
    transport = client.get_transport()
    if transport is None:
        raise EOFError("the SSH connection is gone")
    channel = transport.open_session(timeout=_left(deadline, 15))
    try:
        channel.settimeout(_left(deadline, 3600))
        channel.exec_command(f"scp -f {path}")
        channel.sendall(b"\0")
        header = _scp_header(channel, host, path)
        try:
            size = int(header.split(" ")[1])
        except (IndexError, ValueError):
            raise BackupError(host, f"scp {path!r}: unexpected answer {header[:60]!r}") from None
        if size > max_bytes:
            raise OutputTooLarge(host, f"scp {path!r}: {size:,} bytes, more than "
                                       f"backup.max_config_bytes ({max_bytes:,}); refused")
        channel.sendall(b"\0")
        data = bytearray()
        while len(data) < size + 1:  # the file, then the sender's status byte
            chunk = channel.recv(min(READ_CHUNK, size + 1 - len(data)))
            if not chunk:
                raise BackupError(host, f"scp {path!r}: the device stopped after "
                                        f"{len(data):,} of {size:,} bytes; output refused")
            data += chunk
        channel.sendall(b"\0")
        return bytes(data[:size]).decode("utf-8", "replace")
    except socket.timeout:
        raise BackupError(host, f"scp {path!r}: the device stopped answering before the "
                                f"time limit; output refused") from None
    finally:
        channel.close()


def _scp_header(channel: Any, host: str, path: str) -> str:
    """The sender's "C<mode> <size> <name>" line, or its error message as a BackupError."""
    line = bytearray()
    while not line.endswith(b"\n") and len(line) < 4096:
        byte = channel.recv(1)
        if not byte:
            break
        line += byte
    text = line.decode("utf-8", "replace").strip()
    if not text.startswith("C"):
        message = text.lstrip("\x01\x02").strip() or "no answer"
        raise BackupError(host, f"scp {path!r} failed: {message}")
    return text


def _sftp_get(client: paramiko.SSHClient, path: str, deadline: float, host: str,
              budget: int) -> str:
    """A file pulled over SFTP (pfSense/OPNsense /conf/config.xml), at most `budget` bytes."""
    try:
        sftp = client.open_sftp()
    except (paramiko.SSHException, OSError) as exc:
        raise BackupError(host, f"the device offers no SFTP subsystem ({_first_line(exc)}); "
                                f"try transport: scp or exec") from None
    try:
        channel = sftp.get_channel()
        if channel is not None:
            channel.settimeout(_left(deadline, 60))
        try:
            size = sftp.stat(path).st_size or 0
        except FileNotFoundError:
            raise BackupError(host, f"SFTP: no file {path!r} on the device") from None
        except PermissionError:
            raise BackupError(host, f"SFTP: permission denied reading {path!r}; the backup "
                                    f"user needs read access to it") from None
        if size > budget:
            raise OutputTooLarge(host, _too_large(path, budget))
        chunks: list[bytes] = []
        got = 0
        with sftp.open(path, "rb") as handle:
            while True:
                if time.monotonic() > deadline:
                    raise BackupError(host, f"SFTP: {path!r} not read within the time limit")
                data = handle.read(READ_CHUNK)
                if not data:
                    break
                got += len(data)
                if got > budget:  # the file grew while we read it
                    raise OutputTooLarge(host, _too_large(path, budget))
                chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        sftp.close()


def _exec(client: paramiko.SSHClient, command: str, deadline: float, host: str,
          max_bytes: int = DEFAULT_MAX_BYTES, limit: int = 0) -> str:
    stdin, stdout, stderr = client.exec_command(command, timeout=_left(deadline, 3600))
    channel = stdout.channel
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() >= deadline:
            raise BackupError(host, _stalled_reason(command, b"".join(chunks).decode(
                "utf-8", "replace"), 0))
        if channel.recv_ready():
            chunks.append(channel.recv(READ_CHUNK))
            size += len(chunks[-1])
            if size > max_bytes:
                raise OutputTooLarge(host, _too_large(command, limit or max_bytes))
            continue
        if channel.exit_status_ready() and not channel.recv_ready():
            break
        time.sleep(READ_PAUSE)
    status = channel.recv_exit_status()
    if status != 0:
        error = stderr.read(4096).decode("utf-8", "replace").strip()
        raise BackupError(host, f"{command!r} failed with exit status {status}: "
                                f"{_first_line(error) or 'no message'}")
    return b"".join(chunks).decode("utf-8", "replace")


def _cut_off(host: str, deadline: float, exc: BaseException, transport: Any) -> BackupError:
    """Why a session ended early, decided by time, exception type and the SSH transport's
    state (a paramiko "Channel closed." is an SSHException whose transport is gone)."""
    if time.monotonic() >= deadline - 0.5:
        return SessionClosed(host, "time limit reached: the session was cut off")
    closed = any(isinstance(c, (EOFError, OSError)) for c in _cause_chain(exc)) or \
        (isinstance(transport, paramiko.Transport) and not transport.is_active())
    if closed:
        return SessionClosed(host, f"the device closed the session: "
                                   f"{_first_line(exc) or exc.__class__.__name__}")
    return BackupError(host, f"SSH error: {_first_line(exc) or exc.__class__.__name__}")


def _left(deadline: float, cap: float) -> float:
    return max(0.5, min(cap, deadline - time.monotonic()))


def _netmiko_message(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""
