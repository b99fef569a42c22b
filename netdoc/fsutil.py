"""Files that are never half-written, and JSON that diffs cleanly."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from netdoc.errors import StoreError


def atomic_write(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """Write `path` so that a crash leaves either the old or the new file, never a mix."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}; "
                         f"the previous version is unchanged") from None


def atomic_write_many(files: dict[Path, str], mode: int = 0o600) -> list[Path]:
    """Write several files all-or-nothing: every new version is written to a
    temporary file first, and only when all of them made it to disk are they
    renamed into place (a rename needs no space). Unchanged files are left alone.
    Returns the paths that changed."""
    changed = {p: d for p, d in files.items() if not _same_content(p, d)}
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in changed.items():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"cannot write in {_common_parent(list(changed))}: "
                         f"{exc.strerror or exc}; the previous version is unchanged") from None
    for tmp, path in staged:
        os.replace(tmp, path)
    return list(changed)


def _same_content(path: Path, data: str) -> bool:
    try:
        return path.read_bytes() == data.encode("utf-8")
    except OSError:
        return False


def _common_parent(paths: list[Path]) -> str:
    return os.path.commonpath([str(p.parent) for p in paths]) if paths else "?"


def stable_json(data: Any) -> str:
    """JSON with sorted keys and a final newline: byte-identical for equal data."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
