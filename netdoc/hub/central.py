"""Pushing a probe's repositories to the MSP's central git server (the hub).

Every client has two repositories on the probe, and both go to the central server
named by a template in netdoc.yaml:

    central: {remote: "ssh://git@hub/{client}/{repo}"}     # {repo}: inventory | configs

    inventory   branch main         the inventory's own history (devices, topology)
                branch netdoc-site  the rendered site (site/) and status.json: the last
                                    run's report and the backup states, so the hub shows
                                    freshness, failures and stale backups without the probe
                                    (one snapshot commit, replaced each run)
    configs     branch main         the masked configurations

A push is "push HEAD": whatever earlier runs could not push goes with the next one.
A failed push never fails the run; the run report says what happened. Every push
is bounded in time (ssh ConnectTimeout and keep-alives, and a process timeout that
kills git and its ssh child), and no message shows a token from the remote URL.

Nothing secret leaves the probe: vault keys live outside both repositories, the
inventory repository ignores private files, and a client that keeps unmasked
secrets in its config store (`secrets: keep`) does not push its configs at all.

This is the only module that pushes: GitStore.push (netdoc.gitstore; the per-client
`remote:` of the configs) and the central push both call `push_refs`.
"""
from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netdoc.fsutil import stable_json
from netdoc.gitstore import git_env, run_git, ssh_command
from netdoc.secrets import redact
from netdoc.textsafe import clean

if TYPE_CHECKING:
    from netdoc.config import CentralSettings, Client, Config

log = logging.getLogger("netdoc.hub.central")

REPOS = ("inventory", "configs")
SITE_BRANCH = "netdoc-site"
CENTRAL_REMOTE = "central"
DEFAULT_TIMEOUT = 120.0  # seconds for one repository's push, all attempts together
ATTEMPTS = 3


@dataclass
class PushResult:
    repo: str                 # inventory | configs
    remote: str               # the URL, credentials masked
    ok: bool
    reason: str = ""          # why it failed, or why nothing was pushed
    time: str = ""            # when it was attempted (UTC)
    commit: str = ""          # what main pointed at
    skipped: bool = False     # deliberately not pushed (e.g. secrets: keep)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = "skipped" if self.skipped else "ok" if self.ok else "failed"
        return data


# ---------------------------------------------------------------- URLs

def remote_url(template: str, client: str, repo: str) -> str:
    """The remote of one of a client's repositories ({client} and {repo} filled in)."""
    return template.replace("{client}", client).replace("{repo}", repo)


def masked_url(url: str) -> str:
    """A remote URL fit to print: the password/token of `scheme://user:TOKEN@host` (or a
    bare `scheme://TOKEN@host`) replaced by *****. `ssh://git@hub` (a user, no token)
    is left alone."""
    def mask(match: re.Match[str]) -> str:
        who = match.group(2)
        if ":" in who:
            return match.group(1) + who.split(":", 1)[0] + ":*****@"
        if match.group(1).lower().startswith(("ssh", "git+ssh")):
            return match.group(0)  # ssh://git@hub: the user name is not a secret
        return match.group(1) + "*****@"
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@]+)@", mask, url)


def scrub(text: str, url: str) -> str:
    """Remove the URL's credentials from a message (git quotes the URL it used)."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@]+)@", url)
    text = text.replace(url, masked_url(url))
    if match and not (":" not in match.group(2)
                      and match.group(1).lower().startswith(("ssh", "git+ssh"))):
        for secret in {match.group(2), match.group(2).split(":", 1)[-1]}:
            if len(secret) >= 3:
                text = text.replace(secret, "*****")
    return redact(clean(text, 400))


# ---------------------------------------------------------------- running git

def push_refs(folder: Path, url: str, refspecs: list[str], *, remote_name: str = "",
              ssh: str | None = None, attempts: int = ATTEMPTS, pause: float = 1.0,
              timeout: float = DEFAULT_TIMEOUT, per_attempt: bool = False) -> tuple[bool, str]:
    """Push refspecs from the repository in `folder` to `url`; (ok, error).

    With `remote_name`, the URL is stored as that remote (so git keeps remote-tracking
    refs); otherwise git pushes to the URL directly. `timeout` bounds all attempts
    together (or each attempt, with per_attempt). Errors never show the URL's token."""
    shown = masked_url(url)
    env = git_env(ssh)
    target = url
    if remote_name:
        code, out, _ = run_git(["remote"], cwd=folder, env=env, timeout=30)
        names = set(_lines(_decode(out))) if code == 0 else set()
        verb = "set-url" if remote_name in names else "add"
        code, _, err = run_git(["remote", verb, remote_name, url], cwd=folder, env=env,
                               timeout=30)
        if code:
            return False, f"cannot configure remote {shown}: {scrub(err.strip(), url)}"
        target = remote_name
    deadline = time.monotonic() + timeout
    error = ""
    for attempt in range(1, attempts + 1):
        left = timeout if per_attempt else deadline - time.monotonic()
        if left <= 0.5:
            break
        code, _, err = run_git(["push", "--porcelain", target, *refspecs], cwd=folder, env=env,
                               timeout=left)
        if code == 0:
            return True, ""
        if code == -9:
            error = f"no answer within {timeout:g} s; push cut off"
        else:
            error = _reason_of(err, code)
        error = scrub(error, url)
        log.info("push to %s failed (attempt %d/%d): %s", shown, attempt, attempts, error)
        if code == -9 and not per_attempt:
            break
        if attempt < attempts:
            time.sleep(min(pause * attempt, max(deadline - time.monotonic(), 0)))
    return False, f"push to {shown} failed after {attempt} attempt{'s' * (attempt > 1)}: " \
        f"{error}"


