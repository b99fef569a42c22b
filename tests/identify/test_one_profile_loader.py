"""One strict loader reads the profile YAML (netdoc.platforms): identification uses
the parsed `snmp:` rules and parses no profile text of its own."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from netdoc.discover import identify
from netdoc.platforms import ProfileError, load_profiles, parse_profile
from netdoc.platforms.snmp import ENTITY_FIELDS, SnmpRules


def test_entity_rules_name_the_chassis_fields_identification_has() -> None:
    assert set(ENTITY_FIELDS) == {f.name for f in dataclasses.fields(identify.Chassis)}


def test_a_profiles_snmp_section_is_parsed_by_the_loader() -> None:
    profile = parse_profile({"name": "acme", "snmp": {
        "get": {"serial": "1.3.6.1.4.1.99999.1.0"},
        "models": {"1.3.6.1.4.1.99999.2": "Acme 1000"}}}, "acme.yaml")
    assert isinstance(profile.snmp, SnmpRules)
    assert profile.snmp.oids() == ["1.3.6.1.4.1.99999.1.0"]
    assert profile.snmp.models == {"1.3.6.1.4.1.99999.2": "Acme 1000"}
    assert parse_profile({"name": "plain"}, "plain.yaml").snmp == SnmpRules()


@pytest.mark.parametrize("section, complaint", [
    ({"gett": {}}, "unknown keys"),
    ({"get": {"serial": "not-an-oid"}}, "not a numeric OID"),
    ({"get": {"colour": "1.3.6.1.2.1.1.1.0"}}, "fields must be among"),
    ({"get": {"model": {"entity": "colour"}}}, "entity field must be one of"),
])
def test_a_broken_snmp_section_is_refused_naming_file_and_key(section: object,
                                                              complaint: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile({"name": "acme", "snmp": section}, "acme.yaml")
    assert str(caught.value).startswith("acme.yaml: snmp") and complaint in str(caught.value)


def test_identification_parses_no_profile_yaml_itself() -> None:
    source = Path(identify.__file__).read_text(encoding="utf-8")
    assert "register_section" not in source and "PROFILE_DIR.glob" not in source
    with_rules = [p for p in load_profiles().values() if "snmp" in p.sections]
    assert with_rules and all(isinstance(p.snmp, SnmpRules) for p in with_rules)
