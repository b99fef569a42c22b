"""Secret rules that hold only inside a section (profile `backup.secret_sections`).

FortiOS-family platforms name an SNMP v1/v2c community with a plain `set name`
inside `config system snmp community`; the same `set name` elsewhere is no
secret. A section runs from its `begin` line to the next `end` line indented as
far, so the nested `config hosts ... end` does not close it.
"""
from __future__ import annotations

from netdoc.backup.secrets import mask_secrets
from netdoc.platforms import BackupRecipe, profile_named

KEY = b"netdoc tests: fixed masking key."
CONFIG = """\
config system snmp community
    edit 1
        set name "Acme-RO-4hJ5"
        config hosts
            edit 1
                set ip 192.0.2.50 255.255.255.255
            next
        end
        set events cpu-high
    next
    edit 2
        set name "Acme-RO-second"
    next
end
config switch stp settings
    set name "hq"
end
config firewall policy
    edit 1
        set name "LAN-to-WAN"
    next
end
"""


def _recipe(platform: str) -> BackupRecipe:
    profile = profile_named(platform)
    assert profile is not None and profile.backup is not None
    return profile.backup


def test_community_names_in_their_section_are_masked_and_other_names_kept() -> None:
    for platform in ("fortinet_fortiswitch", "fortinet_fortimanager"):
        masked = mask_secrets(CONFIG, _recipe(platform), KEY)
        assert "Acme-RO" not in masked, platform
        assert masked.count('set name "<masked:') == 2
        for kept in ('set name "hq"', 'set name "LAN-to-WAN"', "set events cpu-high",
                     "set ip 192.0.2.50 255.255.255.255"):
            assert kept in masked, (platform, kept)
        assert masked.count("\n") == CONFIG.count("\n")


def test_a_section_ends_at_the_end_line_indented_as_its_begin_line() -> None:
    """The nested `end` of `config hosts` leaves the second entry inside the section;
    the section's own `end` closes it, so the next sections are plain config again."""
    masked = mask_secrets(CONFIG, _recipe("fortinet_fortiswitch"), KEY).split("\n")
    second = masked.index("    edit 2") + 1
    assert masked[second].startswith('        set name "<masked:')
    assert masked[masked.index("config switch stp settings") + 1] == '    set name "hq"'
