from __future__ import annotations

import json
from pathlib import Path

import pytest

from netdoc.models import Device, device_from_dict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "topology"


def load_fixture(name: str) -> list[Device]:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return [device_from_dict(d) for d in data["devices"]]


@pytest.fixture
def office() -> list[Device]:
    """tests/fixtures/topology/small_office.json: its _comment lists what it contains."""
    return load_fixture("small_office.json")
