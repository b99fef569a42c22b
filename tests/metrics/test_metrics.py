"""`netdoc metrics` and `netdoc health`: what a NOC scrapes and what a monitoring check runs.

The state is written by netdoc's own writers (the runner's report, the backup state,
the inventory store), then read back by the real command line, and the exposition is
parsed by prometheus_client's text parser, as Prometheus would parse it.
"""
from __future__ import annotations

import json
import math
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from netdoc.backup.state import DeviceState, save_states, state_dir
from netdoc.config import parse_config
from netdoc.errors import ConfigError
from netdoc.inventory.store import InventoryStore
from netdoc.metrics import collect, escape_label, health, render
from netdoc.models import Device
from netdoc.app.runner import RunReport, _write_report

HOSTILE = 'core"sw\\1\n} evil{x="y"} 1\r\x1b[31m'

CONFIG = """
output: {{inventory: {root}/inventory, config_backups: {root}/config_backups}}
backup: {{max_age_hours: 48}}
{health}
clients:
  acme:
    sites:
      hq:
        subnets: [192.0.2.0/24]
        devices: [{{host: 192.0.2.1, name: core}}]
  globex:
    sites: {{hq: {{devices: [{{host: 198.51.100.1, name: edge}}]}}}}
"""


def make_config(root: Path, health_line: str = "health: {max_backup_age: 26h}") -> Path:
    path = root / "netdoc.yaml"
    path.write_text(CONFIG.format(root=root, health=health_line), encoding="utf-8")
    return path


def seed_state(root: Path, now: float) -> None:
    """acme: one run with two stages, two devices (one hostile name), one gone,
    one failing; globex: one device backed up three days ago."""
    config = parse_config(make_config(root).read_text(), root / "netdoc.yaml")
    report = RunReport(client="acme", started="2026-11-28T08:00:00Z",
                       finished="2026-11-28T08:01:30Z", seconds=90.0, status="failures",
                       stages=[{"stage": "discover", "seconds": 60.5, "failed": 0},
                               {"stage": "backup", "seconds": 29.5, "failed": 1}])
    ok = RunReport(client="acme", started="2026-11-27T08:00:00Z",
                   finished="2026-11-27T08:00:40Z", seconds=40.0, status="ok")
    _write_report(config.inventory_dir("acme"), ok)
    _write_report(config.inventory_dir("acme"), report)
    store = InventoryStore(config.inventory_dir("acme"))
    store.update([Device(hostname="core", mgmt_ip="192.0.2.1"),
                  Device(hostname="gone-sw", mgmt_ip="192.0.2.9")], set(), 1)
    store.update([Device(hostname="core", mgmt_ip="192.0.2.1")], set(), 1)
    save_states(state_dir(config, "acme"), {
        "hq/core": DeviceState(path="hq/core", host="192.0.2.1", name="core",
                               last_success=now - 3600),
        f"hq/{HOSTILE}": DeviceState(path=f"hq/{HOSTILE}", host="192.0.2.2", name=HOSTILE,
                                     last_success=now - 7200, consecutive_failures=3,
                                     last_attempt=now)})
    save_states(state_dir(config, "globex"), {
        "hq/edge": DeviceState(path="hq/edge", host="198.51.100.1", name="edge",
                               last_success=now - 3 * 86400)})


def netdoc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netdoc.app.cli", "--config",
                           str(root / "netdoc.yaml"), *args],
                          capture_output=True, text=True, timeout=60, cwd=root)


