"""One Event type: its kinds are an enum shared by the stages, the runner, alerts and the
site, and their spelled values are what netdoc.yaml's alerts.on and the run reports use."""
from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from netdoc.config import ALERT_KINDS
from netdoc.models import INVENTORY_EVENTS, Event, EventKind
from netdoc.app.alerts import TITLES


def test_a_kind_given_as_text_becomes_the_enum_member() -> None:
    event = Event("config_changed", "sw1", "hq/sw1.cfg")
    assert event.kind is EventKind.CONFIG_CHANGED and event.kind == "config_changed"
    with pytest.raises(ValueError):
        Event("config-changed", "sw1")  # type: ignore[arg-type]


def test_a_report_round_trip_keeps_the_event() -> None:
    event = Event(EventKind.BACKUP_FAILED, "sw1", "timeout", streak=3, facts_changes=["x"])
    data = json.loads(json.dumps(asdict(event)))
    assert data["kind"] == "backup_failed"
    assert Event.from_dict({**data, "from_a_newer_netdoc": 1}) == event


def test_every_alertable_kind_is_an_event_kind_with_a_title() -> None:
    assert set(ALERT_KINDS) <= {kind.value for kind in EventKind}
    assert set(ALERT_KINDS) <= set(TITLES)
    assert set(INVENTORY_EVENTS) == {"new", "gone", "returned", "changed"}
