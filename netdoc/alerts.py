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
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import asdict
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from netdoc.config import AlertChannel, Client, Config
from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.pipeline import Event
from netdoc.secrets import redact

log = logging.getLogger("netdoc.alerts")

STATE_FILE = "alerts-state.json"
LASTING = {"backup_failing", "backup_stale", "stage_failed"}  # conditions, not one-off events
PENDING_KEPT = 50  # undelivered messages kept per channel
TITLES = {
    "new_device": "New device", "device_gone": "Device gone", "device_returned": "Device back",
    "device_changed": "Device changed", "config_changed": "Config changed",
    "backup_failing": "Backup failing", "backup_stale": "Backup out of date",
    "host_key_changed": "SSH HOST KEY CHANGED", "endpoint_moved": "Endpoint moved",
    "link_changed": "Link changed", "stage_failed": "Stage failed",
}


class Sender(Protocol):
    def __call__(self, channel: AlertChannel, message: dict[str, Any]) -> None: ...


def deliver(config: Config, client: Client, events: list[Event], report: Any) -> list[str]:
    """Send this run's alert-worthy events to the client's channels; return what happened."""
    if not client.alerts:
        return []
    folder = config.inventory_dir(client.name)
    state = read_json(folder / STATE_FILE, {}) or {}
    fresh = select(events, config.alerts.on, config.alerts.backup_failing_after, state)
    outbox: dict[str, list[dict[str, Any]]] = state.setdefault("pending", {})
    if fresh:
        message = compose(client.name, fresh, getattr(report, "status", ""))
        for name in client.alerts:
            outbox.setdefault(name, []).append(message)
    results = []
    for name in client.alerts:
        channel = config.alerts.channels[name]
        queue = outbox.get(name, [])
        while queue:
            try:
                SENDERS[channel.type](channel, queue[0])
            except (OSError, smtplib.SMTPException, urllib.error.URLError, ValueError) as exc:
                reason = redact(str(exc)) or exc.__class__.__name__
                results.append(f"{name}: not delivered ({reason}); {len(queue)} message(s) "
                               f"will be retried next run")
                log.warning("[%s] alert channel %s failed: %s", client.name, name, reason)
                break
            results.append(f"{name}: sent {queue.pop(0)['subject']!r}")
        outbox[name] = queue[-PENDING_KEPT:]
    atomic_write(folder / STATE_FILE, stable_json(state))
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
    if event.kind == "backup_failed" and event.streak >= failing_after:
        return Event("backup_failing", event.device,
                     f"{event.streak} runs in a row: {event.detail}", streak=event.streak)
    return event


def compose(client: str, events: list[Event], status: str) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    headline = ", ".join(f"{n} {TITLES.get(k, k).lower()}" for k, n in sorted(counts.items()))
    lines = []
    for event in events:
        line = f"{TITLES.get(event.kind, event.kind)}: {event.device}"
        lines.append(line + (f" - {event.detail}" if event.detail else ""))
        if event.diff:
            lines.append(_indent(event.diff))
    text = redact("\n".join(lines))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return {"client": client, "subject": redact(f"[netdoc] {client}: {headline}"),
            "text": text, "status": status, "id": digest,
            "events": [json.loads(redact(json.dumps(asdict(e)))) for e in events]}


def _indent(diff: str, limit: int = 60) -> str:
    lines = diff.splitlines()
    shown = lines[:limit] + ([f"... {len(lines) - limit} more lines"] if len(lines) > limit else [])
    return "\n".join("    " + line for line in shown)


# ---------------------------------------------------------------- channels

def send_webhook(channel: AlertChannel, message: dict[str, Any]) -> None:
    if channel.type == "slack":
        body: dict[str, Any] = {"text": f"*{message['subject']}*\n```{message['text']}```"}
    elif channel.type == "teams":
        body = {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"type": "AdaptiveCard", "version": "1.4", "body": [
                {"type": "TextBlock", "text": message["subject"], "weight": "Bolder",
                 "wrap": True},
                {"type": "TextBlock", "text": message["text"], "wrap": True,
                 "fontType": "Monospace"}]}}]}
    else:
        body = {"source": "netdoc", **message}
    assert channel.url is not None
    request = urllib.request.Request(channel.url.reveal(), data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
    with urllib.request.urlopen(request, timeout=15) as response:
        if response.status >= 300:
            raise ValueError(f"webhook answered HTTP {response.status}")


def send_email(channel: AlertChannel, message: dict[str, Any]) -> None:
    mail = EmailMessage()
    mail["Subject"] = message["subject"]
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    mail.set_content(message["text"] + "\n\n-- \nnetdoc\n")
    with smtplib.SMTP(channel.host, channel.port, timeout=20) as smtp:
        if channel.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if channel.username and channel.password is not None:
            smtp.login(channel.username, channel.password.reveal())
        smtp.send_message(mail)


SENDERS: dict[str, Sender] = {"webhook": send_webhook, "slack": send_webhook,
                              "teams": send_webhook, "email": send_email}


def pending(folder: Path) -> dict[str, int]:
    """How many undelivered messages wait per channel (for `netdoc check` and the site)."""
    state = read_json(folder / STATE_FILE, {}) or {}
    return {name: len(queue) for name, queue in state.get("pending", {}).items()}
