"""netdoc.workspace names every path of a client; the inventory's .gitignore comes from it."""
from __future__ import annotations

from pathlib import Path

from netdoc.config import Config, OutputSettings
from netdoc.inventory.store import IGNORED, InventoryStore
from netdoc.models import Device
from netdoc.workspace import UNTRACKED, Workspace


def test_every_path_of_a_client_is_named_in_one_place(tmp_path: Path) -> None:
    config = Config(path=tmp_path / "netdoc.yaml",
                    output=OutputSettings(inventory=tmp_path / "inventory",
                                          config_backups=tmp_path / "configs"))
    files = Workspace.of(config, "acme")
    assert files.inventory == config.inventory_dir("acme")
    assert files.configs == config.backups_dir("acme")
    assert files.state == files.inventory / "state.json"
    assert files.last_run == files.inventory / "last-run.json"
    assert files.run_lock == files.inventory / ".run.lock"
    assert files.backup_lock == tmp_path / "configs" / ".netdoc-state" / "acme" / \
        "repository.lock"
    assert files.clients_index == tmp_path / "inventory" / "index.html"


def test_the_inventory_ignores_exactly_the_private_files(tmp_path: Path) -> None:
    assert IGNORED == UNTRACKED
    store = InventoryStore(tmp_path / "acme")
    store.update([Device(hostname="sw1", mgmt_ip="192.0.2.1", base_mac="02:00:00:00:00:01")],
                 set(), missing_after=3)
    gitignore = (tmp_path / "acme" / ".gitignore").read_text().splitlines()
    assert tuple(gitignore) == UNTRACKED
    files = Workspace.of_inventory(tmp_path / "acme")
    for private in (files.state, files.last_changes, files.inventory_lock):
        assert private.exists() and private.name in gitignore
