"""The 12 real device sessions of ../shared/device-sessions, backed up as a client run would.

Each session (Oxidized's simulation format) is played by the replay server and backed
up through netdoc's real path; the scoring is the fidelity scoreboard's
(benchmarks/backup_fidelity.py: expected config from Oxidized's output.txt, known
secrets by its reference rules). Every device must be backed up with all of its config
lines, no volatile or noise line, and no known secret left when masked.
Skips when ../shared is absent (a fresh clone).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "device-sessions"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(),
                                reason=f"{SHARED} is absent (reference data, not in the repo)")


def _scoreboard() -> ModuleType:
    spec = importlib.util.spec_from_file_location("backup_fidelity",
                                                  ROOT / "benchmarks" / "backup_fidelity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["backup_fidelity"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    board = _scoreboard()
    cases = board.shared_cases(SHARED)
    assert len(cases) >= 12
    return {s.name: s for s in board.run_cases(cases, tmp_path_factory.mktemp("shared"))}


NAMES = sorted(p.name.replace("#simulation.yaml", "").replace("#", "_")
               for p in SHARED.glob("*#simulation.yaml")) if SHARED.is_dir() else []


@pytest.mark.parametrize("name", NAMES)
def test_real_session_backed_up_whole_clean_and_masked(scores: dict[str, Any],
                                                       name: str) -> None:
    score = next(s for key, s in scores.items() if key.startswith(name[:40]))
    assert score.backed_up, score.reason
    assert score.missing == [], f"config lines lost: {score.missing[:5]}"
    assert score.extra == [], f"volatile or noise lines left: {score.extra[:5]}"
    assert score.secrets_left == [], f"{len(score.secrets_left)} known secret(s) left"
