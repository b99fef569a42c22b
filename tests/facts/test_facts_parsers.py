"""Config facts: each platform family's parser reads a realistic (masked) config into
the facts a technician checked by hand (tests/fixtures/facts/<platform>.facts.yaml).

The fixture's name is the netdoc platform, so the test also proves that the platform's
profile names the parser (`parser:`); Sophos has no profile yet and names its parser.
`<platform>#<case>.cfg` is another device of that platform with its own expected facts
(`<platform>#<case>.facts.yaml`): another release's syntax (SonicOS 6.2, 6.5) or
another feature (IOS-XE zone-based firewall); `<platform>@<variant>.cfg` is the same
device's config in another form and must give the same facts.
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
    """<platform>[#case].cfg, or <platform>@<variant>.cfg for a variant's form of the same
    config."""
    text = config.read_text(encoding="utf-8")
    platform = config.stem.split("#")[0]
    if platform in NO_PROFILE:
        return extract(text, NO_PROFILE[platform])
    facts = facts_for(text, platform.replace("@", ":"))
    assert facts is not None, f"profile {platform} names no facts parser"
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
    assert len(CONFIGS) >= 16
    # and the releases or features whose syntax differs have their own fixtures
    for case in ("sonicwall_sonicos#6.2", "sonicwall_sonicos#6.5", "cisco_xe#zbf"):
        assert (FIXTURES / f"{case}.cfg").is_file() and \
            (FIXTURES / f"{case}.facts.yaml").is_file(), case


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


# ---------------------------------------------------------------- IOS zone-based firewall

def _zbf() -> DeviceFacts:
    return facts_of(FIXTURES / "cisco_xe#zbf.cfg")


def test_zone_pair_policies_are_firewall_rules_in_policy_order() -> None:
    policies = [(r.id, r.source_zone, r.destination_zone, r.action)
                for r in _zbf().rules if r.kind == "policy"]
    assert policies == [
        ("ZP-IN-OUT:CM-INSIDE-OUT", "INSIDE", "OUTSIDE", "allow"),
        ("ZP-IN-OUT:class-default", "INSIDE", "OUTSIDE", "deny"),
        ("ZP-OUT-IN:CM-RDP:ACL-RDP-IN:10", "OUTSIDE", "INSIDE", "allow"),
        ("ZP-OUT-IN:class-default", "OUTSIDE", "INSIDE", "deny"),
        ("ZP-OUT-DMZ:CM-WEB-DMZ:ACL-WEB-DMZ:10", "OUTSIDE", "DMZ", "allow"),
        ("ZP-OUT-DMZ:CM-WEB-DMZ:ACL-WEB-DMZ:20", "OUTSIDE", "DMZ", "allow"),
        ("ZP-OUT-DMZ:class-default", "OUTSIDE", "DMZ", "deny"),
        ("ZP-OUT-SELF:CM-VPN:ACL-VPN:10", "OUTSIDE", "self", "allow"),
        ("ZP-OUT-SELF:CM-VPN:ACL-VPN:20", "OUTSIDE", "self", "allow"),
        ("ZP-OUT-SELF:class-default", "OUTSIDE", "self", "deny")]


def test_a_class_says_what_it_lets_through() -> None:
    rules = {r.id: r for r in _zbf().rules}
    web = rules["ZP-IN-OUT:CM-INSIDE-OUT"]   # match-any of protocols
    assert (web.sources, web.destinations, web.services) == (
        ["any"], ["any"], ["http", "https", "dns", "icmp"])
    rdp = rules["ZP-OUT-IN:CM-RDP:ACL-RDP-IN:10"]   # match-all: the ACL, tcp only
    assert (rdp.sources, rdp.destinations, rdp.services) == (["any"], ["192.0.2.20/32"],
                                                             ["tcp/3389"])
    assert rules["ZP-OUT-IN:class-default"].comment == \
        "zone-pair ZP-OUT-IN, policy PM-OUT-IN: drop log"
    # the ACL's deny line (30) does not become an allow rule; the ACL says where it is used
    assert "ZP-OUT-DMZ:CM-WEB-DMZ:ACL-WEB-DMZ:30" not in rules
    assert rules["ACL-WEB-DMZ:30"].applied_to == "class-map CM-WEB-DMZ"


def test_a_class_missing_from_the_config_is_said_in_the_rule() -> None:
    facts = facts_for("policy-map type inspect P\n class type inspect GONE\n  pass\n"
                      "zone-pair security Z source A destination B\n"
                      " service-policy type inspect P\n", "cisco_ios")
    assert facts is not None
    assert facts.rules[0].comment == ("zone-pair Z, policy P: pass (class-map type inspect "
                                      "GONE is not in the config)")


def test_a_zone_pair_without_policy_is_noted() -> None:
    assert _zbf().notes == ["zone-pair ZP-DMZ-IN (DMZ → INSIDE) has no inspect policy: it "
                            "passes no traffic"]


def test_what_the_internet_reaches_through_a_zone_based_firewall() -> None:
    """'What is port 3389 open to?' on a zone-based firewall: the documentation's
    exposure list reads the OUTSIDE zone's allow rules and the port forward."""
    from netdoc.facts.docs import exposure

    found = [(e["what"], e["id"]) for e in exposure("shop/edge-isr1", _zbf())]
    assert ("rule", "ZP-OUT-IN:CM-RDP:ACL-RDP-IN:10") in found
    assert ("rule", "ZP-OUT-DMZ:CM-WEB-DMZ:ACL-WEB-DMZ:10") in found
    assert ("port forward", "2") in found
    assert not any(i.startswith("ZP-IN-OUT") for _, i in found)


@pytest.mark.parametrize("config, expected", [
    # match-all of an ACL permitting any IP and a protocol: the protocol narrows it
    ("class-map type inspect match-all C\n match access-group name A\n match protocol ssh\n"
     "ip access-list extended A\n permit ip 192.0.2.0 0.0.0.255 any\n",
     [("Z:C:A:10", ["192.0.2.0/24"], ["ssh"])]),
    # a class-map matching another class-map, and a match-any mixing ACL and protocols
    ("class-map type inspect match-any INNER\n match protocol ftp\n"
     "class-map type inspect match-any C\n match class-map INNER\n match access-group 101\n"
     "access-list 101 permit tcp host 192.0.2.9 any eq 22\n",
     [("Z:C:101:1", ["192.0.2.9/32"], ["tcp/22"]), ("Z:C:protocols", ["any"], ["ftp"])]),
])
def test_class_map_forms(config: str, expected: list[tuple[str, list[str], list[str]]]) -> None:
    text = (config + "policy-map type inspect P\n class type inspect C\n  inspect\n"
            "zone-pair security Z source A destination B\n service-policy type inspect P\n")
    facts = facts_for(text, "cisco_ios")
    assert facts is not None
    assert [(r.id, r.sources, r.services) for r in facts.rules if r.kind == "policy"] == \
        expected


# ---------------------------------------------------------------- SonicOS 6.x

def test_sonicos_62_one_line_rules_and_nat_with_id_numbers() -> None:
    facts = facts_of(FIXTURES / "sonicwall_sonicos#6.2.cfg")
    rules = {r.id: r for r in facts.rules}
    assert set(rules) == {"1", "7", "9"}
    assert rules["7"].sources == ["Vendor range (198.51.100.200-198.51.100.210)"]
    assert rules["7"].services == ["NAS HTTPS (tcp/5001)"]
    # SonicOS's own per-interface objects resolve to the interface's addresses
    assert rules["9"].sources == ["X0:V20 Subnet (192.0.2.64/26)"]
    forward = next(n for n in facts.nat if n.id == "12")
    assert (forward.kind, forward.translated_destination) == ("destination",
                                                              "NAS (192.0.2.10/32)")
    assert [v.name for v in facts.vpns] == ["To-HQ"]   # `vpn policy ...` as one block
    assert facts.default_gateway == "203.0.113.33"


def test_sonicos_65_block_address_objects_and_named_rules() -> None:
    facts = facts_of(FIXTURES / "sonicwall_sonicos#6.5.cfg")
    assert [r.id for r in facts.rules] == ["partner mail", "WAN to LAN default"]
    assert facts.rules[0].sources == ["Partner net (198.51.100.64/26)"]
    assert facts.nat[0].destination == "WAN Interface IP (203.0.113.66/32)"


def test_sonicos_address_groups_say_their_members() -> None:
    text = ('address-object ipv4 "A" host 192.0.2.5 zone LAN\n'
            'address-object ipv4 "B"\n    network 198.51.100.0 255.255.255.0\n    zone WAN\n'
            '    exit\n'
            'address-group ipv4 "Both"\n    address-object ipv4 "A"\n    address-object ipv4 "B"\n'
            '    exit\n'
            'access-rule ipv4 from WAN to LAN action allow source address group "Both" '
            'service any destination address any\n    exit\n')
    facts = facts_for(text, "sonicwall_sonicos")
    assert facts is not None
    assert facts.rules[0].sources == ["Both (192.0.2.5/32, 198.51.100.0/24)"]
