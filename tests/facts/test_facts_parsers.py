"""Config facts: each platform family's parser reads a realistic (masked) config into
the facts a technician checked by hand (tests/fixtures/facts/<platform>.facts.yaml).

The fixture's name is the netdoc platform, so the test also proves that the platform's
profile names the parser (`parser:`); Sophos has no profile yet and names its parser.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from netdoc.facts import PARSERS, FactsError, extract, facts_for, from_yaml, to_yaml
from netdoc.facts.model import DeviceFacts, Rule, natural_key
from netdoc.platforms import load_profiles

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facts"
CONFIGS = sorted(FIXTURES.glob("*.cfg"))
NO_PROFILE = {"sophos_sfos": "sophos"}   # platform -> parser, where no profile exists yet
FAMILIES = {"cisco_ios", "cisco_asa", "fortios", "pfsense", "routeros", "junos", "sonicos",
            "sophos", "panos", "procurve", "aoscx"}


def facts_of(config: Path) -> DeviceFacts:
    """<platform>.cfg, or <platform>@<variant>.cfg for a variant's form of the same config."""
    text = config.read_text(encoding="utf-8")
    if config.stem in NO_PROFILE:
        return extract(text, NO_PROFILE[config.stem])
    facts = facts_for(text, config.stem.replace("@", ":"))
    assert facts is not None, f"profile {config.stem} names no facts parser"
    return facts


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_parser_reads_the_hand_checked_facts(config: Path) -> None:
    # a variant (juniper_junos@set: `display set`) must give the same facts as the default
    expected = (FIXTURES / f"{config.stem.split('@')[0]}.facts.yaml").read_text(
        encoding="utf-8")
    assert to_yaml(facts_of(config)) == expected


def test_the_ten_families_are_covered_by_a_fixture() -> None:
    covered = {facts_of(config).parser for config in CONFIGS}
    assert covered == FAMILIES
    assert len(CONFIGS) >= 13


