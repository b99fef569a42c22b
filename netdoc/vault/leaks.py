"""Search netdoc's outputs for secrets that must not be there.

For the end-to-end proof that vault secrets stay secret: plant known values
with `write_vault`, run netdoc, then `find_leaks([logs, reports, site,
inventory, config_backups], planted)` must return nothing. Git repositories
are searched in every object they hold (all history, packed or loose, even
unreachable), because a secret committed once and removed later is still
there for anyone who clones the repository.
"""
from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from netdoc.errors import NetdocError


@dataclass(frozen=True)
class Leak:
    where: str  # a file, or "<repository> git object <sha>"
    secret: str  # the *name* of the planted secret, never its value


def find_leaks(roots: Iterable[Path], planted: Mapping[str, str]) -> list[Leak]:
    """Every place under `roots` holding a planted secret, as written or escaped
    for JSON or HTML; sorted, so a failing test prints a stable list."""
    needles = {name: _spellings(value) for name, value in planted.items()}
    leaks: set[Leak] = set()
    for root in roots:
        for where, blob in _blobs(Path(root)):
            leaks.update(Leak(where, name) for name, spellings in needles.items()
                         if any(spelling in blob for spelling in spellings))
    return sorted(leaks, key=lambda leak: (leak.where, leak.secret))


def _spellings(value: str) -> set[bytes]:
    if not value:
        raise ValueError("an empty planted secret would match everywhere")
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             html.escape(value), html.escape(value, quote=False)}
    return {form.encode("utf-8") for form in forms}


def _blobs(root: Path) -> Iterator[tuple[str, bytes]]:
    if root.is_file():
        yield str(root), root.read_bytes()
        return
    for folder, subfolders, files in os.walk(root):
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield str(path), path.read_bytes()
        if ".git" in subfolders:
            yield from _git_objects(Path(folder))
        here = Path(folder)
        if here.name != ".git" and (here / "HEAD").is_file() and (here / "objects").is_dir():
            yield from _git_objects(here)  # a bare repository, e.g. a push remote


def _git_objects(repository: Path) -> Iterator[tuple[str, bytes]]:
    """Every object's decompressed content, from `git cat-file --batch-all-objects`."""
    from netdoc.gitstore import run_git

    try:
        code, data, err = run_git(["-C", str(repository), "cat-file", "--batch-all-objects",
                                   "--batch"], timeout=300)
    except OSError as exc:
        code, data, err = 1, b"", str(exc)
    if code:
        raise NetdocError(f"cannot read the git objects of {repository} "
                          f"({err.strip() or 'timed out'}); the leak search would be "
                          f"incomplete")
    at = 0
    while at < len(data):
        header_end = data.index(b"\n", at)
        sha, _, size = data[at:header_end].decode("ascii").split(" ")
        start = header_end + 1
        yield f"{repository} git object {sha}", data[start:start + int(size)]
        at = start + int(size) + 1
