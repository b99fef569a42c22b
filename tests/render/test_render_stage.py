"""The render stage end to end on real parts: inventory store, config git repo, Graphviz."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from netdoc.inventory.store import InventoryStore
from netdoc.models import FdbEntry
from netdoc.app.pipeline import run_one
from netdoc.render.stage import render_client

from conftest import build_client, office_devices  # type: ignore[import-not-found]


def test_outputs_name_every_file_written(rendered: Any) -> None:
    outcome = rendered.outcome
    assert outcome.failures == []
    for what in ("graphml", "topology_json", "site", "maps", "all_clients"):
        assert Path(outcome.outputs[what]).exists(), what
    site = rendered.site
    assert (site / "devices.html").is_file()
    assert (site / "assets" / "netdoc.css").is_file()
    assert len(list((site / "devices").glob("*.html"))) == 17  # 15 inventoried + phone + MAC
    assert {p.suffix for p in (site / "maps").iterdir()} >= {".svg", ".png", ".drawio"}
    summary = json.loads((site / "summary.json").read_text())
    assert summary["network_devices"] == 6 and summary["backups"] == {"failed": 1, "ok": 1}


def test_pages_hold_what_a_technician_looks_for(rendered: Any) -> None:
    pages = rendered.site / "devices"
    core = (pages / "mac-02-00-00-00-01-00.html").read_text()
    for text in ("C9300-24T", "IOS-XE 17.9.4", "GigabitEthernet0/4", "acc3", "1 Gb/s",
                 "../configs/mac-02-00-00-00-01-00.diff.html", "backup: 1 changed"):
        assert text in core, text
    acc2 = (pages / "mac-02-00-00-00-03-00.html").read_text()
    assert "authentication failed for netdoc" in acc2  # the failed backup says why
    assert "printer1" in acc2 and "pc3" in acc2  # what is plugged into its ports
    diff = (rendered.site / "configs" / "mac-02-00-00-00-01-00.diff.html").read_text()
    assert '<span class="add">+interface Gi0/4</span>' in diff
    assert (rendered.site / "configs" / "mac-02-00-00-00-01-00.cfg.txt").read_text().endswith(
        "end\n")


def test_site_is_self_contained(rendered: Any) -> None:
    for page in rendered.site.rglob("*.html"):
        text = page.read_text()
        assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in \
            text, page  # no CDN, nothing fetched from the internet


def test_second_render_is_stable_and_reports_changes(scratch: Path) -> None:
    config = build_client(scratch)
    client = config.client("acme")
    render_client(config, client)
    folder = config.inventory_dir("acme")
    graphml = (folder / "topology.graphml").read_bytes()
    svg = (folder / "site" / "maps" / "site-hq-l2.svg").read_bytes()
    again = render_client(config, client)
    assert again.changes == []
    assert (folder / "topology.graphml").read_bytes() == graphml
    assert (folder / "site" / "maps" / "site-hq-l2.svg").read_bytes() == svg
    # pc1 moves from acc1 Fa0/1 to Fa0/9: the next render reports it
    devices = office_devices()
    acc1 = next(d for d in devices if d.hostname == "acc1")
    acc1.fdb = [FdbEntry(e.mac, "Fa0/9" if e.mac.endswith("a0:01") else e.port, e.vlan)
                for e in acc1.fdb]
    InventoryStore(folder).update(devices, set(), missing_after=3)
    moved = render_client(config, client)
    assert moved.changes == ["endpoint moved: pc1 (acc1 Fa0/1 -> acc1 Fa0/9)"]
    assert [(e.kind, e.device) for e in moved.events] == [("endpoint_moved", "pc1")]
    assert "endpoint moved: pc1" in (folder / "site" / "index.html").read_text()


def test_templates_can_be_overridden_from_netdoc_yaml(scratch: Path) -> None:
    config = build_client(scratch)
    custom = scratch / "my-templates"
    custom.mkdir()
    (custom / "netdoc.css").write_text("body { background: #123456; }\n")
    text = (scratch / "netdoc.yaml").read_text().replace(
        "output: {", "output: {templates: my-templates, ")
    (scratch / "netdoc.yaml").write_text(text)
    from netdoc.config import load_config
    config = load_config(scratch / "netdoc.yaml")
    render_client(config, config.client("acme"))
    site = config.inventory_dir("acme") / "site"
    assert (site / "assets" / "netdoc.css").read_text() == "body { background: #123456; }\n"
    assert "<table id=\"devices\"" in (site / "devices.html").read_text()  # others from default


def test_a_broken_template_fails_the_stage_and_keeps_the_previous_site(scratch: Path) -> None:
    config = build_client(scratch)
    render_client(config, config.client("acme"))
    site = config.inventory_dir("acme") / "site"
    before = (site / "index.html").read_text()
    custom = scratch / "broken"
    custom.mkdir()
    (custom / "devices.html.j2").write_text("{% for x in %}\n")
    text = (scratch / "netdoc.yaml").read_text().replace("output: {", "output: {templates: broken, ")
    (scratch / "netdoc.yaml").write_text(text)
    from netdoc.config import load_config
    config = load_config(scratch / "netdoc.yaml")
    outcome = run_one(config, config.client("acme"), "render")
    assert outcome.failures and "devices.html.j2" in outcome.failures[0].reason
    assert (site / "index.html").read_text() == before
    assert not (site.parent / ".site.new").exists()


def test_nothing_to_render_before_discovery(scratch: Path) -> None:
    config = build_client(scratch)
    shutil.rmtree(config.inventory_dir("acme"))
    outcome = render_client(config, config.client("acme"))
    assert "run `netdoc discover` first" in outcome.summary
    assert outcome.failures == []


def test_the_client_page_lists_the_recent_runs(scratch: Path) -> None:
    config = build_client(scratch)
    runs = config.inventory_dir("acme") / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for stamp, status, failures in (("2026-11-01T02:00:00Z", "ok", []),
                                    ("2026-11-02T02:00:00Z", "failures",
                                     [{"host": "192.0.2.9", "name": "edge", "reason": "timeout"}])):
        (runs / f"{stamp.replace(':', '')}.json").write_text(json.dumps({
            "started": stamp, "status": status, "seconds": 12.5, "failures": failures,
            "events": [], "stages": [{"stage": "discover"}, {"stage": "backup"}]}))
    render_client(config, config.client("acme"))
    page = (config.inventory_dir("acme") / "site" / "index.html").read_text()
    recent = page[page.index("Recent runs"):]
    assert recent.index("2026-11-02T02:00:00Z") < recent.index("2026-11-01T02:00:00Z")
    assert "<td>failures</td>" in recent and "<td>discover, backup</td>" in recent