def test_every_profile_parser_is_registered() -> None:
    named = {p.name: p.parser for p in load_profiles().values() if p.parser}
    assert set(named.values()) <= set(PARSERS)
    for platform in ("cisco_ios", "cisco_xe", "cisco_asa", "fortinet_fortigate", "pfsense",
                     "opnsense", "mikrotik_routeros", "juniper_junos", "paloalto_panos",
                     "sonicwall_sonicos", "hp_procurve", "aruba_aoscx"):
        assert platform in named, platform


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_no_secret_reaches_the_facts(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    facts = to_yaml(facts_of(config))
    assert "masked" not in facts
    for token in re.findall(r"<masked:([0-9a-f]+)>", text):
        assert token not in facts


@pytest.mark.parametrize("platform, config, secrets", [
    ("cisco_ios", "hostname r1\nsnmp-server community Pub1icRW RW\nusername bob secret 0 "
                  "Hunter22x\ncrypto isakmp key Psk1234567 address 198.51.100.7\n"
                  "tacacs server T\n address ipv4 192.0.2.60\n key 0 TacKey999\n",
     ["Pub1icRW", "Hunter22x", "Psk1234567", "TacKey999"]),
    ("fortinet_fortigate", "config vpn ipsec phase1-interface\n    edit \"p1\"\n"
                           "        set remote-gw 198.51.100.7\n        set psksecret "
                           "\"PlainPsk77\"\n    next\nend\nconfig system admin\n"
                           "    edit \"admin\"\n        set password \"AdminPw88\"\n"
                           "    next\nend\n", ["PlainPsk77", "AdminPw88"]),
    ("mikrotik_routeros", "/ip ipsec peer\nadd address=198.51.100.7/32 name=hq\n"
                          "/ip ipsec identity\nadd peer=hq secret=RosSecret5\n/snmp community\n"
                          "set [ find default=yes ] name=CommX9\n/user\nadd name=bob "
                          "password=BobPw123 group=full\n",
     ["RosSecret5", "CommX9", "BobPw123"]),
    ("pfsense", "<pfsense><system><user><name>admin</name><bcrypt-hash>$2y$10$abcdefghijk"
                "</bcrypt-hash></user></system><ipsec><phase1><ikeid>1</ikeid>"
                "<remote-gateway>198.51.100.7</remote-gateway><pre-shared-key>XmlPsk42"
                "</pre-shared-key></phase1></ipsec><snmpd><enable/><rocommunity>RoComm1"
                "</rocommunity></snmpd></pfsense>", ["$2y$10$abcdefghijk", "XmlPsk42",
                                                      "RoComm1"]),
])
def test_cleartext_secrets_of_a_keep_secrets_client_stay_out(platform: str, config: str,
                                                             secrets: list[str]) -> None:
    facts = facts_for(config, platform)
    assert facts is not None
    text = to_yaml(facts)
    for secret in secrets:
        assert secret not in text


def test_facts_round_trip_through_yaml() -> None:
    for config in CONFIGS:
        facts = facts_of(config)
        assert from_yaml(to_yaml(facts)) == facts, config.stem


def test_facts_file_is_stable_and_sorted() -> None:
    config = FIXTURES / "cisco_ios.cfg"
    first = to_yaml(facts_of(config))
    assert to_yaml(facts_of(config)) == first
    data = yaml.safe_load(first)
    names = [i["name"] for i in data["interfaces"]]
    assert names == sorted(names, key=natural_key)
    assert sorted(["Gi1/0/10", "Gi1/0/9", "Gi1/0/9.20"], key=natural_key) == \
        ["Gi1/0/9", "Gi1/0/9.20", "Gi1/0/10"]
    assert sorted(["192.0.2.128/26", "192.0.2.0/25", "10"], key=natural_key) == \
        ["192.0.2.0/25", "192.0.2.128/26", "10"]
    assert list(data)[:3] == ["format", "parser", "hostname"]


def test_rules_keep_their_configured_order() -> None:
    facts = facts_of(FIXTURES / "fortinet_fortigate.cfg")
    assert [r.id for r in facts.rules] == ["1", "12", "5", "7"]   # as evaluated, not sorted


def test_the_exposure_a_technician_asks_about_is_in_the_facts() -> None:
    """'What is port 3389 open to?' answered from the firewall's facts."""
    facts = facts_of(FIXTURES / "fortinet_fortigate.cfg")
    rdp: list[Rule] = [r for r in facts.rules if any("3389" in s for s in r.services)]
    assert [(r.id, r.source_zone, r.action) for r in rdp] == [("12", "wan1", "allow")]
    forward = [n for n in facts.nat if n.kind == "destination"]
    assert [(n.destination, n.service, n.translated_destination) for n in forward] == \
        [("203.0.113.19", "tcp/3389", "192.0.2.20")]
    assert facts.management.telnet is True   # telnet allowed on the dmz interface


@pytest.mark.parametrize("parser", sorted(FAMILIES))
def test_garbage_is_a_facts_error_or_empty_facts_never_a_crash(parser: str) -> None:
    for text in ("", "\x00\x01\x02", "}}}{{{ ;;; <<<", "interface\n  ip address\nedit\nset\n",
                 "config {\n  devices {\n", "<pfsense><interfaces><lan>"):
        try:
            facts = extract(text, parser)
        except FactsError as exc:
            assert str(exc)
        else:
            assert facts.parser == parser


@pytest.mark.parametrize("parser", ["pfsense", "sophos"])
def test_xml_entities_are_refused(parser: str) -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><pfsense><system><hostname>&b;'
            '</hostname></system></pfsense>')
    external = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                '<pfsense><system><hostname>&x;</hostname></system></pfsense>')
    for text in (bomb, external):
        with pytest.raises(FactsError, match="refused"):
            extract(text, parser)


def test_an_unknown_parser_name_says_which_exist() -> None:
    with pytest.raises(FactsError, match="cisco_ios"):
        extract("hostname x\n", "no_such_parser")


def test_a_profile_parser_key_is_checked_by_the_strict_loader() -> None:
    from netdoc.platforms import ProfileError, parse_profile

    assert parse_profile({"name": "x", "parser": "cisco_ios"}, "x.yaml").parser == "cisco_ios"
    with pytest.raises(ProfileError, match="parser"):
        parse_profile({"name": "x", "parser": "two words"}, "x.yaml")


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_the_linear_reader_for_long_configs_gives_the_same_facts(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Long configs (past tree.LIBRARY_LIMIT lines) skip ciscoconfparse2, whose parent
    search is quadratic; both readers must see the same config."""
    from netdoc.facts import tree

    expected = to_yaml(facts_of(config))
    monkeypatch.setattr(tree, "LIBRARY_LIMIT", 0)
    assert to_yaml(facts_of(config)) == expected
