"""`netdoc check --connect`: will tonight's run work? Every problem, not the first.

It resolves every secret (each failure listed), asks each seed device over SNMP
with the credential sets routed to it (those of the device, else of its site),
logs in over SSH to every backup target with its SSH credential sets (the host
key checked against the pinned one, nothing remembered), and checks that the
output folders can be written by the user the service runs as (`netdoc` when it
exists and we are root, else the current user). Traffic goes only to the devices
netdoc.yaml lists, which a run would contact anyway.
"""
from __future__ import annotations

import asyncio
import os
import pwd
import socket
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netdoc.config import Client, Config, CredentialSet
from netdoc.errors import EXIT_DEVICES, EXIT_ENVIRONMENT, EXIT_OK, SecretError
from netdoc.secrets import redact
from netdoc.textsafe import clean

SERVICE_USER = "netdoc"
SSH_TIMEOUT = 10.0


@dataclass
class Problem:
    kind: str      # secret | snmp | ssh | output
    where: str     # client/site/device or the folder
    message: str
    exit: int      # the exit code this problem stands for

    def __str__(self) -> str:
        return f"{self.kind} {self.where}: {self.message}"


@dataclass
class Preflight:
    problems: list[Problem] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return max((p.exit for p in self.problems), default=EXIT_OK)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.problems, "passed": self.passed,
                "problems": [vars(p) for p in self.problems]}


def preflight(config: Config, clients: list[Client], service_user: str | None = None,
              snmp_timeout: float | None = None) -> Preflight:
    result = Preflight()
    check_secrets(config, clients, result)
    _outputs(config, result, service_user)
    for client in clients:
        _snmp(config, client, result, snmp_timeout)
        _ssh(config, client, result)
    return result


# ---------------------------------------------------------------- secrets

def check_secrets(config: Config, clients: list[Client], result: Preflight) -> None:
    """Every credential secret the clients use that does not resolve, each a Problem."""
    used = sorted({name for client in clients for site in client.sites
                   for name in (*site.credentials,
                                *(n for d in site.devices for n in d.credentials))})
    for name in used:
        for secret in config.credentials[name].secrets():
            try:
                secret.reveal()
            except SecretError as exc:
                result.problems.append(Problem("secret", f"credentials.{name}",
                                               f"{secret.key}: {exc}", 2))
    if used:
        result.passed.append(f"{len(used)} credential set(s) resolved"
                             if not any(p.kind == "secret" for p in result.problems)
                             else f"{len(used)} credential set(s) checked")


# ---------------------------------------------------------------- outputs

def _outputs(config: Config, result: Preflight, service_user: str | None) -> None:
    user = service_user if service_user is not None else _default_user()
    uid, gids, label = _identity(user)
    folders = {"output.inventory": config.output.inventory,
               "output.config_backups": config.output.config_backups}
    for key, folder in folders.items():
        problem = writable(folder, uid, gids)
        if problem:
            result.problems.append(Problem("output", str(folder),
                                           f"{key}: {label} {problem}", EXIT_ENVIRONMENT))
        else:
            result.passed.append(f"{key} {folder} writable by {label}")


def _default_user() -> str:
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVICE_USER)
            return SERVICE_USER
        except KeyError:
            pass
    return pwd.getpwuid(os.geteuid()).pw_name


def _identity(user: str) -> tuple[int, set[int], str]:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return os.geteuid(), set(os.getgroups()) | {os.getegid()}, "the current user"
    gids = {entry.pw_gid} | {g for g in os.getgrouplist(user, entry.pw_gid)}
    return entry.pw_uid, gids, f"user {user}"


