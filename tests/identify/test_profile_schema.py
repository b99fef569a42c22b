"""The profile schema: every profile loads, and a mistake in one fails at load, by name.

A misspelt key must never be accepted silently: `secrest:` for `secrets:` would turn
secret masking off for a whole platform. The loader checks every key and value of a
profile (the `snmp:` section through netdoc.discover.identify, which knows its keys) and names
the file and the key path.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netdoc.platforms import (PROFILE_DIR, ProfileError, load_profiles, parse_profile,
                             read_profile)

GOOD = {
    "name": "sonicwall",
    "vendor": "SonicWall",
    "netmiko": "sonicwall_sshv2",
    "aliases": ["sonicos"],
    "match": {"sys_object_id": ["1.3.6.1.4.1.8741."], "priority": 10},
    "backup": {"commands": ["show current-config"],
               "secrets": [r'^ *password (?P<secret>\S+)']},
}


def _write(tmp_path: Path, body: object, name: str = "sonicwall.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return path


def _error(tmp_path: Path, body: object) -> str:
    with pytest.raises(ProfileError) as caught:
        read_profile(_write(tmp_path, body))
    return str(caught.value)


def test_every_shipped_profile_loads_under_the_strict_schema() -> None:
    load_profiles.cache_clear()
    profiles = load_profiles()
    files = sorted(PROFILE_DIR.glob("*.yaml"))
    assert len(profiles) == len(files)
    for path in files:  # each file alone, so a failure names it
        read_profile(path)


def test_a_misspelt_key_fails_at_load_naming_file_and_key(tmp_path: Path) -> None:
    body = {**GOOD, "backup": {"commands": ["show current-config"],
                               "secrest": [r'^ *password (?P<secret>\S+)']}}
    message = _error(tmp_path, body)
    assert message == "sonicwall.yaml: backup.secrest: unknown key (did you mean 'secrets'?)"


def test_the_correct_profile_loads(tmp_path: Path) -> None:
    profile = read_profile(_write(tmp_path, GOOD))
    assert profile.name == "sonicwall" and profile.backup is not None
    assert profile.backup.secrets[0].pattern.startswith("^ *password")


@pytest.mark.parametrize("body, expected", [
    ({**GOOD, "match": {"sys_descr": "SonicOS"}},
     "sonicwall.yaml: match.sys_descr: expected a list of regular expressions"),
    ({**GOOD, "match": {"priority": "high"}},
     "sonicwall.yaml: match.priority: expected an integer, got a string 'high'"),
    ({**GOOD, "match": {"priority": True}},
     "sonicwall.yaml: match.priority: expected an integer, got a boolean True"),
    ({**GOOD, "backup": {"enable": "yes please"}},
     "sonicwall.yaml: backup.enable: expected true or false"),
    ({**GOOD, "backup": {"transport": "rsh"}},
     "sonicwall.yaml: backup.transport: expected 'cli' or 'exec'"),
    ({**GOOD, "backup": {"volatile": ["^ok", "(unclosed"]}},
     "sonicwall.yaml: backup.volatile[1]: invalid regex '(unclosed'"),
    ({**GOOD, "backup": {"secrets": ['^ *community (\\S+)']}},
     "sonicwall.yaml: backup.secrets[0]: regex '^ *community (\\\\S+)' has no "
     "(?P<secret>...) group"),
    ({**GOOD, "backup": {"variants": {"set": {"comands": ["x"]}}}},
     "sonicwall.yaml: backup.variants.set.comands: unknown key (did you mean 'commands'?)"),
    ({**GOOD, "backup": {"facts": {"commands": "show version"}}},
     "sonicwall.yaml: backup.facts.commands: expected a list of strings"),
    ({**GOOD, "backup": {"secret_blocks": [{"begin": "BEGIN"}]}},
     "sonicwall.yaml: backup.secret_blocks[0].end: required key is missing"),
    ({**GOOD, "roles": [{"sys_descr": "TZ", "rol": "firewall"}]},
     "sonicwall.yaml: roles[0].rol: unknown key (did you mean 'role'?)"),
    ({**GOOD, "aliases": ["sonic os"]}, "sonicwall.yaml: aliases[0]: expected a name"),
    ({**GOOD, "vendro": "SonicWall"}, "sonicwall.yaml: vendro: unknown key (did you mean 'vendor'?)"),
    ({key: value for key, value in GOOD.items() if key != "name"},
     "sonicwall.yaml: name: required key is missing"),
    # the snmp: section is checked by netdoc.discover.identify, still at load, still by name
    ({**GOOD, "snmp": {"gte": {"serial": "1.3.6.1.4.1.8741.2.1.1.2.0"}}},
     "sonicwall.yaml: snmp: unknown keys ['gte']"),
    ({**GOOD, "snmp": {"get": {"serial": [{"entity": "serial_number"}]}}},
     "sonicwall.yaml: snmp.get.serial: entity field must be one of"),
])
def test_a_wrong_key_or_type_names_file_and_key_path(tmp_path: Path, body: dict[str, object],
                                                      expected: str) -> None:
    assert _error(tmp_path, body).startswith(expected)


def test_a_profile_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"^x\.yaml: expected a mapping"):
        parse_profile(["name", "x"], "x.yaml")


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nmatch: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"^broken\.yaml: not valid YAML"):
        read_profile(path)


def test_a_typo_in_a_shipped_profile_fails_the_whole_load(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import netdoc.platforms as profiles

    for source in ("cisco_ios.yaml", "linux.yaml"):
        (tmp_path / source).write_text((PROFILE_DIR / source).read_text(encoding="utf-8"),
                                       encoding="utf-8")
    text = (tmp_path / "cisco_ios.yaml").read_text(encoding="utf-8")
    (tmp_path / "cisco_ios.yaml").write_text(text.replace("  secrets:", "  secrest:", 1),
                                             encoding="utf-8")
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    load_profiles.cache_clear()
    try:
        with pytest.raises(ProfileError, match=r"^cisco_ios\.yaml: backup\.secrest: unknown key"):
            load_profiles()
    finally:
        monkeypatch.undo()
        load_profiles.cache_clear()


def test_a_platform_name_points_at_one_profile(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import netdoc.platforms as profiles

    _write(tmp_path, {**GOOD, "aliases": ["sonicos"]}, "a_sonicwall.yaml")
    _write(tmp_path, {"name": "other", "aliases": ["SonicOS"]}, "b_other.yaml")
    monkeypatch.setattr(profiles, "PROFILE_DIR", tmp_path)
    load_profiles.cache_clear()
    try:
        with pytest.raises(ProfileError, match=r"^b_other\.yaml: aliases: 'SonicOS' already "
                                               r"names profile 'sonicwall'"):
            load_profiles()
    finally:
        monkeypatch.undo()
        load_profiles.cache_clear()
