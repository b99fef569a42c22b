"""Alerts reach a real SMTP server and a real HTTP server on loopback, once per
condition, and a channel that is down never loses a message or fails the run."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller

from netdoc.app.alerts import deliver
from netdoc.config import parse_config
from netdoc.app.pipeline import Event
from netdoc.secrets import remember_secret


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[list[tuple[str, Any]], int]]:
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Hook.received, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def config_for(tmp_path: Path, smtp_port: int, http_port: int) -> Any:
    text = f"""
alerts:
  channels:
    mail: {{type: email, host: 127.0.0.1, port: {smtp_port}, starttls: false,
            sender: netdoc@probe.example, to: [noc@msp.example]}}
    hook: {{type: webhook, url: "http://127.0.0.1:{http_port}/generic"}}
    slack: {{type: slack, url: "http://127.0.0.1:{http_port}/slack"}}
    teams: {{type: teams, url: "http://127.0.0.1:{http_port}/teams"}}
clients:
  acme:
    alerts: [mail, hook, slack, teams]
    sites: {{hq: {{subnets: [192.0.2.0/24]}}}}
"""
    return parse_config(text, tmp_path / "netdoc.yaml")


NEW_PC = Event("new_device", "192.0.2.77", "192.0.2.77, aa:bb:cc:00:00:77, endpoint")
CONFIG_CHANGE = Event("config_changed", "core-sw", "hq/core-sw.cfg",
                      diff="-interface Gi1/0/5\n- description old\n+ description printer")


def test_events_arrive_by_mail_and_on_every_webhook_format(tmp_path: Path, smtp: Any,
                                                           webhook: Any) -> None:
    (inbox, smtp_port), (received, http_port) = smtp, webhook
    config = config_for(tmp_path, smtp_port, http_port)
    results = deliver(config, config.client("acme"), [NEW_PC, CONFIG_CHANGE], None)
    assert len(results) == 4 and all("sent" in r for r in results)

    (mail,) = inbox.messages
    assert mail["Subject"] == "[netdoc] acme: 1 config changed, 1 new device"
    assert mail["To"] == "noc@msp.example"
    body = mail.get_payload()
    assert "New device: 192.0.2.77" in body and "+ description printer" in body

    by_path = dict(received)
    assert by_path["/generic"]["client"] == "acme"
    assert [e["kind"] for e in by_path["/generic"]["events"]] == ["new_device", "config_changed"]
    assert "New device: 192.0.2.77" in by_path["/slack"]["text"]
    card = by_path["/teams"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "Config changed: core-sw" in json.dumps(card)


def test_a_lasting_failure_is_sent_once_until_it_clears(tmp_path: Path, smtp: Any,
                                                        webhook: Any) -> None:
    (inbox, smtp_port), (_, http_port) = smtp, webhook
    config = config_for(tmp_path, smtp_port, http_port)
    client = config.client("acme")
    failing = [Event("backup_failed", "edge-fw", "login refused", streak=s) for s in (1, 2, 3)]
    deliver(config, client, [failing[0]], None)  # one failure: below the threshold of 2
    deliver(config, client, [failing[1]], None)  # second in a row: alert
    deliver(config, client, [failing[2]], None)  # still failing: no repeat
    assert [m["Subject"] for m in inbox.messages] == ["[netdoc] acme: 1 backup failing"]
    assert "2 runs in a row: login refused" in inbox.messages[0].get_payload()
    deliver(config, client, [], None)  # recovered
    deliver(config, client, [Event("backup_failed", "edge-fw", "timeout", streak=2)], None)
    assert len(inbox.messages) == 2


def test_a_dead_channel_keeps_its_messages_for_the_next_run(tmp_path: Path, smtp: Any,
                                                            webhook: Any) -> None:
    (inbox, smtp_port), (received, http_port) = smtp, webhook
    dead = config_for(tmp_path, 1, http_port)  # nothing listens on port 1
    results = deliver(dead, dead.client("acme"), [NEW_PC], None)
    assert any("mail: not delivered" in r and "retried next run" in r for r in results)
    assert len(received) == 3 and inbox.messages == []
    alive = config_for(tmp_path, smtp_port, http_port)
    deliver(alive, alive.client("acme"), [], None)
    assert [m["Subject"] for m in inbox.messages] == ["[netdoc] acme: 1 new device"]
    assert len(received) == 3  # the webhooks had it already: not sent twice


def test_known_secrets_never_reach_an_alert(tmp_path: Path, smtp: Any, webhook: Any) -> None:
    (inbox, smtp_port), (received, http_port) = smtp, webhook
    remember_secret("Plant3dSecret!")
    config = config_for(tmp_path, smtp_port, http_port)
    leak = Event("stage_failed", "-", "backup: login with Plant3dSecret! refused")
    deliver(config, config.client("acme"), [leak], None)
    assert "Plant3dSecret!" not in inbox.messages[0].as_string()
    assert all("Plant3dSecret!" not in json.dumps(body) for _, body in received)