def writable(folder: Path, uid: int, gids: set[int]) -> str:
    """Why `uid` cannot create or write `folder` ("" when it can), from the mode bits
    of the folder (or of its nearest existing parent) and the search bits above it."""
    folder = folder.absolute()
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return "finds no existing parent folder"
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot create {folder}: {existing} is a file, not a folder"
    if uid == 0:
        return ""  # root writes anywhere ProtectSystem= leaves open
    for parent in reversed(existing.parents):
        if not _allowed(parent, uid, gids, stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
            return f"cannot enter {parent} (mode {_mode(parent)})"
    if not _allowed(existing, uid, gids, stat.S_IWUSR | stat.S_IXUSR,
                    stat.S_IWGRP | stat.S_IXGRP, stat.S_IWOTH | stat.S_IXOTH):
        verb = "write" if existing == folder else f"create {folder} in"
        return f"cannot {verb} {existing} (owner uid {existing.stat().st_uid}, mode " \
               f"{_mode(existing)}); run: chown -R {SERVICE_USER}: {existing}"
    return ""


def _allowed(path: Path, uid: int, gids: set[int], user: int, group: int, other: int) -> bool:
    info = path.stat()
    if info.st_uid == uid:
        return info.st_mode & user == user
    if info.st_gid in gids:
        return info.st_mode & group == group
    return info.st_mode & other == other


def _mode(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


# ---------------------------------------------------------------- SNMP

def _snmp(config: Config, client: Client, result: Preflight, timeout: float | None) -> None:
    from dataclasses import replace

    from netdoc.discover.collectors.snmp import poll_device

    settings = config.discovery.snmp
    if timeout is not None:
        settings = replace(settings, timeout=timeout, retries=0)
    jobs: list[tuple[str, str, int, list[CredentialSet]]] = []
    for site in client.sites:
        for seed in site.devices:
            if seed.exclude:
                continue
            names = seed.credentials or site.credentials
            sets = [config.credentials[n] for n in names if config.credentials[n].snmp
                    and _resolves(config.credentials[n])]  # others: listed as secrets
            where = f"{client.name}/{site.name}/{seed.name or seed.host}"
            if not sets:
                continue  # no SNMP credential routed to it: a run does not ask it either
            jobs.append((where, seed.host, seed.snmp_port, sets))

    async def ask_all() -> list[Any]:
        return await asyncio.gather(*(poll_device(host, port, sets, settings)
                                      for _, host, port, sets in jobs))

    if not jobs:
        return
    polls = asyncio.run(ask_all())
    for (where, host, port, _), poll in zip(jobs, polls):
        if poll.device is None:
            result.problems.append(Problem("snmp", where, f"{host}:{port}: "
                                           f"{clean(redact(str(poll.error)), 500)}",
                                           EXIT_DEVICES))
        else:
            result.passed.append(f"snmp {where}: {host} answers "
                                 f"({clean(poll.device.hostname or '?', 100)})")


def _resolves(credential: CredentialSet) -> bool:
    try:
        for secret in credential.secrets():
            secret.reveal()
    except SecretError:
        return False
    return True


# ---------------------------------------------------------------- SSH

def _ssh(config: Config, client: Client, result: Preflight) -> None:
    from netdoc.backup.hostkeys import HostKeyStore
    from netdoc.backup.state import state_dir
    from netdoc.backup.targets import backup_targets

    keys = HostKeyStore(state_dir(config, client.name))
    targets = [t for t in backup_targets(config, client) if t.ssh_credentials()
               and getattr(t, "transport", "") != "telnet"]  # telnet: not an SSH login
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda t: (t, _login(t, keys)), targets))
    for target, problem in outcomes:
        where = f"{client.name}/{target.path}"
        if problem:
            result.problems.append(Problem("ssh", where, f"{target.host}:{target.port}: "
                                                         f"{problem}", EXIT_DEVICES))
        else:
            result.passed.append(f"ssh {where}: login as a backup would")


def _login(target: Any, keys: Any) -> str:
    """"" when one of the target's SSH credential sets logs in, else why not."""
    import paramiko

    refused = []
    for name, ssh in target.ssh_credentials():
        try:
            password = ssh.password.reveal() if ssh.password is not None else ""
        except SecretError as exc:
            return f"credential set {name}: {exc}"
        try:
            sock = socket.create_connection((target.host, target.port), timeout=SSH_TIMEOUT)
        except OSError as exc:
            return f"no SSH connection ({exc.strerror or exc})"
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = transport.auth_timeout = SSH_TIMEOUT
            transport.start_client(timeout=SSH_TIMEOUT)
            offered = transport.get_remote_server_key()
            known = keys.known(target.host, target.port)
            if known is not None and (known.key_type, known.base64) != \
                    (offered.get_name(), offered.get_base64()):
                return (f"SSH host key CHANGED (remembered {known.fingerprint}); nothing sent. "
                        f"See: netdoc hostkey list")
            try:
                if ssh.key_file:
                    pkey = paramiko.PKey.from_path(ssh.key_file)
                    transport.auth_publickey(ssh.username, pkey)
                else:
                    try:
                        transport.auth_password(ssh.username, password)
                    except paramiko.BadAuthenticationType:
                        transport.auth_interactive(
                            ssh.username, lambda title, text, prompts: [password] * len(prompts))
            except paramiko.AuthenticationException:
                refused.append(name)
                continue
            if transport.is_authenticated():
                return ""
        except (paramiko.SSHException, OSError, EOFError) as exc:
            return f"SSH failed: {clean(redact(str(exc)), 300) or exc.__class__.__name__}"
        finally:
            transport.close()
    return f"login refused for credential set(s) {', '.join(refused)}" if refused else \
        "no SSH credential set"
