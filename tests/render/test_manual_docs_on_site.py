"""What no scan can see, on the rendered site and maps (issue 17): a technician writes in
inventory/<client>/docs/ that the "router" is really the firewall, where it sits and who
owns it, and a runbook in Markdown. After `netdoc render` the map draws it as a firewall,
its device page shows the hand-written fields, and the documentation page shows the
runbook as formatted text, with no HTML from the file reaching the page."""
from __future__ import annotations

import json
import re
from pathlib import Path

from netdoc.render.stage import render_client

from conftest import build_client  # type: ignore[import-not-found]

DOCS = """\
devices:
  hq/rtr1: {role: firewall, location: "rack A, U1", owner: ACME IT,
            notes: "the <b>router</b> is the firewall"}
"""
RUNBOOK = """\
# Internet down

1. Check the ONT lights in **rack A**.
2. Call the ISP:

| Provider | Phone |
|---|---|
| ExampleNet | +1 555 0100 |

<script>alert("runbook")</script>
[portal](https://support.example.net) [bad](javascript:alert(1))
"""


def _render(root: Path) -> Path:
    config = build_client(root)
    docs = config.inventory_dir("acme") / "docs"
    docs.mkdir(parents=True)
    (docs / "site.yaml").write_text(DOCS, encoding="utf-8")
    (docs / "internet-down.md").write_text(RUNBOOK, encoding="utf-8")
    outcome = render_client(config, config.client("acme"))
    assert outcome.failures == []
    return config.inventory_dir("acme")


def test_role_override_and_manual_fields_reach_map_device_page_and_docs(scratch: Path) -> None:
    folder = _render(scratch)
    nodes = json.loads((folder / "topology.json").read_text(encoding="utf-8"))["nodes"]
    assert {n.get("name"): n.get("role") for n in nodes}["rtr1"] == "firewall"
    # the map draws it with the firewall style (no other firewall in this office)
    svg = (folder / "site" / "maps" / "site-hq-l2.svg").read_text(encoding="utf-8")
    assert "#fde2e1" in svg
    page = next(p for p in (folder / "site" / "devices").glob("*.html")
                if re.search(r"<h1>rtr1 ", p.read_text(encoding="utf-8")))
    html = page.read_text(encoding="utf-8")
    assert 'class="role role-firewall"' in html
    assert "Location (docs/)</th><td>rack A, U1" in html
    assert "Owner (docs/)</th><td>ACME IT" in html
    assert "the &lt;b&gt;router&lt;/b&gt; is the firewall" in html


def test_runbook_is_markdown_without_raw_html(scratch: Path) -> None:
    docs = (_render(scratch) / "site" / "docs.html").read_text(encoding="utf-8")
    body = docs.split('<section class="runbook"', 1)[1].split("</section>", 1)[0]
    assert '<h3 class="runbook-title">Internet down</h3>' in body
    assert "<strong>rack A</strong>" in body and "<ol>" in body
    assert "<td>ExampleNet</td>" in body
    assert "<script>" not in docs.split("</main>")[0].split("<main")[1]
    assert "&lt;script&gt;" in body
    assert '<a href="https://support.example.net" rel="noopener noreferrer">portal</a>' in body
    assert 'href="javascript' not in body.lower()
