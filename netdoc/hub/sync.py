"""`netdoc hub sync`: clone or fetch every client's repositories into the mirror.

    mirror/<client>/inventory.git    bare mirror (main, netdoc-site)
    mirror/<client>/configs.git      bare mirror (main)
    mirror/sync.json                 what the last sync did, per repository

The clients come from hub.yaml `clients:`, else from the server: gitolite's `info`
command over ssh lists the repositories the hub's key may read; for a local
template (a folder of bare repositories) the folder is listed. A repository that
fails (missing, refused, server down) fails alone; the others are synced.
"""
from __future__ import annotations

import logging
import re
import shlex
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from netdoc.hub.central import REPOS, masked_url, remote_url, scrub
from netdoc.gitstore import git_env, run_git, ssh_command
from netdoc.fsutil import atomic_write, stable_json
from netdoc.hub.settings import HubError, HubSettings, valid_client

log = logging.getLogger("netdoc.hub")
WORKERS = 4


@dataclass
class SyncResult:
    client: str
    repo: str
    ok: bool
    action: str = ""   # cloned | fetched
    error: str = ""
    seconds: float = 0.0


def list_clients(hub: HubSettings) -> list[str]:
    if hub.clients:
        return sorted(hub.clients)
    template = hub.remote
    if "://" in template and not template.startswith("file://") or \
            re.match(r"^[^/:]+@[^/:]+:", template):
        return _gitolite_clients(hub)
    return _folder_clients(template)


def _folder_clients(template: str) -> list[str]:
    """Clients of a local template (/srv/git/{client}/{repo}.git): whatever folder has
    one of the two repositories."""
    path = template[len("file://"):] if template.startswith("file://") else template
    pattern = re.compile("^" + re.escape(path).replace(r"\{client\}", "(?P<client>[^/]+)")
                         .replace(r"\{repo\}", "(?:" + "|".join(REPOS) + ")") + "$")
    head = path.split("{client}", 1)[0]
    base = Path(head) if head.endswith("/") else Path(head).parent
    found = set()
    if base.is_dir():
        for candidate in base.rglob("*"):
            match = pattern.match(str(candidate))
            if match and valid_client(match.group("client")):
                found.add(match.group("client"))
    return sorted(found)


def ssh_target(template: str) -> tuple[str, list[str], str]:
    """(user@host, extra ssh options, repository path template) of an ssh remote."""
    if "://" in template:
        parts = urlsplit(template.replace("{client}", "CLIENT").replace("{repo}", "REPO"))
        host = f"{parts.username}@{parts.hostname}" if parts.username else str(parts.hostname)
        options = ["-p", str(parts.port)] if parts.port else []
        path = parts.path.lstrip("/")
    else:
        host, _, path = template.replace("{client}", "CLIENT").replace("{repo}", "REPO") \
            .partition(":")
        options = []
    return host, options, path.replace("CLIENT", "{client}").replace("REPO", "{repo}")


def _gitolite_clients(hub: HubSettings) -> list[str]:
    host, options, path = ssh_target(hub.remote)
    command = shlex.split(ssh_command(hub.ssh_key, hub.known_hosts)) + options + [host, "info"]
    try:
        done = subprocess.run(command, capture_output=True,
                              text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HubError(f"cannot list the repositories on {host}: {exc}; list the clients "
                       f"in hub.yaml (clients:) instead") from None
    if done.returncode != 0:
        raise HubError(f"cannot list the repositories on {host} (ssh {host} info): "
                       f"{(done.stderr.strip().splitlines() or ['exit ' + str(done.returncode)])[-1]}")
    return parse_gitolite_info(done.stdout, path)


def parse_gitolite_info(text: str, path_template: str) -> list[str]:
    """Clients in gitolite's `info` answer (' R W\\tacme/inventory') whose repository
    names fit the template's path ({client}/{repo}, .git optional)."""
    path = path_template[:-4] if path_template.endswith(".git") else path_template
    pattern = re.compile("^" + re.escape(path).replace(r"\{client\}", "(?P<client>[^/]+)")
                         .replace(r"\{repo\}", "(?:" + "|".join(REPOS) + ")") + "(?:\\.git)?$")
    found = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] in ("R", "@R", "@C", "C") or \
                line.startswith((" R", " @R")):
            match = pattern.match(fields[-1])
            if match and valid_client(match.group("client")):
                found.add(match.group("client"))
    return sorted(found)


def sync(hub: HubSettings, clients: list[str] | None = None) -> list[SyncResult]:
    chosen = clients if clients is not None else list_clients(hub)
    hub.mirror.mkdir(parents=True, exist_ok=True, mode=0o700)
    ssh = ssh_command(hub.ssh_key, hub.known_hosts)
    jobs = [(client, repo) for client in chosen if valid_client(client) for repo in REPOS]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda job: _sync_one(hub, ssh, *job), jobs))
    atomic_write(hub.mirror / "sync.json", stable_json({
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "repositories": [asdict(r) for r in results]}), mode=0o600)
    return results


def _sync_one(hub: HubSettings, ssh: str, client: str, repo: str) -> SyncResult:
    started = time.monotonic()
    url = remote_url(hub.remote, client, repo)
    dest = hub.mirror / client / f"{repo}.git"
    env = git_env(ssh)
    result = SyncResult(client=client, repo=repo, ok=False)
    if (dest / "HEAD").is_file():
        result.action = "fetched"
        run_git(["remote", "set-url", "origin", url], cwd=dest, env=env, timeout=30)
        code, _, err = run_git(["fetch", "--prune", "--quiet", "origin",
                                "+refs/heads/*:refs/heads/*"], cwd=dest, env=env,
                               timeout=hub.timeout)
    else:
        result.action = "cloned"
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        code, _, err = run_git(["clone", "--mirror", "--quiet", url, str(dest)], env=env,
                               timeout=hub.timeout)
    result.ok = code == 0
    if not result.ok:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        reason = next((line for line in lines if line.startswith(("FATAL", "fatal:"))),
                      lines[-1] if lines else f"no answer within {hub.timeout:g} s")
        result.error = scrub(f"{result.action[:-2] if result.action == 'cloned' else 'fetch'} "
                             f"{masked_url(url)}: {reason}", url)
        log.warning("[%s] %s", client, result.error)
    result.seconds = round(time.monotonic() - started, 3)
    return result