def _reason_of(stderr: str, code: int) -> str:
    """The line of git's stderr that says why: the server's own refusal (gitolite's
    FATAL, a rejected ref) before git's generic 'Could not read from remote'."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for prefixes in (("FATAL", "remote: FATAL"), ("!",), ("fatal:", "error:"), ("remote:",)):
        found = [line for line in lines if line.startswith(prefixes)]
        if found:
            return found[0]
    return lines[-1] if lines else f"git exited with {code}"


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _lines(*texts: str) -> list[str]:
    return [line.strip() for text in texts for line in text.splitlines() if line.strip()]


def head_commit(folder: Path) -> str:
    code, out, _ = run_git(["rev-parse", "--verify", "-q", "HEAD^{commit}"], cwd=folder,
                           timeout=30)
    return _decode(out).strip() if code == 0 else ""


# ---------------------------------------------------------------- the site branch

def publish_site(folder: Path, status: dict[str, Any], when: str = "") -> str:
    """Commit site/ and status.json to the branch netdoc-site of the inventory repository
    (main stays the network's own history); return the commit, "" when unchanged.
    The branch holds one commit, replaced each run (pushed with +, the only ref that
    may be rewritten: gitolite grants RW+ on it alone).

    Uses a temporary index: the inventory's own index and working tree are untouched."""
    from netdoc.gitstore import author_env

    env = {**git_env(), **author_env()}  # netdoc's one author (netdoc.gitstore)
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    with tempfile.TemporaryDirectory(prefix="netdoc-site-index-") as scratch:
        env["GIT_INDEX_FILE"] = str(Path(scratch) / "index")
        entries = []
        site = folder / "site"
        if site.is_dir() and not site.is_symlink():
            _git_ok(["--work-tree", str(site), "add", "-A", "-f", "."], folder, env)
            tree = _git_ok(["write-tree"], folder, env)
            entries.append(f"040000 tree {tree}\tsite")
        blob = _git_ok(["hash-object", "-w", "--stdin"], folder, env,
                       stdin=stable_json(status).encode("utf-8"))
        entries.append(f"100644 blob {blob}\tstatus.json")
        root = _git_ok(["mktree"], folder, env, stdin=("\n".join(entries) + "\n").encode())
    parent = _git_out(["rev-parse", "--verify", "-q", f"refs/heads/{SITE_BRANCH}"], folder, env)
    if parent and _git_out(["rev-parse", f"{parent}^{{tree}}"], folder, env) == root:
        return ""
    # no parent: the site is a snapshot (its history is main's); the branch is replaced,
    # so neither the probe nor the hub accumulates a rendered site per run
    run = status.get("run") or {}
    commit = _git_ok(["commit-tree", root, "-m",
                      f"Site and status {run.get('finished', '')}".strip()], folder, env)
    _git_ok(["update-ref", f"refs/heads/{SITE_BRANCH}", commit] + ([parent] if parent else []),
            folder, env)
    return commit


def _git_ok(args: list[str], folder: Path, env: dict[str, str],
            stdin: bytes | None = None) -> str:
    code, out, err = run_git(args, cwd=folder, env=env, timeout=300, stdin=stdin)
    if code:
        from netdoc.errors import StoreError

        raise StoreError(f"git {args[0] if args[0] != '--work-tree' else 'add'} failed in "
                         f"{folder}: {clean(err.strip().splitlines()[-1] if err.strip() else str(code), 300)}")
    return _decode(out).strip()


def _git_out(args: list[str], folder: Path, env: dict[str, str]) -> str:
    code, out, _ = run_git(args, cwd=folder, env=env, timeout=60)
    return _decode(out).strip() if code == 0 else ""


# ---------------------------------------------------------------- one client

def settings_for(config: "Config", client: "Client") -> "CentralSettings | None":
    """The client's central settings (its own `central:`, else the top-level one)."""
    chosen = getattr(client, "central", None) or getattr(config, "central", None)
    return chosen if chosen is not None and chosen.remote else None


def keeps_secrets_centrally(config: "Config", client: "Client") -> bool:
    """`check` warns: this client keeps unmasked secrets and has a central remote."""
    return client.secrets == "keep" and settings_for(config, client) is not None


def central_warnings(config: "Config", client: str | None = None) -> list[str]:
    """What `netdoc check` says about the central remote: a client keeping unmasked
    secrets (secrets: keep) whose configs therefore stay on the probe."""
    found = []
    for chosen in config.selected_clients(client):
        if keeps_secrets_centrally(config, chosen):
            found.append(f"{config.path}: clients.{chosen.name}: secrets: keep together with a "
                         f"central remote; unmasked secrets never leave the probe, so this "
                         f"client's configs are NOT pushed to the hub (its inventory and site "
                         f"are). Use secrets: mask to have the hub keep its configs")
    return found


def backup_summary(config: "Config", client: "Client") -> list[dict[str, Any]]:
    """Per backed-up device: ok | failed | stale, with the last good backup's time."""
    from netdoc.backup.state import load_states
    from netdoc.workspace import Workspace

    files = Workspace.of(config, client.name)
    folder = files.backup_state
    if not files.backup_states.is_file():
        return []
    now = time.time()
    rows = []
    for path, state in sorted(load_states(folder).items()):
        status = "failed" if state.consecutive_failures else \
            "stale" if state.is_stale(config.backup.max_age_hours, now) else "ok"
        rows.append({"path": path, "name": clean(state.name, 200), "host": state.host,
                     "site": clean(state.site, 200), "platform": state.platform,
                     "status": status, "last_success": _iso(state.last_success),
                     "consecutive_failures": state.consecutive_failures,
                     "last_error": clean(redact(state.last_error), 500)})
    return rows


def push_client(config: "Config", client: "Client", report: dict[str, Any]) \
        -> dict[str, dict[str, Any]]:
    """Publish the site branch and push both repositories; {repo: result}. Never raises."""
    settings = settings_for(config, client)
    if settings is None:
        return {}
    ssh = ssh_command(settings.ssh_key, settings.known_hosts)
    results: dict[str, dict[str, Any]] = {}
    for repo, folder in (("inventory", config.inventory_dir(client.name)),
                         ("configs", config.backups_dir(client.name))):
        url = remote_url(settings.remote, client.name, repo)
        result = PushResult(repo=repo, remote=masked_url(url), ok=False, time=_now())
        try:
            if not (folder / ".git").exists():
                result.skipped, result.reason = True, "no repository yet (nothing to push)"
            elif repo == "configs" and client.secrets == "keep":
                result.skipped = True
                result.reason = ("not pushed: this client keeps unmasked secrets in its "
                                 "config store (secrets: keep); they never leave the probe")
            else:
                refspecs = []
                result.commit = head_commit(folder)
                if result.commit:
                    refspecs.append("HEAD:refs/heads/main")
                if repo == "inventory":
                    status = {"client": client.name, "run": report,
                              "backups": backup_summary(config, client)}
                    publish_site(folder, status)
                    refspecs.append(f"+refs/heads/{SITE_BRANCH}:refs/heads/{SITE_BRANCH}")
                private = private_files(folder, [r.split(":", 1)[0].lstrip("+")
                                                 for r in refspecs])
                if private:
                    result.reason = (f"not pushed: the repository holds files that never "
                                     f"leave the probe ({', '.join(private[:5])}); remove "
                                     f"them from its history first")
                elif not refspecs:
                    result.skipped, result.reason = True, "nothing committed yet"
                else:
                    result.ok, result.reason = push_refs(
                        folder, url, refspecs, remote_name=CENTRAL_REMOTE, ssh=ssh,
                        timeout=settings.timeout)
                    if not result.ok:
                        result.reason += "; kept locally, the next run pushes it"
        except Exception as exc:  # noqa: BLE001 - a push never fails the run
            log.warning("[%s] central push of %s failed: %s", client.name, repo, exc)
            result.ok, result.reason = False, scrub(f"{exc.__class__.__name__}: {exc}", url)
        if result.skipped:
            result.ok = True
        results[repo] = result.to_dict()
        log.info("[%s] central push of %s: %s%s", client.name, repo,
                 results[repo]["status"], f" ({result.reason})" if result.reason else "")
    return results


# files that must never leave the probe, whatever put them into a repository
PRIVATE_NAMES = re.compile(r"(^|/)([^/]+\.(key|vault)|snmp-credentials\.json|"
                           r"id_(rsa|ecdsa|ed25519))$")


def private_files(folder: Path, refs: list[str]) -> list[str]:
    """Tracked files of `refs` that look like keys or vaults (a last guard before a push)."""
    found: list[str] = []
    for ref in refs:
        code, out, _ = run_git(["ls-tree", "-r", "--name-only", "-z", ref], cwd=folder,
                               timeout=120)
        if code == 0:
            found += [name for name in _decode(out).split("\0")
                      if name and PRIVATE_NAMES.search(name) and name not in found]
    return sorted(found)


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") \
        if stamp else ""


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
