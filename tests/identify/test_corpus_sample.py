"""Optional: a sample of ../shared/snmp-corpus (real walks with LibreNMS's results).

Skips when ../shared is absent: it is reference data, not part of the project. The whole
corpus is benchmarks/identify_corpus.py's job (the scoreboard); this samples every 12th
walk so the suite keeps its speed, and holds the floor that no real device is lost and
that the interfaces and vendors LibreNMS names are found.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "snmp-corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent (optional "
                                                            f"reference data)")


def _scoreboard() -> ModuleType:
    spec = importlib.util.spec_from_file_location("identify_corpus",
                                                  ROOT / "benchmarks" / "identify_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("identify_corpus", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample() -> list:  # type: ignore[type-arg]
    board = _scoreboard()
    walks = board.find_walks([CORPUS])[::12]
    vendors = board.load_vendor_table()
    return [board.score_walk(str(path), vendors, "recorded") for path in walks]


def test_no_sampled_real_device_is_lost(sample: list) -> None:  # type: ignore[type-arg]
    lost = {s.name: s.error for s in sample if s.error}
    assert len(sample) >= 60 and not lost


def test_the_interfaces_librenms_found_are_found(sample: list) -> None:  # type: ignore[type-arg]
    found = sum(s.hits.get("interfaces", 0) for s in sample)
    expected = sum(s.scored.get("interfaces", 0) for s in sample)
    assert found >= 0.98 * expected


def test_nearly_every_sampled_device_has_its_vendor(sample: list) -> None:  # type: ignore[type-arg]
    scored = [s for s in sample if s.scored.get("vendor")]
    right = [s for s in scored if s.hits.get("vendor")]
    assert len(right) >= 0.85 * len(scored), sorted(
        (s.name, s.got.get("vendor"), s.expected.get("vendor")) for s in scored
        if not s.hits.get("vendor"))
