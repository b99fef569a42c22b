"""`netdoc diff`, `netdoc history` and `netdoc hostkey`: the backup repository for humans.

    netdoc diff [CLIENT] [DEVICE] [--since DATE|REV]   what changed (default: in the last run)
    netdoc history DEVICE [--client NAME]              when a device's config changed
    netdoc hostkey list [CLIENT]                       pinned host keys and those waiting
    netdoc hostkey accept CLIENT DEVICE                trust a device's new SSH host key

Registered on netdoc's parser by `add_backup_commands`; git is imported only
when a command runs, so the CLI starts fast.
"""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from netdoc.config import Client, Config, load_config
from netdoc.errors import StoreError, UsageError
from netdoc.app.output import emit

if TYPE_CHECKING:
    from netdoc.gitstore import GitStore

CommandAdder = Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


def add_backup_commands(command: CommandAdder) -> None:
    diff = command("diff", "Show configuration changes (default: those of the last backup run).",
                   cmd_diff)
    diff.add_argument("target", nargs="*", metavar="[CLIENT] [DEVICE]",
                      help="a client, a device (name, hostname or IP), or both")
    diff.add_argument("--since", metavar="DATE|REV",
                      help="compare with the configs as they were at this date "
                           "(2024-11-01, '3 days ago') or git revision")
    history = command("history", "List when a device's configuration changed.", cmd_history)
    history.add_argument("device", help="device name, hostname or IP")
    hostkey = command("hostkey", "Show or accept changed SSH host keys of backed-up devices.",
                      cmd_hostkey)
    hostkey.add_argument("action", choices=("list", "accept"))
    hostkey.add_argument("target", nargs="*", metavar="CLIENT [DEVICE]",
                         help="list: optional client; accept: client and device")


# ---------------------------------------------------------------- device lookup

@dataclass(frozen=True)
class DeviceRef:
    client: str
    path: str      # "<site>/<name>" in the repository
    host: str
    port: int


def find_device(config: Config, client: Client, text: str) -> DeviceRef | None:
    """A device by configured name, hostname, IP or repository path."""
    from netdoc.backup.state import load_states, state_dir
    from netdoc.backup.targets import backup_targets

    wanted = text.strip().lower()
    for target in backup_targets(config, client):
        if wanted in (target.name.lower(), target.host, target.path.lower()):
            return DeviceRef(client.name, target.path, target.host, target.port)
    for path, state in load_states(state_dir(config, client.name)).items():
        if wanted in (state.name.lower(), state.host, path.lower()):
            return DeviceRef(client.name, path, state.host, state.port)
    repo = config.backups_dir(client.name)
    for cfg in sorted(repo.glob("*/*.cfg")):
        if cfg.stem.lower() == wanted:
            return DeviceRef(client.name, f"{cfg.parent.name}/{cfg.stem}", "", 22)
    return None


def _device_or_fail(config: Config, clients: list[Client], text: str) -> DeviceRef:
    found = [ref for c in clients if (ref := find_device(config, c, text)) is not None]
    if not found:
        raise UsageError(f"no device {text!r} in client(s) "
                         f"{', '.join(c.name for c in clients)}; give its name, hostname or IP")
    if len(found) > 1:
        raise UsageError(f"{text!r} matches devices of several clients "
                         f"({', '.join(r.client for r in found)}); add --client NAME")
    return found[0]


# ---------------------------------------------------------------- diff

def cmd_diff(args: argparse.Namespace) -> int:
    config = load_config(getattr(args, "config", None))
    clients, device = _diff_scope(config, list(args.target), getattr(args, "client", None))
    out: list[str] = []
    per_client: list[dict[str, Any]] = []
    for client in clients:
        paths = None
        if device is not None:
            ref = _device_or_fail(config, [client], device)
            paths = [f"{ref.path}.cfg"]
        lines = client_diff(config.backups_dir(client.name), client.name, args.since, paths)
        out.extend(lines)
        per_client.append({"client": client.name, "since": args.since or "last run",
                           "devices": _diff_devices(lines)})
    emit(args, {"clients": per_client}, "\n".join(out) if out else "no configuration changes")
    return 0


def _diff_devices(lines: list[str]) -> list[dict[str, Any]]:
    """The human diff lines of one client as data: device, change, its lines."""
    devices: list[dict[str, Any]] = []
    for line in lines:
        found = re.match(r"=== \[[^]]*\] (.*): (\w+) \(last change (.*)\)$", line)
        if found:
            devices.append({"device": found.group(1), "change": found.group(2),
                            "last_change": found.group(3), "lines": []})
        elif devices:
            devices[-1]["lines"].append(line)
    return devices