def unix(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def parsed(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    families: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            families.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return families


def value(families: dict[str, list[tuple[dict[str, str], float]]], name: str,
          **labels: str) -> float:
    found = [v for got, v in families[name] if all(got.get(k) == x for k, x in labels.items())]
    assert len(found) == 1, (name, labels, families.get(name))
    return found[0]


def test_metrics_output_parses_with_the_prometheus_parser_and_carries_each_client(
        tmp_path: Path) -> None:
    now = time.time()
    seed_state(tmp_path, now)
    result = netdoc(tmp_path, "metrics")
    assert result.returncode == 0, result.stderr
    families = parsed(result.stdout)

    assert value(families, "netdoc_last_run_timestamp_seconds", client="acme") == \
        unix("2026-11-28T08:01:30Z")
    assert value(families, "netdoc_last_successful_run_timestamp_seconds", client="acme") == \
        unix("2026-11-27T08:00:40Z")  # the ok run the day before
    assert value(families, "netdoc_last_run_status", client="acme", status="failures") == 1
    assert value(families, "netdoc_last_run_status", client="acme", status="ok") == 0
    assert value(families, "netdoc_stage_duration_seconds", client="acme",
                 stage="discover") == 60.5
    assert value(families, "netdoc_stage_duration_seconds", client="acme", stage="backup") == 29.5
    assert value(families, "netdoc_devices", client="acme", state="up") == 1
    assert value(families, "netdoc_devices", client="acme", state="gone") == 1
    assert value(families, "netdoc_devices", client="acme", state="failing") == 1
    assert value(families, "netdoc_backup_age_seconds", client="acme",
                 device="hq/core") == pytest.approx(3600, abs=120)
    assert value(families, "netdoc_last_backup_timestamp_seconds", client="acme") == \
        pytest.approx(now - 3600, abs=1)
    assert value(families, "netdoc_backup_age_seconds", client="globex",
                 device="hq/edge") == pytest.approx(3 * 86400, abs=120)
    assert value(families, "netdoc_backups_stale", client="globex") == 1
    assert value(families, "netdoc_backups_stale", client="acme") == 0
    assert value(families, "netdoc_health_max_backup_age_seconds") == 26 * 3600
    assert value(families, "netdoc_events_received_total", client="acme",
                 kind="config_changed") == 0
    # no run yet for globex: no run timestamp is invented
    assert not [lbl for lbl, _ in families["netdoc_last_run_timestamp_seconds"]
                if lbl["client"] == "globex"]


def test_a_hostile_device_name_stays_inside_its_label(tmp_path: Path) -> None:
    """Quotes, backslashes, newlines and braces in a name cannot forge a sample."""
    seed_state(tmp_path, time.time())
    text = netdoc(tmp_path, "metrics").stdout
    families = parsed(text)
    hostile = [lbl for lbl, _ in families["netdoc_backup_age_seconds"]
               if lbl["host"] == "192.0.2.2"]
    assert len(hostile) == 1
    assert hostile[0]["name"] == 'core"sw\\1\n} evil{x="y"} 1[31m'  # controls dropped
    assert "evil" not in families and not any(line.startswith(("}", " evil"))
                                              for line in text.splitlines())
    assert value(families, "netdoc_backup_consecutive_failures", host="192.0.2.2") == 3


def test_label_escaping_follows_the_exposition_format() -> None:
    assert escape_label('a"b') == 'a\\"b'
    assert escape_label("a\\b") == "a\\\\b"
    assert escape_label("a\nb") == "a\\nb"
    assert escape_label("a\rb\x00c\u2028") == "abc"
    assert escape_label("\udcff") == "?"
    assert len(escape_label("x" * 10_000)) == 200


def test_metrics_written_for_the_textfile_collector_atomically_and_readable(
        tmp_path: Path) -> None:
    seed_state(tmp_path, time.time())
    target = tmp_path / "textfile" / "netdoc.prom"
    result = netdoc(tmp_path, "metrics", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # node_exporter's own user reads it
    assert [p.name for p in target.parent.iterdir()] == ["netdoc.prom"]  # no temporary left
    assert "netdoc_devices" in parsed(target.read_text())


def test_a_never_backed_up_device_has_infinite_age(tmp_path: Path) -> None:
    config = parse_config(make_config(tmp_path).read_text(), tmp_path / "netdoc.yaml")
    save_states(state_dir(config, "acme"), {"hq/core": DeviceState(
        path="hq/core", host="192.0.2.1", last_attempt=time.time(), consecutive_failures=1)})
    families = parsed(render(collect(config)))
    assert math.isinf(value(families, "netdoc_backup_age_seconds", device="hq/core"))


def test_damaged_state_files_do_not_break_the_scrape(tmp_path: Path) -> None:
    config = parse_config(make_config(tmp_path).read_text(), tmp_path / "netdoc.yaml")
    folder = state_dir(config, "acme")
    (folder / "backup-state.json").write_text("{not json")
    config.inventory_dir("acme").mkdir(parents=True)
    (config.inventory_dir("acme") / "last-run.json").write_text('{"stages": "x", "seconds": "y"}')
    families = parsed(render(collect(config)))
    assert value(families, "netdoc_devices", client="acme", state="failing") == 0
    assert value(families, "netdoc_last_run_duration_seconds", client="acme") == 0


def test_events_heard_by_the_listener_are_counted_per_client(tmp_path: Path) -> None:
    config = parse_config(make_config(tmp_path).read_text(), tmp_path / "netdoc.yaml")
    (state_dir(config, "acme") / "listen-events.json").write_text(
        json.dumps({"received": {"config_changed": 10, "link_changed": 2}}))
    (config.output.config_backups / ".netdoc-state" / ".listen-unknown.json").write_text(
        json.dumps({"count": 7}))
    families = parsed(render(collect(config)))
    assert value(families, "netdoc_events_received_total", client="acme",
                 kind="config_changed") == 10
    assert value(families, "netdoc_events_received_total", client="acme",
                 kind="link_changed") == 2
    assert value(families, "netdoc_events_unknown_sender_total") == 7


# ---------------------------------------------------------------- health

def test_health_exits_non_zero_naming_the_stale_client_and_device(tmp_path: Path) -> None:
    seed_state(tmp_path, time.time())
    result = netdoc(tmp_path, "health")
    assert result.returncode == 1
    assert "globex hq/edge: last good backup 72.0 h ago (limit 26.0 h)" in result.stdout
    assert "acme" not in result.stdout
    as_json = json.loads(netdoc(tmp_path, "health", "--json").stdout)
    assert as_json["healthy"] is False
    assert [(p["client"], p["device"]) for p in as_json["problems"]] == [("globex", "hq/edge")]


def test_health_is_zero_when_every_backup_is_fresh(tmp_path: Path) -> None:
    seed_state(tmp_path, time.time())
    result = netdoc(tmp_path, "--client", "acme", "health")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: backups of 1 client(s) within 26.0 h")


def test_health_defaults_to_backup_max_age_hours(tmp_path: Path) -> None:
    seed_state(tmp_path, time.time())
    make_config(tmp_path, health_line="")  # backup.max_age_hours: 48 -> globex (72 h) stale
    config = parse_config((tmp_path / "netdoc.yaml").read_text(), tmp_path / "netdoc.yaml")
    problems = health(config)
    assert [(p.client, p.device) for p in problems] == [("globex", "hq/edge")]
    assert health(config, now=time.time() - 2 * 86400) == []


def test_a_client_whose_backups_never_ran_is_unhealthy(tmp_path: Path) -> None:
    config = parse_config(make_config(tmp_path).read_text(), tmp_path / "netdoc.yaml")
    assert {(p.client, p.reason) for p in health(config)} == {
        ("acme", "no backup has run yet"), ("globex", "no backup has run yet")}


def test_a_bad_health_age_is_a_configuration_error(tmp_path: Path) -> None:
    path = make_config(tmp_path, health_line="health: {max_backup_age: soon}")
    with pytest.raises(ConfigError, match="max_backup_age.*invalid duration"):
        parse_config(path.read_text(), path)
    path = make_config(tmp_path, health_line="health: {max_age: 1h}")
    with pytest.raises(ConfigError, match="max_backup_age"):
        parse_config(path.read_text(), path)

