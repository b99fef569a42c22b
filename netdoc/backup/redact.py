"""`netdoc redact`: a config cleaned and its secrets masked, to share it safely.

    netdoc redact --platform P FILE|-  [--client NAME]

A technician sends a configuration to a vendor's support or a colleague: the
file (or stdin, `-`) goes through the same stages as a backup (netdoc.backup.clean:
terminal noise, the platform's header and volatile lines; netdoc.backup.secrets:
the platform's secret rules and the generic layer under them) and the result is
printed on stdout. The completeness checks of a backup (end marker, pager left,
shrink) are not applied: a snippet may be redacted too.

The masking key: by default a fresh random key for this one invocation, so the
placeholders cannot be matched against anything else (the same secret still gives
the same placeholder within the file, so it stays readable). With `--client NAME`
the client's own key is used (the key of its stored backups), so a redacted file
can be compared line by line with that client's repository; that key must exist
already (the first backup creates it).

Exit status: 0, or 2 with a message for an unknown platform or an unreadable file.
"""
from __future__ import annotations

import argparse
import secrets as pysecrets
import sys
from pathlib import Path
from typing import Callable

from netdoc.backup.clean import apply_recipe, terminal_text
from netdoc.backup.secrets import KEY_FILE, mask_secrets
from netdoc.errors import BackupError, UsageError
from netdoc.platforms import BackupRecipe

CommandAdder = Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]


def add_redact_command(command: CommandAdder) -> None:
    redact = command("redact", "Print a configuration file cleaned and with its secrets "
                               "masked, as a backup would store it (to share it safely).",
                     cmd_redact)
    redact.add_argument("file", metavar="FILE", help="the configuration file, or - for stdin")
    redact.add_argument("--platform", required=True, metavar="P",
                        help="netdoc profile name, alias, Oxidized model or netmiko device "
                             "type (NAME:VARIANT for a recipe variant)")


def cmd_redact(args: argparse.Namespace) -> int:
    recipe = recipe_for(args.platform)
    text = _read(args.file)
    key = _client_key(args) if getattr(args, "client", None) else pysecrets.token_bytes(32)
    sys.stdout.write(redact_config(text, recipe, key))
    return 0


def redact_config(text: str, recipe: BackupRecipe, key: bytes) -> str:
    """What a backup would store of `text`: cleaned (terminal, header, volatile) and masked."""
    command = recipe.commands[0] if recipe.commands else ""
    # a pasted terminal capture starts with "PROMPT + command": that prompt ends it too
    first = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r ")
    prompt = first[:-len(command)].strip() if command and first.endswith(command) else ""
    cleaned = apply_recipe(terminal_text(text, command, prompt), recipe)
    return mask_secrets(cleaned, recipe, key)


def recipe_for(platform: str) -> BackupRecipe:
    from netdoc.backup.platforms import plan_for

    try:
        return plan_for("redact", platform).recipe
    except BackupError as exc:
        raise UsageError(f"--platform {platform}: {exc.reason}") from None


def _read(name: str) -> str:
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    return data.decode("utf-8", "replace")


def _client_key(args: argparse.Namespace) -> bytes:
    from netdoc.config import load_config
    from netdoc.workspace import Workspace

    config = load_config(getattr(args, "config", None))
    client = config.client(args.client)  # raises a ConfigError naming the known clients
    path = Workspace.of(config, client.name).backup_state / KEY_FILE
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"client {client.name!r} has no masking key yet ({path}: "
                         f"{exc.strerror}); it is made by the client's first backup. "
                         f"Leave --client out for a one-off key") from None
    if len(key) < 32:
        raise UsageError(f"the masking key {path} is too short; remove it and let the next "
                         f"backup make a new one")
    return key
