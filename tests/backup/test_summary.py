"""The backup stage's readers: other stages ask them, and never open the backup's files."""
from __future__ import annotations

import time
from pathlib import Path

from netdoc.backup.state import DeviceState, save_states, state_dir
from netdoc.backup.store import ConfigRepository, StoredConfig
from netdoc.backup.summary import backed_up_configs
from netdoc.config import Config, parse_config

CONFIG = "hostname sw1\ninterface Gi1/0/1\n switchport access vlan 10\n"


def _config(tmp_path: Path) -> Config:
    text = "clients:\n  acme:\n    sites:\n      hq: {subnets: [192.0.2.0/24]}\n" \
           "output: {inventory: inventory, config_backups: config_backups}\n"
    return parse_config(text, tmp_path / "netdoc.yaml")


def _backed_up(config: Config, path: str, host: str, text: str = CONFIG) -> None:
    ConfigRepository(config.backups_dir("acme")).write_and_commit(
        [StoredConfig(path, path, text, {"platform": "cisco_ios"})], failed=[])
    states = {path: DeviceState(path=path, host=host, name=path.split("/")[-1], site="hq",
                                last_attempt=time.time(), last_success=time.time())}
    save_states(state_dir(config, "acme"), states)


def test_the_latest_stored_config_is_found_by_the_devices_address(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _backed_up(config, "hq/sw1", "192.0.2.3")
    assert backed_up_configs(config, "acme", {"192.0.2.3", "192.0.2.9"}) == \
        {"192.0.2.3": CONFIG}


def test_no_backup_yet_is_no_config_and_creates_nothing(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert backed_up_configs(config, "acme", {"192.0.2.3"}) == {}
    assert not (tmp_path / "config_backups").exists()


def test_a_device_whose_config_file_is_gone_is_left_out(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _backed_up(config, "hq/sw1", "192.0.2.3")
    (config.backups_dir("acme") / "hq" / "sw1.cfg").unlink()
    assert backed_up_configs(config, "acme", {"192.0.2.3"}) == {}
