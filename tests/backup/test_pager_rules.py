"""Pager prompts are profile data (`backup.more_prompts`): the transport answers every
profile's prompts, cleaning cuts them out, and one left in a cleaned config refuses it.
No pager text is written in the engine's code."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from netdoc.backup.clean import IncompleteOutput, check_complete, terminal_text
from netdoc.platforms import BackupRecipe, PagerRules, load_profiles, pager_rules, parse_profile

PAGES = [
    ("cisco_ios", " --More-- "),
    ("juniper_junos", "---(more 45%)---"),
    ("cisco_asa", "<--- More --->"),
    ("hp_procurve", "-- MORE --, next page: Space, next line: Enter, quit: Control-C"),
    ("ruckus_fastiron", "--More--, next page: Space, next line: Return key, quit: Control-c"),
]


@pytest.mark.parametrize("platform, prompt", PAGES)
def test_a_platforms_page_break_is_answered_and_cut_out(platform: str, prompt: str) -> None:
    recipe = load_profiles()[platform].backup
    assert recipe is not None
    assert any(re.search(p.pattern, prompt, re.IGNORECASE) for p in recipe.more_prompts), \
        "the profile names its pager (matched without regard to case, as the transport does)"
    rules = pager_rules()
    assert rules.at_end.search("interface Gi0/1\r\n" + prompt)
    raw = f"show running-config\r\nhostname a\r\n{prompt}\x1b[2K\x1b[1Ginterface x\r\nend\r\nsw#"
    assert terminal_text(raw, "show running-config", "sw") == "hostname a\ninterface x\nend"


def test_a_config_line_that_mentions_more_is_kept() -> None:
    line = "banner motd Learn more at the helpdesk"
    assert terminal_text(line) == line
    assert not pager_rules().at_end.search(line)


def test_a_new_profiles_pager_is_known_without_touching_code() -> None:
    acme = parse_profile({"name": "acme_os", "backup": {
        "commands": ["show conf"], "more_prompts": [r"\[Press SPACE for more\]"]}},
        "acme_os.yaml")
    rules = PagerRules.of([*load_profiles().values(), acme])
    assert rules.at_end.search("vlan 10\r\n[Press SPACE for more]  ")
    assert rules.remnant.sub("", "[Press SPACE for more]vlan 20") == "vlan 20"
    assert not pager_rules().at_end.search("[Press SPACE for more]")  # not in the shipped set


def test_a_page_break_left_in_the_cleaned_config_refuses_it() -> None:
    with pytest.raises(IncompleteOutput, match="pager prompt"):
        check_complete("hostname a\n<--- More --->x\n", BackupRecipe(), None, 0)


def test_no_pager_text_is_left_in_the_engine() -> None:
    backup = Path(__file__).resolve().parents[2] / "netdoc" / "backup"
    for module in ("transport.py", "clean.py"):
        code = (backup / module).read_text(encoding="utf-8")
        assert not re.search(r"(?i)more ?-->|--More--|next page: Space", code), module
