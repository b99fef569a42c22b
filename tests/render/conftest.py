"""A rendered client built from real parts: the inventory store (git), a config
backup repository with two versions of the core's configuration, Graphviz."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.config import Config, parse_config
from netdoc.models import Device, device_from_dict
from netdoc.app.pipeline import StageOutcome

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "topology"

CONFIG = """\
clients:
  acme:
    sites:
      hq: {subnets: [192.0.2.0/24]}
      branch: {subnets: [203.0.113.64/26]}
  globex:
    sites:
      main: {subnets: [198.51.100.0/24]}
output: {inventory: inventory, config_backups: config_backups}
"""

CORE_V1 = "hostname core\n!\ninterface Gi0/1\n description uplink acc1\n!\nend\n"
CORE_V2 = "hostname core\n!\ninterface Gi0/1\n description uplink to acc1\n!\n" \
          "interface Gi0/4\n description acc3\n!\nend\n"


@dataclass
class Rendered:
    root: Path
    config: Config
    outcome: StageOutcome

    @property
    def site(self) -> Path:
        return self.root / "inventory" / "acme" / "site"


def office_devices() -> list[Device]:
    data = json.loads((FIXTURES / "small_office.json").read_text(encoding="utf-8"))
    return [device_from_dict(d) for d in data["devices"]]


def build_client(root: Path) -> Config:
    """Inventory and config backups for client acme, as discover and backup leave them."""
    from netdoc.backup.state import DeviceState, save_states, state_dir
    from netdoc.backup.store import ConfigRepository, StoredConfig
    from netdoc.inventory.store import InventoryStore

    (root / "netdoc.yaml").write_text(CONFIG, encoding="utf-8")
    config = parse_config(CONFIG, root / "netdoc.yaml")
    InventoryStore(config.inventory_dir("acme")).update(
        office_devices(), set(), missing_after=3,
        now=datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc))
    repo = ConfigRepository(config.backups_dir("acme"))
    for text in (CORE_V1, CORE_V2):
        repo.write_and_commit([StoredConfig("hq/core", "hq/core", text, {"platform": "cisco_ios"})],
                              failed=[])
    now = time.time()
    save_states(state_dir(config, "acme"), {
        "hq/core": DeviceState(path="hq/core", host="192.0.2.2", name="core", site="hq",
                               last_attempt=now, last_success=now),
        "hq/acc2": DeviceState(path="hq/acc2", host="192.0.2.4", name="acc2", site="hq",
                               last_attempt=now, consecutive_failures=2,
                               last_error="authentication failed for netdoc")})
    return config


@pytest.fixture(scope="session")
def rendered() -> Iterator[Rendered]:
    from netdoc.render.stage import render_client

    root = Path(tempfile.mkdtemp(prefix="netdoc-render-"))
    try:
        config = build_client(root)
        outcome = render_client(config, config.client("acme"))
        yield Rendered(root=root, config=config, outcome=outcome)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def scratch() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="netdoc-render-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
