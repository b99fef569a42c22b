"""Prompt and pager shapes of real platforms that the transport and cleaning must know.

The transport reads a command's answer until the prompt returns, answering page breaks
with a space; cleaning then removes what is left of the pager and the trailing prompt.
These are the shapes that broke that loop before: Cisco FTD's bare "> " (no host name
at all), Extreme EXOS's "* " before a prompt with unsaved changes, and the FastIron
pager ("--More--, next page: Space, next line: Return key, quit: Control-c").
"""
from __future__ import annotations

import pytest

from netdoc.backup.clean import terminal_text
from netdoc.backup.transport import _prompt_pattern
from netdoc.platforms import pager_rules


@pytest.mark.parametrize("tail", ["\r\n> ", "\n>", "\r\n\x1b[K> "])
def test_a_bare_prompt_ends_the_answer(tail: str) -> None:
    assert _prompt_pattern(">").search("Cryptochecksum:8a3c51e0\n: end" + tail)


@pytest.mark.parametrize("tail", [
    ":\r\n",                                   # the ASA/FTD config header's ":" line
    ": Hardware:   FPR-1010, 2581 MB RAM, CPU Atom C3000 series 2200 MHz, 1 CPU (4 cores)\r\n:",
    " description uplink #",                   # a config line that merely ends in "#"
    "object-group network inside >",
])
def test_a_config_line_is_not_taken_for_a_bare_prompt(tail: str) -> None:
    """A chunk of output may end anywhere: only a line that is just ">" is FTD's prompt."""
    assert not _prompt_pattern(">").search(": Saved\n" + tail)


def test_a_prompt_marked_with_unsaved_changes_is_still_the_prompt() -> None:
    prompt = _prompt_pattern("x440-hq")
    assert prompt.search("configure iproute add default 192.0.2.1\r\n* x440-hq.7 # ")
    assert prompt.search("configure iproute add default 192.0.2.1\r\nx440-hq.8 # ")
    assert not prompt.search('configure snmp sysName "x440-hq"\r\n')


def test_the_trailing_marked_prompt_is_no_part_of_the_config() -> None:
    raw = 'show configuration\r\n#\r\nconfigure snmp sysName "x440-hq"\r\n* x440-hq.7 # '
    assert terminal_text(raw, "show configuration", "x440-hq") == \
        '#\nconfigure snmp sysName "x440-hq"'


FASTIRON_PAGER = "--More--, next page: Space, next line: Return key, quit: Control-c"


def test_the_fastiron_pager_is_answered() -> None:
    assert pager_rules().at_end.search("vlan 10 name users by port\r\n" + FASTIRON_PAGER)


def test_the_fastiron_pager_and_its_ansi_erase_leave_no_trace() -> None:
    raw = ("show running-config\r\nvlan 10 name users by port\r\n!\r\n" + FASTIRON_PAGER
           + "\x1b[2K\x1b[1Ghostname icx-hq1\r\nend\r\nSSH@icx-hq1#")
    assert terminal_text(raw, "show running-config", "SSH@icx-hq1") == \
        "vlan 10 name users by port\n!\nhostname icx-hq1\nend"
