"""What no scan can see: hand-written docs (inventory/<client>/docs) on the site, checked
strictly, and never a plaintext credential."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from netdoc.facts.docs import render_docs
from netdoc.facts.manual import ManualDocsError, load_manual_docs, parse_docs_yaml
from netdoc.render.site import environment

DOCS_YAML = """\
devices:
  hq/fw1: {role: firewall, location: "rack A, U12", owner: ACME IT, notes: "the 'router' is the firewall"}
circuits:
  - {provider: ExampleNet, circuit_id: EN-4711, support_phone: "+1 555 0100", site: hq,
     wan_ips: [203.0.113.10], notes: "fibre, 500/500"}
remote_access:
  - {method: "SSH via jump host", host: 203.0.113.10, credential: "vault:acme-jump"}
"""
RUNBOOK = "# Internet down\n1. Check the ONT <b>lights</b> in rack A.\n2. Call ExampleNet.\n"


def _client(tmp_path: Path) -> Path:
    docs = tmp_path / "inventory" / "acme" / "docs"
    docs.mkdir(parents=True)
    (docs / "site.yaml").write_text(DOCS_YAML, encoding="utf-8")
    (docs / "internet-down.md").write_text(RUNBOOK, encoding="utf-8")
    return docs


def test_manual_fields_circuits_remote_access_and_runbooks_are_read(tmp_path: Path) -> None:
    docs = load_manual_docs(_client(tmp_path))
    assert docs.errors == []
    assert docs.devices[0].role == "firewall" and docs.devices[0].location == "rack A, U12"
    assert docs.circuits[0].circuit_id == "EN-4711"
    assert docs.circuits[0].wan_ips == ["203.0.113.10"]
    assert docs.remote_access[0].credential == "vault:acme-jump"
    assert docs.runbooks[0].title == "Internet down"


def test_a_plaintext_credential_is_refused_with_the_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(ManualDocsError, match=r"acme\.yaml: remote_access\[0\]\.credential: "
                                              r"only a vault: reference"):
        parse_docs_yaml({"remote_access": [{"method": "rdp", "credential": "Passw0rd!"}]},
                        "acme.yaml")


def test_a_typo_is_an_error_that_suggests_the_key() -> None:
    with pytest.raises(ManualDocsError, match="did you mean 'circuit_id'"):
        parse_docs_yaml({"circuits": [{"provider": "x", "circuit_ld": "1"}]}, "c.yaml")


def test_a_broken_file_is_reported_on_the_page_and_the_rest_still_shows(tmp_path: Path) -> None:
    docs = _client(tmp_path)
    (docs / "broken.yaml").write_text("circuits: [unclosed\n", encoding="utf-8")
    (docs / "plain.yaml").write_text("remote_access:\n  - {method: vpn, credential: hunter2}\n",
                                     encoding="utf-8")
    site = tmp_path / "inventory" / "acme" / ".site.new"
    page = render_docs(environment(None), tmp_path / "no-backups", site,
                       {"client": "acme", "generated": "now", "docs": True})
    html = page.read_text(encoding="utf-8")
    assert "broken.yaml: not valid YAML" in html
    assert "plain.yaml: remote_access[0].credential" in html and "hunter2" not in html
    assert "EN-4711" in html and "vault:acme-jump" in html
    assert "Check the ONT &lt;b&gt;lights&lt;/b&gt;" in html      # escaped, as written
    assert 'id="page-filter"' in html


def test_symlinks_in_docs_are_not_followed(tmp_path: Path) -> None:
    docs = _client(tmp_path)
    outside = tmp_path / "secret.md"
    outside.write_text("# not yours\n", encoding="utf-8")
    (docs / "link.md").symlink_to(outside)
    assert [b.title for b in load_manual_docs(docs).runbooks] == ["Internet down"]


def test_a_role_override_reaches_the_topology_the_maps_draw(tmp_path: Path) -> None:
    from netdoc.facts.manual import apply_roles
    from netdoc.models import Device
    from netdoc.topology import build_topology

    docs = _client(tmp_path)
    (docs / "site.yaml").write_text("devices:\n  hq/gw1: {role: firewall}\n"
                                    "  192.0.2.9: {role: server}\n", encoding="utf-8")
    devices = [Device(hostname="gw1", mgmt_ip="192.0.2.1", role="router", site="hq"),
               Device(hostname="nas1", mgmt_ip="192.0.2.9", role="unknown", site="hq"),
               Device(hostname="sw1", mgmt_ip="192.0.2.2", role="switch", site="hq")]
    changed = apply_roles(devices, docs)
    assert [d.role for d in changed] == ["firewall", "server", "switch"]
    # the inventory's host name may carry the domain: gw1.acme.local is gw1
    fqdn = Device(hostname="gw1.acme.local", mgmt_ip="192.0.2.1", role="router", site="hq")
    assert apply_roles([fqdn], docs)[0].role == "firewall"
    bare = Device(hostname="", mgmt_ip="192.0.2.9", role="unknown", site="hq")
    assert apply_roles([bare], docs)[0].role == "server"
    assert devices[0].role == "router"   # the inventory record itself is not rewritten
    graph = build_topology(changed, "acme")
    roles = {data.get("label", n): data.get("role") for n, data in graph.nodes(data=True)
             if data.get("kind") == "device"}
    assert "firewall" in roles.values()


def test_runbooks_are_markdown_with_raw_html_and_unsafe_links_left_out() -> None:
    from netdoc.facts.manual import Runbook, markdown_html

    html = markdown_html("# Internet down\n## Steps\n1. Ping **8.8.8.8**\n\n"
                         "<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) "
                         "[b](file:///etc/passwd) [c](JaVaScRiPt&#58;alert(1)) "
                         "[d](https://portal.example.net) [e](tel:+15550100) [f](howto.md)",
                         drop_title="Internet down")
    assert "Internet down" not in html            # the title is shown above the runbook
    assert "<h5>Steps</h5>" in html                # headings sit under the page's h2/h3
    assert "<strong>8.8.8.8</strong>" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs == ["https://portal.example.net", "tel:+15550100", "howto.md"]
    assert str(Runbook("T", "# T\nx").html) == "<p>x</p>\n"
