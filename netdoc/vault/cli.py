"""`netdoc vault init|set|get|list|remove|rotate`.

Secrets never travel on the command line (where `ps` and shell history would
keep them): `set` prompts without echo or reads --stdin, and `get` prints only
with --reveal.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from netdoc.app.output import emit
from netdoc.config import Config, find_config, load_config
from netdoc.errors import ConfigError, UsageError
from netdoc.vault import (ENV_VAULT_DIR, SHARED_CLIENT, VaultError, VaultStore, key_env_var,
                          locations_for, parse_reference)
from netdoc.vault.base import SYSTEMD_CREDENTIAL_PREFIX, check_client_name

EXIT_OK = 0
Common = Callable[[argparse.ArgumentParser], None]


def add_vault_actions(vault: argparse.ArgumentParser, common: Common) -> None:
    """The sub-actions of `netdoc vault`; `common` adds the options every command takes."""
    actions = vault.add_subparsers(dest="vault_action", metavar="ACTION", required=True,
                                   parser_class=type(vault))

    def action(name: str, summary: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=summary, description=summary)
        common(sub)
        return sub

    init = action("init", "Create a client's empty vault and a new key (or use the key "
                          "already installed for it).")
    init.add_argument("target", metavar="CLIENT", help=f"client name, or {SHARED_CLIENT} for "
                                                       f"MSP-wide credentials")
    init.add_argument("--key-file", metavar="PATH", type=Path,
                      help="write the new key here instead of the keys folder")
    put = action("set", "Store a secret, typed at a prompt without echo (or piped with --stdin).")
    put.add_argument("target", metavar="CLIENT/NAME", help="the entry, as in vault:CLIENT/NAME")
    put.add_argument("--stdin", action="store_true",
                     help="read the secret from standard input (one trailing newline dropped)")
    # Caught to refuse it with a message that does not repeat it (argparse would).
    put.add_argument("value", nargs="?", help=argparse.SUPPRESS)
    get = action("get", "Print a secret (only with --reveal).")
    get.add_argument("target", metavar="CLIENT/NAME")
    get.add_argument("--reveal", action="store_true", help="really print the secret")
    listing = action("list", "List entry names (never values) of one client's vault or all.")
    listing.add_argument("target", metavar="CLIENT", nargs="?")
    remove = action("remove", "Delete an entry.")
    remove.add_argument("target", metavar="CLIENT/NAME")
    rotate = action("rotate", "Re-encrypt a client's vault under a new key; the old key stops "
                              "working (revokes a leaver). The previous vault is kept as a backup.")
    rotate.add_argument("target", metavar="CLIENT")
    rotate.add_argument("--key-file", metavar="PATH", type=Path,
                        help="write the new key here instead of the keys folder")


def vault_command(args: argparse.Namespace) -> int:
    store = VaultStore(locations_for(_config_for_vault(args)))
    handler = {"init": _init, "set": _set, "get": _get, "list": _list, "remove": _remove,
               "rotate": _rotate}[args.vault_action]
    return handler(store, args)


def _config_for_vault(args: argparse.Namespace) -> Config | None:
    """The vault lives next to netdoc.yaml; NETDOC_VAULT_DIR works without one."""
    explicit = getattr(args, "config", None)
    if explicit is None:
        try:
            find_config(None)
        except ConfigError:
            if os.environ.get(ENV_VAULT_DIR):
                return None
            raise ConfigError(f"no configuration file found (./netdoc.yaml, "
                              f"/etc/netdoc/netdoc.yaml), so the vault folder is unknown; give "
                              f"--config PATH or set {ENV_VAULT_DIR}", path="netdoc.yaml") from None
    return load_config(explicit)


# ---------------------------------------------------------------- actions

def _init(store: VaultStore, args: argparse.Namespace) -> int:
    client = check_client_name(args.target)
    result = store.init(client, args.key_file)
    if result.key_created:
        key_note = (f"new key written to {result.key_source.where} (mode 0600, key id "
                    f"{result.key_id}); give it only to the technicians who serve {client}, "
                    f"or install it for the service as the systemd credential "
                    f"{SYSTEMD_CREDENTIAL_PREFIX}{client} (see docs/vault.md)")
    else:
        key_note = f"sealed with the existing key from {result.key_source} (id {result.key_id})"
    emit(args, {"client": client, "vault": str(result.vault_file), "key_id": result.key_id,
                 "key_source": str(result.key_source), "key_created": result.key_created},
          f"created the vault of {client} at {result.vault_file}\n{key_note}")
    return EXIT_OK


def _set(store: VaultStore, args: argparse.Namespace) -> int:
    client, name = parse_reference(args.target)
    if args.value is not None:
        raise UsageError(f"netdoc vault set never takes the secret on the command line, where "
                         f"shell history and ps keep it; nothing was stored. Type it at the "
                         f"prompt (netdoc vault set {client}/{name}) or pipe it with --stdin, "
                         f"and remove it from your shell history")
    secret = _read_from_stdin() if args.stdin else _prompt(f"{client}/{name}")
    replaced = store.set(client, name, secret)
    emit(args, {"client": client, "name": name, "replaced": replaced},
          f"{'replaced' if replaced else 'stored'} {client}/{name}; refer to it in netdoc.yaml "
          f"as \"vault:{client}/{name}\"")
    return EXIT_OK


def _get(store: VaultStore, args: argparse.Namespace) -> int:
    client, name = parse_reference(args.target)
    if not args.reveal:
        raise UsageError(f"netdoc vault get prints the secret {client}/{name} only with "
                         f"--reveal (it will show on screen and may stay in the terminal's "
                         f"scroll-back); netdoc vault list {client} shows the names")
    secret = store.get(client, name)
    if getattr(args, "json", False):
        emit(args, {"client": client, "name": name, "secret": secret}, "")
    else:
        sys.stdout.write(secret + "\n")
    return EXIT_OK


def _list(store: VaultStore, args: argparse.Namespace) -> int:
    chosen = args.target or getattr(args, "client", None)
    clients = [check_client_name(chosen)] if chosen else store.locations.clients()
    report: list[dict[str, Any]] = []
    lines: list[str] = []
    for client in clients:
        try:
            entries = store.names(client)
        except VaultError as exc:
            if chosen:
                raise
            # Listing every vault: one whose key this technician lacks is normal.
            report.append({"client": client, "error": exc.reason})
            lines.append(f"{client}: cannot open ({exc.reason})")
            continue
        report.append({"client": client, "entries": [{"name": n, "updated": u}
                                                     for n, u in entries]})
        if chosen:
            lines.extend(name for name, _ in entries)
        else:
            lines.append(f"{client}: {', '.join(n for n, _ in entries) or '(empty)'}")
    if not clients:
        lines.append(f"no vaults in {store.locations.vault_dir}; create one with "
                     f"netdoc vault init CLIENT")
    emit(args, report, "\n".join(lines))
    return EXIT_OK


def _remove(store: VaultStore, args: argparse.Namespace) -> int:
    client, name = parse_reference(args.target)
    store.remove(client, name)
    emit(args, {"client": client, "name": name, "removed": True}, f"removed {client}/{name}")
    return EXIT_OK


def _rotate(store: VaultStore, args: argparse.Namespace) -> int:
    client = check_client_name(args.target)
    result = store.rotate(client, args.key_file)
    lines = [f"re-encrypted the vault of {client} under a new key (id {result.new_key_id}); "
             f"the old key no longer opens it",
             f"new key written to {result.new_key_file} (mode 0600)",
             f"previous vault kept at {result.backup_file} (it still opens with the OLD key: "
             f"delete it once the new key is installed everywhere)"]
    old = result.old_key_source
    if old.kind != "file" or Path(old.where) != result.new_key_file:
        lines.append(f"the old key came from the {old}; replace it there with the contents of "
                     f"{result.new_key_file}" + (f" (e.g. export {key_env_var(client)}=...)"
                                                 if old.kind == "env" else ""))
    lines.append(f"also change on the devices any secret a leaver could have read, then "
                 f"netdoc vault set {client}/NAME")
    emit(args, {"client": client, "vault": str(result.vault_file),
                 "new_key_file": str(result.new_key_file), "new_key_id": result.new_key_id,
                 "backup": str(result.backup_file), "old_key_source": str(old)},
          "\n".join(lines))
    return EXIT_OK


# ---------------------------------------------------------------- input and output

def _prompt(entry: str) -> str:
    # getpass talks to the terminal itself; without one it would fall back to an echoing
    # read of stdin, so refuse instead and point at --stdin.
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        raise UsageError(f"no terminal to prompt on for {entry}; pipe the secret in with "
                         f"--stdin (e.g. from a password manager)") from None
    first = getpass.getpass(f"secret for {entry} (not echoed): ")
    second = getpass.getpass("again, to confirm: ")
    if first != second:
        raise UsageError(f"the two entries for {entry} differ; nothing was stored")
    if not first:
        raise UsageError(f"empty secret for {entry}; nothing was stored")
    return first


def _read_from_stdin() -> str:
    text = sys.stdin.read()
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise UsageError("nothing on standard input; nothing was stored")
    return text


