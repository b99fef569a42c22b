"""Backing up one device: log in, fetch, clean, mask, check. Never raises for device trouble.

Runs in a worker thread (of the run's process or of a worker process); everything it needs comes in a `DeviceJob`, everything
it found goes out in a `DeviceResult` (a config, or the reason there is none).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from netdoc.backup.clean import IncompleteOutput, apply_recipe, check_complete, terminal_text
from netdoc.backup.platforms import Plan, plan_for
from netdoc.backup.secrets import mask_secrets
from netdoc.backup.targets import BackupTarget, safe_name
from netdoc.backup.transport import ConfigSource, FetchRequest, HostKey, LoginFailed, RawFetch
from netdoc.errors import BackupError, HostKeyChanged, NetdocError, SecretError
from netdoc.fsutil import atomic_write
from netdoc.platforms import BackupRecipe
from netdoc.secrets import redact
from netdoc.textsafe import clean

log = logging.getLogger("netdoc.backup")
TRACE_DIR: Path | None = None  # --trace-device DIR: masked transcripts of device I/O


class HostKeys(Protocol):
    """What a device's backup needs of the client's host keys: the HostKeyStore in the
    parent process, a per-device view in a worker process (netdoc.backup.pool)."""

    def known(self, host: str, port: int) -> HostKey | None: ...

    def remember(self, host: str, port: int, key: HostKey) -> None: ...

    def park(self, host: str, port: int, offered: HostKey) -> None: ...


@dataclass
class DeviceJob:
    target: BackupTarget
    source: ConfigSource
    host_keys: HostKeys
    timeout: float
    shrink_limit: float
    mask_key: bytes | None            # None: `secrets: keep`
    last_good: str | None = None      # the stored config, for the shrink check
    detected_platform: str = ""       # remembered from an earlier autodetection
    default_variants: dict[str, str] = field(default_factory=dict)
    trace_key: bytes | None = None    # masks --trace-device transcripts (even with keep)
    credential: str = ""              # the credential set that worked last time
    max_bytes: int = 32 * 1024 * 1024  # backup.max_config_bytes
    hold: str = ""                    # why nothing may be sent (identity conflict)

    @property
    def needs_detection(self) -> bool:
        return not (self.target.platform or self.detected_platform)

    @property
    def budget(self) -> float:
        """Seconds the device may take in all: autodetection gets its own timeout."""
        return self.timeout * (2 if self.needs_detection else 1)


@dataclass
class DeviceResult:
    target: BackupTarget
    config: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    detected_platform: str = ""
    seconds: float = 0.0
    host_key_changed: bool = False
    credential_note: str = ""         # set when the remembered credential set was refused

    @property
    def ok(self) -> bool:
        return not self.error


def backup_device(job: DeviceJob) -> DeviceResult:
    started = time.monotonic()
    deadline = started + job.timeout
    result = DeviceResult(target=job.target, detected_platform=job.detected_platform)
    try:
        _backup(job, deadline, result)
    except NetdocError as exc:
        result.error = getattr(exc, "reason", None) or str(exc)
        result.host_key_changed = isinstance(exc, HostKeyChanged)
    except Exception as exc:  # noqa: BLE001 - one device's surprise must not stop the others
        log.exception("%s: unexpected error", job.target.label)
        result.error = f"unexpected error ({exc.__class__.__name__}: {exc}); please report it"
    if result.error:  # it may quote the device: terminal- and markup-safe from here on
        result.error = clean(result.error, 1000)
        result.config, result.metadata = "", {}
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _backup(job: DeviceJob, deadline: float, result: DeviceResult) -> None:
    target = job.target
    if job.hold:
        raise BackupError(target.host, job.hold)
    credentials = _ordered(job, target.ssh_credentials())
    if not credentials:
        raise BackupError(target.host, "no SSH credentials: list a credential set with an ssh: "
                                       "part under the site's or the device's credentials")
    platform = target.platform or job.detected_platform
    if not platform:
        platform = _autodetect(job, credentials, deadline)
        result.detected_platform = platform
        deadline = time.monotonic() + job.timeout  # detection had its own budget
    plan = plan_for(target.host, platform, job.default_variants)
    raw, used = _fetch(job, plan, credentials, deadline)
    if TRACE_DIR is not None:
        _trace(job, plan, raw)
    if job.credential and used != job.credential:
        result.credential_note = (f"remembered credential set {job.credential!r} was refused; "
                                  f"{used!r} worked and is remembered now")
    config = _config_text(raw, plan.recipe)
    if job.mask_key is not None:
        config = mask_secrets(config, plan.recipe, job.mask_key)
    try:
        check_complete(config, plan.recipe, job.last_good, job.shrink_limit)
    except IncompleteOutput as exc:
        raise BackupError(target.host, f"{exc}; the last good backup is kept") from None
    result.config = config
    result.metadata = _metadata(target, plan, raw, used, bool(result.detected_platform
                                                               or job.detected_platform))


def _ordered(job: DeviceJob, credentials: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The remembered credential set first; the others follow and are offered only when
    it is refused (the loops below stop at the first set that logs in)."""
    remembered = [c for c in credentials if c[0] == job.credential]
    return remembered + [c for c in credentials if c[0] != job.credential]


