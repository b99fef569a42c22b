"""A probe's data for tests of the central push and the hub: a netdoc.yaml with
clients, each with an inventory repository (real InventoryStore commits), a config
repository (real ConfigRepository commits), backup states and, when asked, the site
the render stage draws. Addresses are TEST-NET only."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from netdoc.backup.state import DeviceState, save_states
from netdoc.backup.store import ConfigRepository, StoredConfig
from netdoc.config import Config, parse_config
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device, Interface


@dataclass(frozen=True)
class Box:
    name: str
    ip: str
    mac: str
    model: str = "C9300-48P"
    serial: str = "FOC0000X0XX"
    role: str = "switch"
    failing: bool = False


def write_config(folder: Path, clients: dict[str, list[Box]], central: str = "",
                 ssh_key: str = "", known_hosts: str = "", extra: str = "",
                 timeout: float = 30) -> Config:
    lines = ["clients:"]
    for name in clients:
        lines += [f"  {name}:", "    sites: {hq: {subnets: [192.0.2.0/24]}}"]
    text = "\n".join(lines) + "\n" + extra
    if central:
        text += f"central:\n  remote: \"{central}\"\n  timeout: {timeout}\n"
        if ssh_key:
            text += f"  ssh_key: {ssh_key}\n"
        if known_hosts:
            text += f"  known_hosts: {known_hosts}\n"
    path = folder / "netdoc.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)


def populate(config: Config, client: str, boxes: list[Box], render: bool = False,
             config_text: str = "") -> None:
    """One discovery and one backup of `boxes`, as a probe's run would leave them."""
    devices = [Device(hostname=b.name, mgmt_ip=b.ip, base_mac=b.mac, model=b.model,
                      serial=b.serial, vendor="Cisco", role=b.role, site="hq",
                      sys_object_id="1.3.6.1.4.1.9.1.2494", sys_descr="Cisco IOS XE",
                      interfaces=[Interface(index=1, name="Gi1/0/1", mac=b.mac)])
               for b in boxes]
    InventoryStore(config.inventory_dir(client)).update(devices, set(), 3)
    repo = ConfigRepository(config.backups_dir(client))
    repo.write_and_commit([StoredConfig(f"hq/{b.name}", f"hq/{b.name} ({b.ip})",
                                        config_text or f"hostname {b.name}\nend\n",
                                        {"platform": "cisco_ios"})
                           for b in boxes if not b.failing],
                          [f"hq/{b.name}: login refused" for b in boxes if b.failing])
    states = {}
    now = time.time()
    for b in boxes:
        state = DeviceState(path=f"hq/{b.name}", host=b.ip, name=b.name, site="hq",
                            platform="cisco_ios")
        if b.failing:
            state.record_failure(now, "authentication failed")
        else:
            state.record_success(now)
        states[state.path] = state
    folder = config.output.config_backups / ".netdoc-state" / client
    folder.mkdir(parents=True, exist_ok=True)
    save_states(folder, states)
    if render:
        from netdoc.render.stage import render_client

        outcome = render_client(config, config.client(client))
        assert outcome.failures == [], outcome.failures