def _diff_scope(config: Config, words: list[str], client_option: str | None) \
        -> tuple[list[Client], str | None]:
    if len(words) > 2:
        raise UsageError("netdoc diff takes at most a client and a device")
    if words and words[0] in config.clients:
        return [config.client(words[0])], (words[1] if len(words) > 1 else None)
    if len(words) == 2:
        raise UsageError(f"no client named {words[0]!r}; configured: "
                         f"{', '.join(sorted(config.clients))}")
    return config.selected_clients(client_option), (words[0] if words else None)


def client_diff(folder: Path, client: str, since: str | None,
                paths: list[str] | None = None) -> list[str]:
    """Human-readable changes of one client's configs since `since` (default: the last run)."""
    store = _store(folder)
    if store is None or not store.has_commits():
        return []
    base = _base_revision(store, since)
    names = store.diff(base, "HEAD", paths or ["*.cfg"], name_status=True)
    lines: list[str] = []
    for entry in names.splitlines():
        status, _, path = entry.partition("\t")
        if not path.endswith(".cfg"):
            continue
        when = _last_change(store, path)
        label = {"A": "added", "D": "removed", "M": "changed"}.get(status[:1], status)
        lines.append(f"=== [{client}] {path[:-4]}: {label} (last change {when})")
        if status.startswith("M"):
            old = store.text_at(base, path).split("\n")
            new = store.text_at("HEAD", path).split("\n")
            lines.extend(describe_changes(old, new))
    return lines


def _base_revision(store: "GitStore", since: str | None) -> str:
    if not since:
        return store.first_parent("HEAD") or EMPTY_TREE
    found = store.resolve(since)
    if found is not None:
        return found
    if not _looks_like_date(since):
        raise UsageError(f"--since {since!r} is neither a git revision nor a date "
                         f"(e.g. 2024-11-01 or '3 days ago')")
    return store.last_commit_before(since) or EMPTY_TREE  # nothing that old: all is new