def _autodetect(job: DeviceJob, credentials: list[tuple[str, Any]], deadline: float) -> str:
    target = job.target
    for name, ssh in credentials:
        request = FetchRequest(host=target.host, port=target.port, device_type="autodetect",
                               username=ssh.username,
                               password=_reveal(ssh.password, target.host, name),
                               key_file=ssh.key_file,
                               known_key=job.host_keys.known(target.host, target.port),
                               max_bytes=job.max_bytes)
        try:
            found, key = job.source.detect(request, deadline)
        except LoginFailed:
            continue
        except HostKeyChanged as exc:
            raise _park(job, exc) from None
        if key is not None:
            job.host_keys.remember(target.host, target.port, key)
        if not found:
            raise BackupError(target.host, "platform unknown and netmiko's SSH autodetection "
                                           "did not recognise the device; set platform: for it "
                                           "in netdoc.yaml")
        log.info("%s: autodetected platform %s", target.label, found)
        return found
    raise BackupError(target.host, _login_refused(credentials))


def _fetch(job: DeviceJob, plan: Plan, credentials: list[tuple[str, Any]],
           deadline: float) -> tuple[RawFetch, str]:
    target, recipe = job.target, plan.recipe
    for name, ssh in credentials:
        request = FetchRequest(
            host=target.host, port=target.port, device_type=plan.driver,
            username=ssh.username, password=_reveal(ssh.password, target.host, name),
            enable_secret=_reveal(ssh.enable, target.host, name),
            key_file=ssh.key_file,
            # a command that gives both facts and config runs once
            commands=tuple(dict.fromkeys(recipe.facts_commands + recipe.commands)),
            enable=recipe.enable, transport=target.transport or recipe.transport,
            login=recipe.login,
            prompt=recipe.prompt,
            known_key=job.host_keys.known(target.host, target.port), max_bytes=job.max_bytes)
        try:
            raw = job.source.fetch(request, deadline)
        except LoginFailed:
            log.debug("%s: credential set %s refused", target.label, name)
            continue
        except HostKeyChanged as exc:
            raise _park(job, exc) from None
        if raw.host_key is not None:
            job.host_keys.remember(target.host, target.port, raw.host_key)
        return raw, name
    raise BackupError(target.host, _login_refused(credentials))


def _trace(job: DeviceJob, plan: Plan, raw: RawFetch) -> None:
    """--trace-device DIR: what the device sent, command by command, secrets masked
    (`<DIR>/<client>/<site>/<device>.txt`, owner-only). Never a log line."""
    assert TRACE_DIR is not None
    key = job.trace_key or job.mask_key
    parts = []
    for command, output in raw.outputs.items():
        text = output if key is None else mask_secrets(output, plan.recipe, key)
        parts.append(f"### {clean(command, 200)}\n{redact(text)}\n")
    if key is None:
        parts = ["(no masking key: transcript withheld)\n"]
    target = TRACE_DIR / safe_name(job.target.client) / f"{job.target.path}.txt"
    try:
        atomic_write(target, "".join(parts), mode=0o600)
    except NetdocError as exc:
        log.warning("%s: cannot write the device trace: %s", job.target.label, exc)


def _config_text(raw: RawFetch, recipe: BackupRecipe) -> str:
    parts = [apply_recipe(terminal_text(raw.outputs.get(command, ""), command, raw.prompt),
                          recipe) for command in recipe.commands]
    return "".join(part for part in parts if part)


def _metadata(target: BackupTarget, plan: Plan, raw: RawFetch, credential: str,
              autodetected: bool) -> dict[str, Any]:
    facts_text = "\n".join(terminal_text(raw.outputs.get(c, ""), c, raw.prompt)
                           for c in plan.recipe.facts_commands)
    found = {}
    for key, pattern in plan.recipe.facts.items():
        match = pattern.search(facts_text)
        if match:
            found[key] = next((g for g in match.groups() if g), match.group(0)).strip()
    device = target.device
    meta: dict[str, Any] = {
        "name": target.name, "site": target.site, "host": target.host,
        "platform": plan.platform, "vendor": plan.profile.vendor, "os": plan.profile.os,
        "driver": {"cli": plan.driver, "scp": "scp", "sftp": "sftp",
                   "telnet": f"{plan.driver} over telnet"}.get(
            target.transport or plan.recipe.transport, "ssh exec"),
        "commands": list(plan.recipe.commands),
        "credential_set": credential,
    }
    for key in ("version", "model", "serial"):
        value = found.get(key) or (getattr(device, key, "") if device else "")
        if value:
            meta[key] = value
    for key, value in sorted(found.items()):
        meta.setdefault(key, value)
    if autodetected:
        meta["autodetected"] = True
    return meta


def _park(job: DeviceJob, exc: HostKeyChanged) -> HostKeyChanged:
    """Park the offered key; the error names the exact command that accepts it."""
    target = job.target
    offered: HostKey | None = getattr(exc, "offered", None)
    if offered is not None:
        job.host_keys.park(target.host, target.port, offered)
    known = job.host_keys.known(target.host, target.port)
    error = HostKeyChanged(target.host, (
        f"SSH host key CHANGED (possible man-in-the-middle): remembered "
        f"{known.fingerprint if known else '?'}, device offered "
        f"{offered.fingerprint if offered else '?'}. Nothing was sent to it. If the change "
        f"is expected (device replaced or re-keyed), accept it with: "
        f"netdoc hostkey accept {target.client} {target.path}"))
    error.offered = offered  # type: ignore[attr-defined]
    return error


def _reveal(secret: Any, host: str, credential: str) -> str:
    if secret is None:
        return ""
    try:
        return str(secret.reveal())
    except SecretError as exc:
        raise BackupError(host, f"credential set {credential!r}: {exc}") from None


def _login_refused(credentials: list[tuple[str, Any]]) -> str:
    names = ", ".join(f"{name} (user {ssh.username})" for name, ssh in credentials)
    return f"login refused with every credential set tried: {names}; check username/password"
