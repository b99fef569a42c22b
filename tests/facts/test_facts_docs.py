"""Client documentation from config facts: the site's docs.html answers 'which VPNs does
this client have?', 'what is 3389 open to?' and 'which devices still run telnet?'."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netdoc.facts.docs import client_docs, load_client_facts, render_docs
from netdoc.render.site import environment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facts"
FLEET = ["fortinet_fortigate", "cisco_ios", "hp_procurve", "pfsense", "cisco_asa"]


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A client's config repository holding the facts files of five devices."""
    repo = tmp_path / "config_backups" / "acme"
    for name in FLEET:
        (repo / "hq").mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / f"{name}.facts.yaml", repo / "hq" / f"{name}.facts.yaml")
    (repo / "hq" / "broken.facts.yaml").write_text("parser: [unclosed\n", encoding="utf-8")
    return repo


def test_addressing_plan_lists_each_subnet_with_its_vlan_use_and_dhcp(repository: Path) -> None:
    docs = client_docs(load_client_facts(repository))
    plan = {e["network"]: e for e in docs["addressing"]}
    users = plan["192.0.2.0/26"]
    assert users["vlan"] == "10" and users["use"] == "USERS"
    assert users["where"] == ["hq/cisco_ios GigabitEthernet0/1.10 (192.0.2.1)"]
    assert users["dhcp"].startswith("hq/cisco_ios: USERS")
    assert plan["192.0.2.0/25"]["dhcp"]   # the FortiGate's and pfSense's LAN scope
    assert docs["notes"] and "broken" in docs["notes"][0]


def test_vpn_table_and_exposure(repository: Path) -> None:
    docs = client_docs(load_client_facts(repository))
    peers = sorted(v["peer"] for v in docs["vpns"] if v["kind"] == "site-to-site")
    assert peers == ["198.51.100.7"] * 4
    exposed = {(e["device"], e["what"], e["id"]) for e in docs["exposure"]}
    assert ("hq/fortinet_fortigate", "rule", "12") in exposed          # wan1 -> RDP
    assert ("hq/fortinet_fortigate", "port forward", "rdp-forward") in exposed
    assert ("hq/fortinet_fortigate", "management", "https") in exposed  # https on wan1
    assert ("hq/cisco_asa", "rule", "outside_in:2") in exposed
    assert ("hq/cisco_asa", "rule", "outside_in:3") not in exposed     # a disabled deny
    assert ("hq/cisco_ios", "rule", "OUTSIDE-IN:30") in exposed         # ACL in on the WAN
    assert ("hq/pfsense", "port forward", "forward 1") in exposed
    assert not any(e["device"] == "hq/hp_procurve" for e in docs["exposure"])


def test_management_inconsistencies_are_flagged(repository: Path) -> None:
    docs = client_docs(load_client_facts(repository))
    flags = docs["flags"]
    assert "hq/cisco_ios: telnet enabled" in flags
    assert "hq/fortinet_fortigate: plain HTTP management" in flags
    assert "hq/hp_procurve: SNMP v1/v2c on (community in clear text)" in flags
    assert "hq/cisco_asa: NTP differs from the usual 192.0.2.123, 198.51.100.123" in flags
    assert not any(f.startswith("hq/cisco_ios: NTP") for f in flags)


def test_docs_page_renders_escaped_with_rule_filter(repository: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    page = render_docs(environment(None), repository, out,
                       {"client": "acme <b>", "generated": "now", "docs": True})
    html = page.read_text(encoding="utf-8")
    assert 'id="docs-addressing"' in html and 'id="docs-vpns"' in html
    assert 'id="rule-filter"' in html
    assert "<script>" not in html and (out / "assets" / "docs.js").is_file()
    assert "rdp-forward (203.0.113.19 -&gt; 192.0.2.20)" in html
    assert "acme &lt;b&gt;" in html and "acme <b>" not in html
    assert 'href="docs.html">Documentation</a>' in html


def test_a_client_without_facts_gets_a_page_that_says_so(tmp_path: Path) -> None:
    page = render_docs(environment(None), tmp_path / "nothing", tmp_path / "site",
                       {"client": "acme", "generated": "now", "docs": True})
    assert "No config facts yet" in page.read_text(encoding="utf-8")
