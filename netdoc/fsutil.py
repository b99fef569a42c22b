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
