"""Facts files in the config repository (netdoc.facts.store), without a device: the
stage hands over what it stored, the facts files appear beside the configs."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from netdoc.facts.store import record_facts
from netdoc.facts.structure import section_changes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facts"
IOS = (FIXTURES / "cisco_ios.cfg").read_text(encoding="utf-8")
NXOS = """hostname nx1
feature lacp
interface Ethernet1/1
  description uplink
  switchport mode trunk
ntp server 192.0.2.123 use-vrf management
"""


def _item(path: str, config: str, platform: str) -> SimpleNamespace:
    return SimpleNamespace(path=path, label=f"{path} (192.0.2.9)", config=config,
                           metadata={"platform": platform})


def _store(folder: Path, path: str, config: str) -> None:
    (folder / path).parent.mkdir(parents=True, exist_ok=True)
    (folder / f"{path}.cfg").write_text(config, encoding="utf-8")


def test_facts_file_written_beside_the_config_and_unchanged_runs_leave_it(tmp_path: Path) -> None:
    record = record_facts(tmp_path, [_item("hq/r1", IOS, "cisco_ios")])
    assert record.written == ["hq/r1"] and record.changes == {} and record.warnings == []
    written = (tmp_path / "hq" / "r1.facts.yaml").stat().st_mtime_ns
    _store(tmp_path, "hq/r1", IOS)
    again = record_facts(tmp_path, [_item("hq/r1", IOS, "cisco_ios")])
    assert again.written == [] and again.changes == {}
    assert (tmp_path / "hq" / "r1.facts.yaml").stat().st_mtime_ns == written


def test_a_change_the_facts_see_is_said_from_the_facts(tmp_path: Path) -> None:
    _store(tmp_path, "hq/r1", IOS)
    new = IOS.replace("ntp server 198.51.100.123 prefer\n", "")
    record = record_facts(tmp_path, [_item("hq/r1", new, "cisco_ios")])
    assert record.changes == {"hq/r1": ["NTP server 198.51.100.123 removed"]}


def test_a_change_the_facts_do_not_model_is_said_per_section(tmp_path: Path) -> None:
    _store(tmp_path, "hq/r1", IOS)
    new = IOS.replace("service password-encryption\n", "").replace(
        "interface GigabitEthernet0/1\n description LAN trunk to sw1\n",
        "interface GigabitEthernet0/1\n description LAN trunk to sw1\n load-interval 30\n")
    record = record_facts(tmp_path, [_item("hq/r1", new, "cisco_ios")])
    assert record.changes == {"hq/r1": ["removed: service password-encryption",
                                        "under interface GigabitEthernet0/1: load-interval 30"]}


def test_a_platform_without_a_facts_parser_still_gets_section_lines(tmp_path: Path) -> None:
    _store(tmp_path, "dc/nx1", NXOS)
    new = NXOS.replace("  description uplink\n", "  description uplink to core\n")
    record = record_facts(tmp_path, [_item("dc/nx1", new, "cisco_nxos")])
    assert record.changes == {"dc/nx1": ["under interface Ethernet1/1: description uplink "
                                         "to core"]}
    assert not (tmp_path / "dc" / "nx1.facts.yaml").exists()


def test_section_changes_are_bounded() -> None:
    old = "".join(f"vlan {i}\n name v{i}\n" for i in range(2, 100))
    lines = section_changes(old, "", "ios")
    assert len(lines) == 31 and lines[-1].startswith("... and ")


def test_section_lines_never_carry_a_secret_of_a_keep_secrets_client(tmp_path: Path) -> None:
    old = IOS.replace("snmp-server community <masked:3d4e5f6071> RO 5",
                      "snmp-server community 0ld-s3cret RO 5")
    _store(tmp_path, "hq/r1", old)
    new = old.replace("0ld-s3cret", "n3w-s3cret")
    record = record_facts(tmp_path, [_item("hq/r1", new, "cisco_ios")])
    text = str(record.changes)
    assert "snmp-server community" in text       # the change is still said
    assert "0ld-s3cret" not in text and "n3w-s3cret" not in text


def test_an_unchanged_config_with_current_facts_is_not_read_again(
        tmp_path: Path, monkeypatch: "object") -> None:
    from netdoc import facts as facts_module

    record_facts(tmp_path, [_item("hq/r1", IOS, "cisco_ios")])
    _store(tmp_path, "hq/r1", IOS)
    monkeypatch.setitem(facts_module.PARSERS, "cisco_ios",  # type: ignore[attr-defined]
                        "netdoc.facts.cisco:no_such_parser")
    again = record_facts(tmp_path, [_item("hq/r1", IOS, "cisco_ios")])
    assert again.warnings == [] and again.written == []
    changed = record_facts(tmp_path, [_item("hq/r1", IOS + "!\n", "cisco_ios")])
    assert changed.warnings and "facts not updated" in changed.warnings[0]
