"""`netdoc hub build OUT`: one static site over every client in the mirror.

    OUT/index.html                   all clients: freshness of each probe's last push,
                                     failing and stale backups, devices changed this week,
                                     search across clients (name, IP, MAC, serial, model)
    OUT/clients/<client>.html        one client: devices, backups, changes, link to its site
    OUT/clients/<client>/site/       the client's own site, exactly as its probe rendered it
    OUT/assets/                      netdoc.css (the documentation site's), hub.css (what
                                     the hub adds), hub.js, search-index.js (the search data as a
                                     script, so the search works offline and from file://)

Everything comes from the mirrored repositories: inventory main (index.json and the
device files), the netdoc-site branch (site/ and status.json) and configs main (git log).
A client whose repositories are missing or broken is shown as such; it never stops the
build. Client sites are re-extracted only when their commit changed.
"""
from __future__ import annotations

import io
import json
import logging
import shutil
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2

from netdoc.hub.central import SITE_BRANCH
from netdoc.gitstore import run_git
from netdoc.fsutil import atomic_write
from netdoc.hub.settings import HubError, HubSettings, valid_client
from netdoc.textsafe import clean
from netdoc.workspace import INDEX

log = logging.getLogger("netdoc.hub")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "hub"
WORKERS = 4
WEEK = timedelta(days=7)


@dataclass
class ClientView:
    name: str
    devices: list[dict[str, Any]] = field(default_factory=list)
    last_push: str = ""           # when the probe last published (site branch commit)
    age_hours: float | None = None
    fresh: str = "never"          # fresh | stale | never
    run_status: str = ""
    run_finished: str = ""
    backups: list[dict[str, Any]] = field(default_factory=list)
    backup_counts: dict[str, int] = field(default_factory=dict)
    changes: list[dict[str, str]] = field(default_factory=list)  # this week
    has_site: bool = False
    problems: list[str] = field(default_factory=list)  # missing repositories etc.


def build(hub: HubSettings, out: Path, now: datetime | None = None) -> dict[str, Any]:
    """Render the hub site into `out`; returns counts and timings."""
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    if not hub.mirror.is_dir():
        raise HubError(f"no mirror at {hub.mirror}; run `netdoc hub sync` first")
    names = sorted(p.name for p in hub.mirror.iterdir()
                   if p.is_dir() and valid_client(p.name))
    out.mkdir(parents=True, exist_ok=True)
    (out / "clients").mkdir(exist_ok=True)
    with ThreadPoolExecutor(WORKERS) as pool:
        views = list(pool.map(lambda name: _client(hub, name, out, now), names))
    env = _environment()
    generated = now.strftime("%Y-%m-%d %H:%M UTC")
    attention = [dict(b, client=v.name) for v in views for b in v.backups
                 if b.get("status") in ("failed", "stale")]
    changes = sorted((dict(c, client=v.name) for v in views for c in v.changes),
                     key=lambda c: c["date"], reverse=True)
    stale = [v for v in views if v.fresh != "fresh"]
    page = env.get_template("index.html.j2").render(
        clients=views, attention=attention, changes=changes, stale=stale, root="",
        generated=generated, stale_after=hub.stale_after_hours,
        total_devices=sum(len(v.devices) for v in views))
    atomic_write(out / "index.html", page, mode=0o644)
    client_page = env.get_template("client.html.j2")
    for view in views:
        atomic_write(out / "clients" / f"{view.name}.html",
                     client_page.render(c=view, root="../", generated=generated,
                                        stale_after=hub.stale_after_hours), mode=0o644)
    assets = out / "assets"
    assets.mkdir(exist_ok=True)
    # the documentation site's stylesheet, then what the hub adds to it
    for source in (TEMPLATES.parent / "netdoc.css", TEMPLATES / "hub.css", TEMPLATES / "hub.js"):
        atomic_write(assets / source.name, source.read_text(encoding="utf-8"), mode=0o644)
    atomic_write(assets / "search-index.js", search_script(views), mode=0o644)
    for gone in (out / "clients").iterdir():  # clients no longer in the mirror
        stem = gone.name[:-5] if gone.name.endswith(".html") else gone.name
        if stem not in names:
            shutil.rmtree(gone) if gone.is_dir() and not gone.is_symlink() else gone.unlink()
    return {"clients": len(views), "devices": sum(len(v.devices) for v in views),
            "seconds": round(time.monotonic() - started, 3)}


