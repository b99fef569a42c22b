"""hub.yaml: where the central server is and where the hub keeps its mirror.

    remote: "ssh://git@hub.example/{client}/{repo}"   # the probes' central.remote template
    mirror: mirror                  # local mirror of every client's repositories
    clients: [acme, globex]         # optional; default: listed by the server (gitolite info)
    ssh_key: ~/.ssh/hub_ed25519     # optional: the hub's key (read access to every client)
    known_hosts: known_hosts        # optional: the server's host key
    stale_after_hours: 26           # a probe whose last push is older is flagged
    admin: "ssh://git@hub.example/gitolite-admin"   # for `netdoc hub access`
    admin_clone: gitolite-admin     # where the admin repository is cloned
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netdoc.errors import NetdocError

SEARCH_PATH = (Path("hub.yaml"), Path("/etc/netdoc/hub.yaml"))
CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class HubError(NetdocError):
    """The hub could not sync, build or change access."""


@dataclass(frozen=True)
class HubSettings:
    path: Path
    remote: str
    mirror: Path
    clients: tuple[str, ...] = ()
    ssh_key: str = ""
    known_hosts: str = ""
    stale_after_hours: float = 26.0
    admin: str = ""
    admin_clone: Path | None = None
    timeout: float = 300.0  # seconds for one repository's clone or fetch


def valid_client(name: str) -> bool:
    return bool(CLIENT_NAME.match(name)) and ".." not in name


def load_hub(explicit: str | os.PathLike[str] | None = None, **overrides: Any) -> HubSettings:
    path = Path(explicit) if explicit else next((p for p in SEARCH_PATH if p.is_file()), None)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise HubError(f"{path}: cannot read the hub configuration: "
                           f"{str(exc).splitlines()[0]}") from None
        if not isinstance(data, dict):
            raise HubError(f"{path}: expected a mapping (remote:, mirror:, ...)")
        allowed = {"remote", "mirror", "clients", "ssh_key", "known_hosts",
                   "stale_after_hours", "admin", "admin_clone", "timeout"}
        unknown = sorted(set(map(str, data)) - allowed)
        if unknown:
            raise HubError(f"{path}: unknown key(s) {', '.join(unknown)}; valid: "
                           f"{', '.join(sorted(allowed))}")
    data.update({k: v for k, v in overrides.items() if v not in (None, "", ())})
    base = path.resolve().parent if path is not None else Path.cwd()
    where = str(path or "hub settings")

    def folder(value: Any, default: str) -> Path:
        chosen = Path(str(value or default)).expanduser()
        return chosen if chosen.is_absolute() else base / chosen

    remote = str(data.get("remote") or "")
    if "{client}" not in remote or "{repo}" not in remote:
        raise HubError(f"{where}: remote must be the probes' template with {{client}} and "
                       f"{{repo}}, e.g. ssh://git@hub/{{client}}/{{repo}}")
    clients = tuple(str(c) for c in (data.get("clients") or []))
    for name in clients:
        if not valid_client(name):
            raise HubError(f"{where}: clients: invalid client name {name!r}")
    try:
        stale = float(data.get("stale_after_hours", 26))
        timeout = float(data.get("timeout", 300))
    except (TypeError, ValueError):
        raise HubError(f"{where}: stale_after_hours and timeout are numbers") from None
    key = str(data.get("ssh_key") or "")
    hosts = str(data.get("known_hosts") or "")
    return HubSettings(
        path=path or Path("hub.yaml"), remote=remote, mirror=folder(data.get("mirror"), "mirror"),
        clients=clients, ssh_key=str(folder(key, "")) if key else "",
        known_hosts=str(folder(hosts, "")) if hosts else "", stale_after_hours=stale,
        admin=str(data.get("admin") or ""),
        admin_clone=folder(data.get("admin_clone"), "gitolite-admin"), timeout=timeout)
