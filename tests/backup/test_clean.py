"""Cleaning and masking, step by step, on terminal transcripts written out by hand."""
from __future__ import annotations

import pytest

from netdoc.backup.clean import IncompleteOutput, apply_recipe, check_complete, terminal_text
from netdoc.backup.secrets import load_mask_key, mask_secrets, placeholder
from netdoc.platforms import BackupRecipe, profile_named

KEY = b"k" * 32


def _recipe(name: str) -> BackupRecipe:
    profile = profile_named(name)
    assert profile is not None and profile.backup is not None
    return profile.backup


def test_terminal_text_drops_echo_prompt_and_escape_codes() -> None:
    raw = ("show running-config\r\n\x1b[1;24r\x1b[24;1Hhostname sw1\x1b[m\r\n"
           "interface Gi1\r\n end\r\n\x1b[2Ksw1#")
    assert terminal_text(raw, "show running-config", "sw1") == "hostname sw1\ninterface Gi1\n end"


def test_pager_remnants_and_backspaces_are_removed() -> None:
    raw = ("line 1\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bline 2\n"
           "line 3\n-- MORE --, next page: Space, next line: Enter, quit: Control-C\r"
           "                                                               \rline 4\n"
           "  ---- More ----\x1b[16D                \x1b[16Dline 5\n"
           "<--- More --->\r              \rline 6\n")
    assert terminal_text(raw) == "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n"


def test_carriage_return_overwrites_like_a_terminal() -> None:
    assert terminal_text("abcdef\rXY\n") == "XYcdef\n"


def test_recipe_drops_header_and_volatile_lines_and_blank_noise() -> None:
    text = ("Building configuration...\n\nCurrent configuration : 1234 bytes\n!\n"
            "! Last configuration change at 10:00:00 UTC Mon Jan 1 2024\n"
            "version 15.2\nntp clock-period 17179869\nhostname sw1\nend\n\n\n")
    assert apply_recipe(text, _recipe("cisco_ios")) == "!\nversion 15.2\nhostname sw1\nend\n"


@pytest.mark.parametrize("text,reason", [
    ("", "empty configuration"),
    ("\n \n", "empty configuration"),
    ("version 15.2\nhostname sw1\n", "end marker"),
    ("version 15.2\n --More-- \nend\n", "pager prompt"),
])
def test_incomplete_output_is_refused(text: str, reason: str) -> None:
    with pytest.raises(IncompleteOutput, match=reason):
        check_complete(text, _recipe("cisco_ios"), None, 0.5)


def test_shrink_limit_compares_with_the_last_good_backup() -> None:
    good = "version 15.2\n" + "interface x\n" * 100 + "end\n"
    small = "version 15.2\nend\n"
    with pytest.raises(IncompleteOutput, match="shrank from"):
        check_complete(small, _recipe("cisco_ios"), good, 0.5)
    check_complete(small, _recipe("cisco_ios"), good, 0.0)  # 0 switches the check off
    somewhat_smaller = "version 15.2\n" + "interface x\n" * 60 + "end\n"
    check_complete(somewhat_smaller, _recipe("cisco_ios"), good, 0.5)


def test_placeholders_are_stable_keyed_and_change_with_the_secret() -> None:
    assert placeholder("public", KEY) == placeholder("public", KEY)
    assert placeholder("public", KEY) != placeholder("public2", KEY)
    assert placeholder("public", KEY) != placeholder("public", b"x" * 32)
    assert "public" not in placeholder("public", KEY)


def test_every_secret_on_a_line_is_masked() -> None:
    line = "add name=vpn password=\"a b\" secret=xyz comment=keep"
    masked = mask_secrets(line, _recipe("mikrotik_routeros"), KEY)
    assert masked == (f"add name=vpn password={placeholder(chr(34) + 'a b' + chr(34), KEY)} "
                      f"secret={placeholder('xyz', KEY)} comment=keep")


def test_private_keys_are_masked_as_one_block_on_every_platform() -> None:
    text = ("crypto key\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\nBBBB\n"
            "-----END RSA PRIVATE KEY-----\nend")
    masked = mask_secrets(text, _recipe("cisco_ios"), KEY)
    assert masked == ("crypto key\n-----BEGIN RSA PRIVATE KEY-----\n"
                      f"{placeholder('AAAA' + chr(10) + 'BBBB', KEY)}\n"
                      "-----END RSA PRIVATE KEY-----\nend")


def test_mask_key_is_created_private_and_reused(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "state"
    key = load_mask_key(folder)
    assert len(key) == 32 and load_mask_key(folder) == key
    assert (folder / "mask.key").stat().st_mode & 0o777 == 0o600
