"""Config facts on real configurations: what Oxidized stored from real devices
(../shared/device-sessions, optional) and the recorded sessions' expected configs
(tests/fixtures/sessions/expected) all parse, and no secret value reaches the facts."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from netdoc.facts import facts_for, to_yaml

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "device-sessions"
EXPECTED = ROOT / "tests" / "fixtures" / "sessions" / "expected"
# Oxidized model name -> netdoc platform
MODELS = {"ios": "cisco_xe", "asa": "cisco_asa", "fortigate": "fortinet_fortigate",
          "routeros": "mikrotik_routeros", "junos": "juniper_junos", "aoscx": "aruba_aoscx",
          "pfsense": "pfsense", "opnsense": "opnsense"}


def _shared_outputs() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.glob("*#output.txt") if p.name.split("#")[0] in MODELS)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/device-sessions is not here")
@pytest.mark.parametrize("output", _shared_outputs(), ids=lambda p: p.name.split("#")[0])
def test_real_device_configs_parse_without_secrets(output: Path) -> None:
    text = output.read_text(encoding="utf-8", errors="replace")
    facts = facts_for(text, MODELS[output.name.split("#")[0]])
    assert facts is not None
    assert facts.interfaces or facts.management.local_users
    dumped = to_yaml(facts)
    assert "very-secret" not in dumped and "secret-password" not in dumped


@pytest.mark.parametrize("config", sorted(EXPECTED.glob("*.cfg")), ids=lambda p: p.stem)
def test_every_recorded_platform_config_parses_or_has_no_parser(config: Path) -> None:
    platform = config.stem.replace("@set", ":set").split("@")[0]
    text = config.read_text(encoding="utf-8")
    facts = facts_for(text, platform)
    if facts is None:
        return
    dumped = to_yaml(facts)
    for token in re.findall(r"<masked:([0-9a-f]+)>", text):
        assert token not in dumped
