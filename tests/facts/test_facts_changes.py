"""Changes in plain words: what a technician reads before the line diff."""
from __future__ import annotations

from pathlib import Path

from netdoc.facts import facts_for
from netdoc.facts.changes import describe_changes
from netdoc.facts.model import DeviceFacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facts"


def _facts(platform: str, text: str) -> DeviceFacts:
    facts = facts_for(text, platform)
    assert facts is not None
    return facts


def _edit(platform: str, *replacements: tuple[str, str]) -> list[str]:
    text = (FIXTURES / f"{platform}.cfg").read_text(encoding="utf-8")
    new = text
    for old, replacement in replacements:
        assert old in new, old
        new = new.replace(old, replacement, 1)
    return describe_changes(_facts(platform, text), _facts(platform, new))


def test_the_same_config_has_no_changes() -> None:
    text = (FIXTURES / "cisco_asa.cfg").read_text(encoding="utf-8")
    assert describe_changes(_facts("cisco_asa", text), _facts("cisco_asa", text)) == []


def test_no_previous_facts_means_nothing_to_describe() -> None:
    text = (FIXTURES / "cisco_ios.cfg").read_text(encoding="utf-8")
    assert describe_changes(None, _facts("cisco_ios", text)) == []


def test_a_firewall_policy_added_is_one_line_with_from_to_what_and_action() -> None:
    changes = _edit("fortinet_fortigate", ("config firewall policy\n", """config firewall policy
    edit 20
        set name "rdp-public"
        set srcintf "wan1"
        set dstintf "internal"
        set action accept
        set srcaddr "all"
        set dstaddr "rdp-server"
        set service "RDP"
    next
"""))
    assert changes == ["firewall policy 20 (rdp-public) added: wan1 → internal: all → "
                       "rdp-server (192.0.2.20/32) RDP (tcp/3389) allow"]


def test_a_vpn_peer_removed_and_a_policy_disabled() -> None:
    changes = _edit("cisco_asa",
                    ("crypto map outside_map 10 set peer 198.51.100.7\n", ""),
                    ("access-list inside_in extended permit ip object inside-net any",
                     "access-list inside_in extended permit ip object inside-net any inactive"))
    assert "VPN peer 198.51.100.7 (outside_map 10) removed" in changes
    assert "VPN outside_map 10 added: site-to-site 192.0.2.0/25 → 198.51.100.0/25 " \
           "(AES256)" in changes
    assert "firewall policy inside_in:1 changed: inside → any: inside-net (192.0.2.0/25) → " \
           "any any allow [inside in] → inside → any: inside-net (192.0.2.0/25) → any any " \
           "allow (disabled) [inside in]" in changes


def test_a_vlan_added_to_a_port_names_the_vlan() -> None:
    changes = _edit("cisco_ios", ("interface FastEthernet0/3\n switchport access vlan 10\n"
                                  " switchport voice vlan 30\n",
                                  "interface FastEthernet0/3\n switchport access vlan 10\n"))
    assert changes == ["VLAN 30 (VoIP) removed from FastEthernet0/3"]
    back = _edit("cisco_ios", ("interface GigabitEthernet0/2\n description spare\n",
                               "interface GigabitEthernet0/2\n description spare\n"
                               " switchport access vlan 30\n"))
    assert "VLAN 30 (VoIP) added to GigabitEthernet0/2" in back


def test_port_forwards_and_management_changes() -> None:
    changes = _edit("mikrotik_routeros",
                    ("to-addresses=192.0.2.20 to-ports=3389", "to-addresses=192.0.2.21 "
                                                               "to-ports=3389"),
                    ("set telnet disabled=yes\n", ""),
                    ("add address=192.0.2.123\n", "add address=198.51.100.123\n"))
    assert "NAT rule 2 changed: 203.0.113.34 tcp/3389 → 192.0.2.20 tcp/3389 on ether1 → " \
           "203.0.113.34 tcp/3389 → 192.0.2.21 tcp/3389 on ether1" in changes
    assert "telnet enabled" in changes
    assert "NTP server 198.51.100.123 added" in changes
    assert "NTP server 192.0.2.123 removed" in changes


def test_a_huge_change_is_counted_not_listed_in_full() -> None:
    old = DeviceFacts(parser="cisco_ios")
    text = "".join(f"vlan {i}\n name v{i}\n" for i in range(2, 600))
    changes = describe_changes(old, _facts("cisco_ios", text))
    assert len(changes) == 201
    assert changes[-1] == "... and 398 more changes"
