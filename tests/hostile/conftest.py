"""Fixtures of the hostile suite: replayed devices (as in tests/backup), secrets."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backup"))

from backup_helpers import _test_secrets, replay, site  # type: ignore[import-not-found]  # noqa: E402,F401
