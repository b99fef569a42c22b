"""Alert endpoints that misbehave, and device names that try to speak chat markup.

A webhook answering garbage or dripping its answer byte by byte fails alone,
within alerts.timeout, and the other channels, clients and the run report go on.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from netdoc.app.alerts import deliver
from netdoc.config import parse_config
from netdoc.app.pipeline import Event


class Received(BaseHTTPRequestHandler):
    bodies: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Received.bodies.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def good_hook() -> Iterator[int]:
    Received.bodies = []
    server = HTTPServer(("127.0.0.1", 0), Received)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def raw_server(answer: Callable[[socket.socket], None]) -> tuple[int, Callable[[], None]]:
    """A TCP server on loopback that reads the request and answers with `answer`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    answer(conn)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def close() -> None:
        stop.set()
        thread.join(5)
        listener.close()

    return listener.getsockname()[1], close


def garbage(conn: socket.socket) -> None:
    conn.sendall(b"\x00\x01 this is not HTTP at all\r\n\r\n")


def slow_drip(conn: socket.socket) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000:
        conn.sendall(bytes([byte]))
        time.sleep(0.25)


def config(tmp_path: Path, channels: dict[str, str], timeout: float = 2.0) -> Any:
    lines = "\n".join(f"    {name}: {body}" for name, body in channels.items())
    text = f"""
alerts:
  timeout: {timeout}
  channels:
{lines}
clients:
  acme:
    alerts: [{", ".join(channels)}]
    sites: {{hq: {{subnets: [192.0.2.0/24]}}}}
output: {{inventory: {tmp_path}/inv, config_backups: {tmp_path}/cb}}
"""
    return parse_config(text, tmp_path / "netdoc.yaml")


EVENT = [Event("new_device", "pc-77", "192.0.2.77")]


@pytest.mark.parametrize("misbehaviour", [garbage, slow_drip])
def test_a_misbehaving_webhook_fails_alone_within_the_time_limit(
        tmp_path: Path, good_hook: int, misbehaviour: Callable[[socket.socket], None]) -> None:
    port, close = raw_server(misbehaviour)
    try:
        cfg = config(tmp_path, {"bad": f'{{type: webhook, url: "http://127.0.0.1:{port}/x"}}',
                                "good": f'{{type: webhook, url: "http://127.0.0.1:{good_hook}/y"}}'})
        started = time.monotonic()
        results = deliver(cfg, cfg.client("acme"), EVENT, None)
        seconds = time.monotonic() - started
    finally:
        close()
    assert seconds < 15, f"the run waited {seconds:.1f} s for one channel"
    assert results[0].startswith("bad: not delivered") and "retried next run" in results[0]
    assert results[1].startswith("good: sent"), results
    assert [path for path, _ in Received.bodies] == ["/y"]


def test_device_names_cannot_mention_channels_or_plant_links(tmp_path: Path,
                                                             good_hook: int) -> None:
    cfg = config(tmp_path, {"slack": f'{{type: slack, url: "http://127.0.0.1:{good_hook}/s"}}',
                            "teams": f'{{type: teams, url: "http://127.0.0.1:{good_hook}/t"}}'})
    evil = [Event("new_device", "<!channel> <https://evil.example|click me> [login](https://"
                  "evil.example) <at>boss</at>\x1b[31m", "192.0.2.66\x07")]
    deliver(cfg, cfg.client("acme"), evil, None)
    bodies = dict(Received.bodies)
    slack = bodies["/s"]["text"]
    assert "<!channel>" not in slack and "<https://evil" not in slack and "&lt;!channel&gt;" in slack
    teams = json.dumps(bodies["/t"])
    assert "[login](https" not in teams and "<at>" not in teams
    assert "\\u001b" not in teams and "\\u0007" not in teams and "\x1b" not in slack


def test_smtp_login_without_tls_and_plaintext_url_tokens_are_warned_about(
        tmp_path: Path) -> None:
    cfg = config(tmp_path, {
        "mail": "{type: email, host: 127.0.0.1, port: 25, starttls: false, username: netdoc, "
                "password: 'env:PW', sender: a@probe.example, to: [noc@msp.example]}",
        "chat": '{type: slack, url: "https://hooks.slack.example/services/T000/B000/'
                'XXXXsecret12345678"}'})
    assert any("mail" in w and "without TLS" in w for w in cfg.warnings)
    assert any("chat.url" in w and "plaintext token" in w for w in cfg.warnings)



def test_a_silent_smtp_server_fails_alone_within_the_time_limit(tmp_path: Path,
                                                                good_hook: int) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # accepts connections (the kernel does), never says a word
    try:
        port = listener.getsockname()[1]
        cfg = config(tmp_path, {
            "mail": f"{{type: email, host: 127.0.0.1, port: {port}, starttls: true, "
                    f"sender: a@probe.example, to: [noc@msp.example]}}",
            "good": f'{{type: webhook, url: "http://127.0.0.1:{good_hook}/y"}}'})
        started = time.monotonic()
        results = deliver(cfg, cfg.client("acme"), EVENT, None)
        seconds = time.monotonic() - started
    finally:
        listener.close()
    assert seconds < 15 and results[0].startswith("mail: not delivered"), results
    assert results[1].startswith("good: sent")
