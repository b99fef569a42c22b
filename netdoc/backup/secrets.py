"""Masking secrets in stored configurations.

Each secret the platform's profile points at (the regex group named `secret`)
is replaced by `<masked:XXXXXXXXXX>`, a short HMAC of the secret under a key that
belongs to the client. So:
  - the stored file never reveals the secret (not even a reversible type-7 one);
  - the same secret gives the same placeholder run after run (no false changes);
  - a changed secret gives a different placeholder: `git diff` shows that the
    SNMP community changed, without saying to what;
  - two clients' placeholders cannot be correlated (different keys).
The key lives in the client's state folder (never in a git repository), 0600.
Private keys and other multi-line secrets (`secret_blocks`) are masked as one.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as pysecrets
from pathlib import Path

from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write
from netdoc.profiles import BackupRecipe

# Every platform: PEM private keys are never stored in clear.
PEM_PRIVATE_KEY = (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"),
                   re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----"))
PLACEHOLDER = "<masked:{}>"
KEY_FILE = "mask.key"


def load_mask_key(state_dir: Path) -> bytes:
    """The client's masking key, created (0600) on first use."""
    path = state_dir / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot read the secret-masking key {path}: {exc.strerror}") from None
    key = pysecrets.token_bytes(32)
    atomic_write(path, key, mode=0o600)
    os.chmod(path, 0o600)
    return key


def placeholder(secret: str, key: bytes) -> str:
    digest = hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
    return PLACEHOLDER.format(digest[:10])


def mask_secrets(text: str, recipe: BackupRecipe, key: bytes) -> str:
    lines = _mask_blocks(text.split("\n"), recipe, key)
    return "\n".join(_mask_line(line, recipe, key) for line in lines)


def _mask_line(line: str, recipe: BackupRecipe, key: bytes) -> str:
    for pattern in recipe.secrets:
        spans = [m.span("secret") for m in pattern.finditer(line)
                 if m.group("secret") is not None]
        for start, end in reversed(spans):  # right to left keeps earlier spans valid
            value = line[start:end]
            if not value.startswith("<masked:"):
                line = line[:start] + placeholder(value, key) + line[end:]
    return line


def _mask_blocks(lines: list[str], recipe: BackupRecipe, key: bytes) -> list[str]:
    out: list[str] = []
    blocks = (PEM_PRIVATE_KEY, *recipe.secret_blocks)
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        block = next((b for b in blocks if b[0].search(line)), None)
        if block is None or block[1].search(line):
            continue
        body: list[str] = []
        while index < len(lines) and not block[1].search(lines[index]):
            body.append(lines[index])
            index += 1
        if index >= len(lines):  # no end: not a block after all, leave it to line rules
            out.extend(body)
            continue
        indent = re.match(r"\s*", body[0]).group(0) if body else ""  # type: ignore[union-attr]
        out.append(indent + placeholder("\n".join(body), key))
    return out