def _looks_like_date(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
        return True
    except ValueError:
        return bool(re.fullmatch(r"(\d+ (second|minute|hour|day|week|month|year)s? ago|"
                                 r"yesterday|today|last (week|month|year))", text.strip()))


def describe_changes(old: list[str], new: list[str]) -> list[str]:
    """Removed and added lines, each group under the config block it belongs to."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        section = _section(new, b1) if b1 < len(new) and op != "delete" else _section(old, a1)
        out.append(f"  in {section}:" if section else "  at top level:")
        out.extend(f"    - {line}" for line in old[a1:a2])
        out.extend(f"    + {line}" for line in new[b1:b2])
    return out


def _section(lines: list[str], index: int) -> str:
    """The enclosing blocks of line `index`: the nearest less-indented lines above it."""
    if index >= len(lines):
        return ""
    depth = _indent(lines[index])
    chain: list[str] = []
    for line in reversed(lines[:index]):
        stripped = line.strip()
        if not stripped or stripped[0] in "!#;" or stripped in ("}", "exit", "end", "next"):
            continue
        if _indent(line) < depth:
            chain.append(stripped.rstrip(" {"))
            depth = _indent(line)
            if depth == 0:
                break
    return " > ".join(reversed(chain))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _last_change(store: "GitStore", path: str) -> str:
    stamp = store.last_change(path)
    return stamp.replace("T", " ")[:16] if stamp else "?"


def _store(folder: Path) -> "GitStore | None":
    """The client's config repository through the one git store; None when there is
    none yet (never created here)."""
    from netdoc.gitstore import GitStore  # imports GitPython: only when a command runs

    store = GitStore(folder, name="backup")
    if not store.exists():
        return None
    try:
        store.repo  # noqa: B018 - opened now, so a broken repository is reported as such
    except StoreError as exc:
        reason = str(exc).removeprefix(f"cannot open or create the git repository {folder}: ")
        raise StoreError(f"cannot open the backup repository {folder}: {reason}") from None
    return store


# ---------------------------------------------------------------- history

def cmd_history(args: argparse.Namespace) -> int:
    config = load_config(getattr(args, "config", None))
    clients = config.selected_clients(getattr(args, "client", None))
    ref = _device_or_fail(config, clients, args.device)
    entries = device_history(config.backups_dir(ref.client), ref.path)
    if getattr(args, "json", False):
        emit(args, {"client": ref.client, "device": ref.path, "changes": entries}, "")
        return 0
    if not entries:
        print(f"[{ref.client}] {ref.path}: no backup stored yet")
        return 0
    print(f"[{ref.client}] {ref.path}: {len(entries)} version(s), newest first")
    for entry in entries:
        print(f"  {entry['date']}  {entry['commit']}  {entry['change']:<8} "
              f"+{entry['added']} -{entry['removed']}  {entry['summary']}")
    return 0


def device_history(folder: Path, path: str) -> list[dict[str, Any]]:
    store = _store(folder)
    if store is None:
        return []
    return [{"commit": change.hexsha[:12],
             "date": dt.datetime.fromtimestamp(change.committed).astimezone()
             .strftime("%Y-%m-%d %H:%M"),
             "change": "added" if change.added else "changed",
             "added": change.insertions, "removed": change.deletions,
             "summary": change.subject}
            for change in store.file_history(f"{path}.cfg")]


# ---------------------------------------------------------------- host keys

def cmd_hostkey(args: argparse.Namespace) -> int:
    from netdoc.backup.hostkeys import HostKeyStore
    from netdoc.backup.state import state_dir

    config = load_config(getattr(args, "config", None))
    words = list(args.target)
    if args.action == "list":
        clients = [config.client(words[0])] if words else \
            config.selected_clients(getattr(args, "client", None))
        listing = [hostkey_listing(HostKeyStore(state_dir(config, c.name)), c.name,
                                   device_paths(config, c)) for c in clients]
        emit(args, {"clients": listing}, "\n".join(_hostkey_lines(listing)))
        return 0
    if len(words) != 2:
        example = sorted(config.clients)[0] if config.clients else "acme"
        raise UsageError(f"hostkey accept needs a client and a device, e.g. netdoc hostkey "
                         f"accept {example} 192.0.2.1 (see: netdoc hostkey list)")
    client = config.client(words[0])
    ref = _device_or_fail(config, [client], words[1])
    accepted = HostKeyStore(state_dir(config, client.name)).accept(ref.host, ref.port)
    old = accepted.old.fingerprint if accepted.old else "none"
    lines = []
    if accepted.new is not None:
        lines.append(f"[{client.name}] {ref.path} ({ref.host}:{ref.port}): host key accepted\n"
                     f"  old: {old}\n  new: {accepted.new.fingerprint}\n"
                     f"the next backup run will use it")
    if accepted.identity is not None:
        claims = ", ".join(f"{k} {v}" for k, v in sorted(accepted.identity.items()))
        lines.append(f"[{client.name}] {ref.path} ({ref.host}:{ref.port}): identity accepted "
                     f"({claims}); the next backup run sends it credentials again")
    emit(args, {"client": client.name, "device": ref.path, "host": ref.host, "port": ref.port,
                "old": old, "new": accepted.new.fingerprint if accepted.new else None,
                "identity": accepted.identity}, "\n".join(lines))
    return 0


def device_paths(config: Config, client: Client) -> dict[str, str]:
    """known_hosts entry ("host" or "[host]:port") -> the device's path in the repository."""
    from netdoc.backup.hostkeys import host_entry
    from netdoc.backup.state import load_states, state_dir

    return {host_entry(s.host, s.port): path
            for path, s in load_states(state_dir(config, client.name)).items() if s.host}


def hostkey_listing(store: Any, client: str,
                    paths: dict[str, str] | None = None) -> dict[str, Any]:
    """Pinned keys, keys waiting for a decision and held identities of one client;
    `paths` names the device of each entry (else its address is shown)."""
    def device(entry: str) -> str:
        return (paths or {}).get(entry) or entry.strip("[").split("]")[0]

    return {
        "client": client,
        "pinned": [{"entry": e, "device": device(e), "type": k.key_type,
                    "fingerprint": k.fingerprint} for e, k in sorted(store.pinned().items())],
        "pending": [{"entry": e, "device": device(e), "type": k.key_type,
                     "fingerprint": k.fingerprint,
                     "accept": f"netdoc hostkey accept {client} {device(e)}"}
                    for e, k in sorted(store.pending().items())],
        "identities_held": [{"entry": e, "device": device(e), "reason": str(h.get("reason", "")),
                             "accept": f"netdoc hostkey accept {client} {device(e)}"}
                            for e, h in sorted(store.pending_identities().items())],
    }


def _hostkey_lines(listing: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for item in listing:
        name = item["client"]
        for key in item["pending"]:
            lines.append(f"[{name}] {key['entry']}: new key {key['fingerprint']} WAITS; "
                         f"accept with: {key['accept']}")
        for held in item["identities_held"]:
            lines.append(f"[{name}] {held['entry']}: identity held ({held['reason']}); "
                         f"accept with: {held['accept']}")
        for key in item["pinned"]:
            lines.append(f"[{name}] {key['entry']}: pinned {key['type']} {key['fingerprint']}")
        if not (item["pending"] or item["identities_held"] or item["pinned"]):
            lines.append(f"[{name}] no host keys pinned yet (none before the first backup)")
    if not any(i["pending"] or i["identities_held"] for i in listing):
        lines.append("no changed host keys are waiting")
    return lines