def search_script(views: list[ClientView]) -> str:
    """The search data as a script: [client, name, ip, macs, serial, model, vendor, href].
    JSON with every non-ASCII and markup character escaped, so it can never close a tag."""
    rows = [[v.name, d["name"], d["ip"], " ".join(d["macs"]), d["serial"], d["model"],
             d["vendor"], f"clients/{v.name}.html#dev-{d['id']}"]
            for v in views for d in v.devices]
    data = json.dumps(rows, ensure_ascii=True, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"window.NETDOC_HUB_INDEX = {data};\n"


# ---------------------------------------------------------------- one client

def _client(hub: HubSettings, name: str, out: Path, now: datetime) -> ClientView:
    view = ClientView(name=name)
    inventory = hub.mirror / name / "inventory.git"
    configs = hub.mirror / name / "configs.git"
    try:
        heads, config_heads = _heads(inventory), _heads(configs)
        if "main" in heads:
            view.devices = _devices(inventory)
            view.changes += _week(inventory, "main", now, "inventory")
        else:
            view.problems.append("no inventory pushed yet")
        if SITE_BRANCH in heads:
            _site(inventory, name, out, view, now, hub.stale_after_hours, heads[SITE_BRANCH])
        if "main" in config_heads:
            view.changes += _week(configs, "main", now, "configs")
        elif not view.problems:
            view.problems.append("no config backups on the hub (none pushed, or the client "
                                 "keeps secrets: keep on its probe)")
    except HubError as exc:
        view.problems.append(str(exc))
    view.changes.sort(key=lambda c: c["date"], reverse=True)
    return view


def _heads(repo: Path) -> dict[str, tuple[str, int]]:
    """branch -> (commit, committer time) of a mirrored repository, in one git call."""
    if not (repo / "HEAD").is_file():
        return {}
    code, out, _ = run_git(["for-each-ref", "--format=%(refname:short) %(objectname) "
                            "%(committerdate:unix)", "refs/heads"], cwd=repo, timeout=60)
    heads = {}
    for line in out.decode("utf-8", "replace").splitlines() if code == 0 else []:
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            heads[parts[0]] = (parts[1], int(parts[2]))
    return heads


def _git(repo: Path, *args: str) -> bytes:
    code, out, err = run_git(list(args), cwd=repo, timeout=300)
    if code:
        raise HubError(f"{repo}: git {args[0]} failed: {clean(err.strip(), 300)}")
    return out


def _devices(repo: Path) -> list[dict[str, Any]]:
    """Every device of the inventory's main branch: index.json plus the device files
    (serials and interface MACs live there), read in one `git archive`."""
    data = _git(repo, "archive", "--format=tar", "main", INDEX, "devices")
    files: dict[str, dict[str, Any]] = {}
    index: list[dict[str, Any]] = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar:
            if not member.isfile() or member.size > 8 * 1024 * 1024:
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            try:
                body = json.loads(handle.read().decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if member.name == INDEX and isinstance(body, dict):
                index = [d for d in body.get("devices", []) if isinstance(d, dict)]
            elif isinstance(body, dict) and "id" in body:
                files[str(body["id"])] = body.get("device") or {}
    devices = []
    for entry in index:
        full = files.get(str(entry.get("id")), {})
        macs = [str(entry.get("mac") or "")] + [str(i.get("mac") or "") for i in
                                                 full.get("interfaces", []) or []
                                                 if isinstance(i, dict)]
        devices.append({
            "id": _text(entry.get("id"), 120), "name": _text(entry.get("name"), 200),
            "ip": _text(entry.get("ip"), 60), "site": _text(entry.get("site"), 100),
            "macs": sorted({m.lower() for m in macs if m})[:64],
            "serial": _text(full.get("serial"), 100), "model": _text(entry.get("model"), 100),
            "vendor": _text(entry.get("vendor"), 100), "role": _text(entry.get("role"), 40),
            "version": _text(entry.get("version"), 100),
            "status": _text(entry.get("status"), 20), "first_seen": _text(
                entry.get("first_seen"), 30)})
    return devices


def _text(value: Any, limit: int) -> str:
    return clean(str(value or ""), limit)


def _site(repo: Path, name: str, out: Path, view: ClientView, now: datetime,
          stale_after: float, head: tuple[str, int]) -> None:
    """Status from the site branch, and the client's own site copied out (when new)."""
    commit, stamp = head
    pushed = datetime.fromtimestamp(stamp, timezone.utc)
    view.last_push = pushed.strftime("%Y-%m-%d %H:%M UTC")
    view.age_hours = round((now - pushed).total_seconds() / 3600, 1)
    view.fresh = "fresh" if view.age_hours <= stale_after else "stale"
    try:
        status = json.loads(_git(repo, "show", f"{SITE_BRANCH}:status.json").decode("utf-8"))
    except (HubError, ValueError, UnicodeDecodeError):
        status = {}
    run = status.get("run") or {}
    view.run_status = _text(run.get("status"), 20)
    view.run_finished = _text(run.get("finished"), 30)
    for row in status.get("backups") or []:
        if isinstance(row, dict):
            item = {k: _text(row.get(k), 500) for k in ("path", "name", "host", "site",
                                                        "status", "last_success",
                                                        "last_error", "platform")}
            item["consecutive_failures"] = str(int(row.get("consecutive_failures") or 0))
            view.backups.append(item)
            view.backup_counts[item["status"]] = view.backup_counts.get(item["status"], 0) + 1
    target = out / "clients" / name
    marker = target / ".site-commit"
    view.has_site = True
    if marker.is_file() and marker.read_text().strip() == commit:
        return
    data = _git(repo, "archive", "--format=tar", SITE_BRANCH, "site")
    fresh = out / "clients" / f".{name}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        tar.extractall(fresh, filter="data")  # no links out, no absolute paths, no devices
    if not (fresh / "site").is_dir():
        (fresh / "site").mkdir()
        view.has_site = False
    (fresh / ".site-commit").write_text(commit + "\n")
    if target.exists():
        shutil.rmtree(target)
    fresh.rename(target)


def _week(repo: Path, branch: str, now: datetime, kind: str) -> list[dict[str, str]]:
    """Devices changed in the last 7 days: inventory device files or stored configs."""
    since = (now - WEEK).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = _git(repo, "log", f"--since={since}", "--name-only", "--format=%x01%cI%x09%s",
                branch).decode("utf-8", "replace")
    found: dict[str, dict[str, str]] = {}
    for chunk in text.split("\x01")[1:]:
        head, _, names = chunk.partition("\n")
        date, _, subject = head.partition("\t")
        for path in names.splitlines():
            path = path.strip()
            if kind == "inventory" and path.startswith("devices/") and path.endswith(".json"):
                device = path.rsplit("/", 1)[-1][:-5]
            elif kind == "configs" and path.endswith(".cfg"):
                device = path[:-4]
            else:
                continue
            if device not in found:  # newest first: the latest change of each device
                found[device] = {"device": _text(device, 200), "what": kind,
                                 "date": date.replace("T", " ")[:16],
                                 "message": _text(subject, 300)}
    return list(found.values())


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env
