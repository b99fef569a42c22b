"""Fixtures of the backup tests (they live in backup_helpers.py, shared with tests/hostile)."""
from __future__ import annotations

from backup_helpers import _test_secrets, replay, site  # type: ignore[import-not-found]  # noqa: F401
