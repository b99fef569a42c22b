"""Alerts: after a run, tell the MSP what changed or broke, before the client calls.

Channels: a generic JSON webhook, Slack and Microsoft Teams incoming webhooks,
and e-mail over SMTP (STARTTLS, login). What triggers an alert is
`alerts.on` in netdoc.yaml.

Deduplication: a lasting condition (a backup failing run after run, a stage
that keeps failing) is sent once when it starts and again only after it has
cleared and come back. A channel that fails never fails the run: its messages
wait in the client's alerts-state.json and are retried next run.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import logging
import smtplib
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from dataclasses import asdict
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Protocol

from netdoc.config import AlertChannel, Client, Config
from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.models import Event, EventKind
from netdoc.secrets import redact
from netdoc.textsafe import clean, clean_block, slack_escape, teams_escape
from netdoc.workspace import ALERTS_STATE, Workspace

log = logging.getLogger("netdoc.app.alerts")

STATE_FILE = ALERTS_STATE
# conditions, not one-off events
LASTING = {EventKind.BACKUP_FAILING, EventKind.BACKUP_STALE, EventKind.STAGE_FAILED}
PENDING_KEPT = 50  # undelivered messages kept per channel
DEFAULT_TIMEOUT = 30.0  # seconds one delivery may take in all (alerts.timeout)
SOCKET_TIMEOUT = 15.0   # seconds of silence on a socket
TITLES: dict[str, str] = {
    EventKind.NEW_DEVICE: "New device", EventKind.DEVICE_GONE: "Device gone",
    EventKind.DEVICE_RETURNED: "Device back", EventKind.DEVICE_CHANGED: "Device changed",
    EventKind.CONFIG_CHANGED: "Config changed", EventKind.BACKUP_FAILING: "Backup failing",
    EventKind.BACKUP_STALE: "Backup out of date",
    EventKind.HOST_KEY_CHANGED: "SSH HOST KEY CHANGED",
    EventKind.ENDPOINT_MOVED: "Endpoint moved", EventKind.LINK_CHANGED: "Link changed",
    EventKind.STAGE_FAILED: "Stage failed",
}


class Sender(Protocol):
    def __call__(self, channel: AlertChannel, message: dict[str, Any],
                 closers: list[Any] | None = None) -> None: ...


def deliver(config: Config, client: Client, events: list[Event], report: Any,
            send: bool = True) -> list[str]:
    """Send this run's alert-worthy events to the client's channels; return what happened.
    With send=False (a run being stopped) they are only queued for the next run."""
    if not client.alerts:
        return []
    state_file = Workspace.of(config, client.name).alerts_state
    state = read_json(state_file, {}) or {}
    fresh = select(events, config.alerts.on, config.alerts.backup_failing_after, state)
    outbox: dict[str, list[dict[str, Any]]] = state.setdefault("pending", {})
    if fresh:
        message = compose(client.name, fresh, getattr(report, "status", ""))
        for name in client.alerts:
            outbox.setdefault(name, []).append(message)
    results = []
    limit = float(getattr(config.alerts, "timeout", DEFAULT_TIMEOUT))
    for name in client.alerts:
        channel = config.alerts.channels[name]
        queue = outbox.get(name, [])
        if queue and not send:
            results.append(f"{name}: {len(queue)} message(s) queued for the next run")
        while queue and send:
            try:
                within(limit, lambda closers: SENDERS[channel.type](channel, queue[0], closers))
            except Exception as exc:  # noqa: BLE001 - one channel's trouble, whatever it is,
                # must not stop the other channels, the other clients or the run report
                reason = clean(redact(str(exc)) or exc.__class__.__name__, 300)
                results.append(f"{name}: not delivered ({reason}); {len(queue)} message(s) "
                               f"will be retried next run")
                log.warning("[%s] alert channel %s failed: %s", client.name, name, reason)
                break
            results.append(f"{name}: sent {queue.pop(0)['subject']!r}")
        outbox[name] = queue[-PENDING_KEPT:]
    atomic_write(state_file, stable_json(state))
    return results


def select(events: list[Event], wanted: tuple[str, ...], failing_after: int,
           state: dict[str, Any]) -> list[Event]:
    """The events worth a message this run, with lasting conditions sent only once."""
    chosen: list[Event] = []
    active_now: dict[str, str] = {}
    was_active: dict[str, str] = state.get("active", {})
    for event in events:
        event = _promote(event, failing_after)
        if event.kind not in wanted:
            continue
        if event.kind in LASTING:
            key = f"{event.kind}|{event.device}"
            active_now[key] = event.detail
            if key in was_active:
                continue
        chosen.append(event)
    state["active"] = active_now
    return chosen


def _promote(event: Event, failing_after: int) -> Event:
    """A failed backup becomes 'backup_failing' once it has failed enough runs in a row."""
    if event.kind == EventKind.BACKUP_FAILED and event.streak >= failing_after:
        return Event(EventKind.BACKUP_FAILING, event.device,
                     f"{event.streak} runs in a row: {event.detail}", streak=event.streak)
    return event


def compose(client: str, events: list[Event], status: str) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    headline = ", ".join(f"{n} {TITLES.get(k, k).lower()}" for k, n in sorted(counts.items()))
    events = [Event(kind=e.kind, device=clean(e.device, 255), detail=clean(e.detail, 2000),
                    diff=clean_block(e.diff, 200_000), streak=e.streak,
                    facts_changes=[clean(c, 500) for c in e.facts_changes[:100]])
              for e in events]
    lines = []
    for event in events:
        line = f"{TITLES.get(event.kind, event.kind)}: {event.device}"
        lines.append(line + (f" - {event.detail}" if event.detail else ""))
        lines += [f"  * {change}" for change in event.facts_changes]   # plain words first
        if event.diff:
            lines.append(_indent(event.diff))
    text = redact("\n".join(lines))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return {"client": client, "subject": clean(redact(f"[netdoc] {client}: {headline}"), 300),
            "text": text, "status": status, "id": digest,
            "events": [json.loads(redact(json.dumps(asdict(e)))) for e in events]}


def _indent(diff: str, limit: int = 60) -> str:
    lines = diff.splitlines()
    shown = lines[:limit] + ([f"... {len(lines) - limit} more lines"] if len(lines) > limit else [])
    return "\n".join("    " + line for line in shown)


# ---------------------------------------------------------------- channels

class AlertTimeout(OSError):
    """A channel did not finish within the total time limit (alerts.timeout)."""


Closers = list[Any]  # sockets / connections a sender registers, closed when time is up


def within(seconds: float, send: Callable[[Closers], None]) -> None:
    """Run one delivery with a TOTAL time limit. Socket timeouts alone do not bound a
    server that drips one byte a second; when the limit passes, the connections the
    sender registered are shut down, which ends its blocking reads at once."""
    closers: Closers = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            send(closers)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="netdoc-alert", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        for item in closers:
            _shut(item)
        worker.join(2.0)
        raise AlertTimeout(f"no complete answer within {seconds:g} s (alerts.timeout); "
                           f"connection closed")
    if failure:
        raise failure[0]


def _shut(item: Any) -> None:
    sock = getattr(item, "sock", item)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):
        pass
    try:
        item.close()
    except Exception:  # noqa: BLE001 - closing is best effort
        pass


def webhook_body(channel: AlertChannel, message: dict[str, Any]) -> dict[str, Any]:
    """What each webhook flavour gets. Device names and diffs are text: chat markup in
    them (Slack's <!channel>, <url|label>; Teams' [label](url), <at>) is escaped."""
    if channel.type == "slack":
        return {"text": f"*{slack_escape(message['subject'])}*\n"
                        f"```{slack_escape(message['text'])}```",
                "unfurl_links": False, "unfurl_media": False}
    if channel.type == "teams":
        return {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"type": "AdaptiveCard", "version": "1.4", "body": [
                {"type": "TextBlock", "text": teams_escape(message["subject"]),
                 "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": teams_escape(message["text"]), "wrap": True,
                 "fontType": "Monospace"}]}}]}
    return {"source": "netdoc", **message}


def send_webhook(channel: AlertChannel, message: dict[str, Any],
                 closers: Closers | None = None) -> None:
    assert channel.url is not None
    url = urllib.parse.urlsplit(channel.url.reveal())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"webhook URL must be http:// or https://, not {url.scheme!r}")
    payload = json.dumps(webhook_body(channel, message)).encode()
    conn = _http_connection(url)
    if closers is not None:
        closers.append(conn)
    try:
        target = url.path or "/"
        if url.query:
            target += "?" + url.query
        if getattr(conn, "_netdoc_plain_proxy", False):
            target = urllib.parse.urlunsplit(url._replace(fragment=""))
        conn.request("POST", target, body=payload,
                     headers={"Content-Type": "application/json", "User-Agent": "netdoc"})
        response = conn.getresponse()
        response.read(65536)
        if response.status >= 300:
            raise ValueError(f"webhook answered HTTP {response.status}")
    except http.client.HTTPException as exc:
        raise ValueError(f"webhook sent no valid HTTP answer "
                         f"({exc.__class__.__name__}: {clean(str(exc), 80)})") from None
    finally:
        conn.close()


def _http_connection(url: urllib.parse.SplitResult) -> http.client.HTTPConnection:
    """A connection to the webhook, through the environment's proxy when one is set."""
    host, port = url.hostname or "", url.port
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        conn: http.client.HTTPConnection
        if url.scheme == "https":
            conn = http.client.HTTPSConnection(via.hostname or "", via.port or 3128,
                                               timeout=SOCKET_TIMEOUT,
                                               context=ssl.create_default_context())
            conn.set_tunnel(host, port or 443)
        else:
            conn = http.client.HTTPConnection(via.hostname or "", via.port or 3128,
                                              timeout=SOCKET_TIMEOUT)
            conn._netdoc_plain_proxy = True  # type: ignore[attr-defined]
        return conn
    if url.scheme == "https":
        return http.client.HTTPSConnection(host, port, timeout=SOCKET_TIMEOUT,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(host, port, timeout=SOCKET_TIMEOUT)


def send_email(channel: AlertChannel, message: dict[str, Any],
               closers: Closers | None = None) -> None:
    mail = EmailMessage()
    mail["Subject"] = clean(message["subject"], 300)
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    mail.set_content(clean_block(message["text"]) + "\n\n-- \nnetdoc\n")
    smtp = smtplib.SMTP(timeout=SOCKET_TIMEOUT)
    if closers is not None:
        closers.append(smtp)
    try:
        smtp.connect(channel.host, channel.port)
        if channel.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if channel.username and channel.password is not None:
            smtp.login(channel.username, channel.password.reveal())
        smtp.send_message(mail)
        smtp.quit()
    finally:
        smtp.close()


SENDERS: dict[str, Sender] = {"webhook": send_webhook, "slack": send_webhook,
                              "teams": send_webhook, "email": send_email}


def pending(folder: Path) -> dict[str, int]:
    """How many undelivered messages wait per channel (for `netdoc check` and the site)."""
    state = read_json(Workspace.of_inventory(folder).alerts_state, {}) or {}
    return {name: len(queue) for name, queue in state.get("pending", {}).items()}
