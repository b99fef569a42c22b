"""Plain-words changes when a parser numbers entries by position: IOS numbered ACLs
(`access-list 101 ...`) and `ip nat inside source` lines carry no id of their own, so
one line inserted shifts every later id. The change is still one addition."""
from __future__ import annotations

from netdoc.facts import facts_for
from netdoc.facts.changes import describe_changes

BEFORE = """hostname edge
access-list 101 permit tcp any host 203.0.113.1 eq 443
access-list 101 deny ip any any log
ip nat inside source static tcp 192.0.2.20 443 203.0.113.1 443
ip nat inside source list 1 interface GigabitEthernet0/1 overload
"""


def changes(before: str, after: str) -> list[str]:
    return describe_changes(facts_for(before, "cisco_ios"), facts_for(after, "cisco_ios"))


def test_a_line_inserted_before_others_is_one_addition_not_a_cascade() -> None:
    after = BEFORE.replace(
        "access-list 101 permit", "access-list 101 permit tcp any host 203.0.113.1 eq 3389\n"
        "access-list 101 permit", 1).replace(
        "ip nat inside source static", "ip nat inside source static tcp 192.0.2.101 3389 "
        "203.0.113.1 3389\nip nat inside source static", 1)
    assert changes(BEFORE, after) == [
        "ACL entry 101:1 added: any → 203.0.113.1/32 tcp/3389 allow",
        "NAT rule 1 added: 203.0.113.1 tcp/3389 → 192.0.2.101 tcp/3389"]


def test_an_entry_removed_from_the_middle_is_one_removal() -> None:
    after = BEFORE.replace("access-list 101 permit tcp any host 203.0.113.1 eq 443\n", "")
    assert changes(BEFORE, after) == ["ACL entry 101:1 removed"]


def test_an_entry_edited_in_place_is_still_a_change() -> None:
    after = BEFORE.replace("eq 443\n", "eq 8443\n", 1)
    assert changes(BEFORE, after) == [
        "ACL entry 101:1 changed: any → 203.0.113.1/32 tcp/443 allow → "
        "any → 203.0.113.1/32 tcp/8443 allow"]
