"""Credentials only where they belong: a rogue box on the client LAN harvests nothing.

The rogue answers SNMP as a Cisco switch (tests/support/hostile_snmp_agent.py,
told to claim a Catalyst's sysObjectID) and SSH as one (the replay server, which
records every username/password offered to it). netdoc's discovery believes the
SNMP story - it is a switch, platform cisco_ios - but no SSH credential goes to
a device netdoc.yaml does not list, unless the site opts in for its platform;
a claimed identity that conflicts with a known device is held until accepted;
and a device that logged in once is offered that one credential set only.
"""
from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from backup_helpers import TEST_MASK_KEY, load_recording  # type: ignore[import-not-found]
from netdoc.discover.collectors.snmp import poll_device
from netdoc.backup.hostkeys import HostKeyStore
from netdoc.backup.stage import run_backup
from netdoc.backup.state import load_states, state_dir
from netdoc.backup.targets import backup_targets
from netdoc.backup.transport import NetmikoSource
from netdoc.config import Config, CredentialSet, SnmpCredential, SnmpSettings, parse_config
from netdoc.inventory.store import InventoryStore
from netdoc.models import Device
from netdoc.app.pipeline import StageOutcome
from netdoc.secrets import Secret
from support.hostile_snmp_agent import HostileAgent
from support.replay_server import Faults, ReplayServer, ServedDevice

CATALYST = {
    "1.3.6.1.2.1.1.1.0": ("str", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), "
                                 "Version 15.2(7)E4, RELEASE SOFTWARE (fc2)"),
    "1.3.6.1.2.1.1.2.0": ("oid", "1.3.6.1.4.1.9.1.1208"),
    "1.3.6.1.2.1.1.5.0": ("str", "core-sw"),
}
CREDENTIALS = {
    "lab": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_SSH",
                    "enable": "env:NETDOC_TEST_ENABLE"}},
    "other": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_WRONG"}},
    "snmp-v2": {"snmp": {"version": "2c", "community": "env:NETDOC_TEST_WRONG"}},
}


def rogue_device_from_snmp(ip: str) -> Device:
    """What discovery makes of the rogue: poll the lying agent, place it at `ip`."""
    with HostileAgent(community="public") as agent:
        agent.tree.update(CATALYST)
        agent.order = sorted(agent.tree, key=lambda o: tuple(int(p) for p in o.split(".")))
        credential = CredentialSet("probe", snmp=SnmpCredential(
            version="2c", community=Secret("public", _plain="public")))
        result = asyncio.run(poll_device("127.0.0.1", agent.port, [credential],
                                         SnmpSettings(timeout=3, retries=2, device_budget=90),
                                         site="hq"))
    assert result.device is not None, result.error
    device = result.device
    assert (device.platform, device.role) == ("cisco_ios", "switch"), \
        "the rogue must be believed to be a Cisco switch, or this test proves nothing"
    device.mgmt_ip, device.site = ip, "hq"
    return device


def write_config(root: Path, devices: list[dict[str, Any]], site_extra: dict[str, Any]
                 | None = None, credentials: list[str] | None = None) -> Config:
    data = {"credentials": CREDENTIALS,
            "clients": {"acme": {"sites": {"hq": {
                "credentials": credentials or ["lab", "other", "snmp-v2"],
                "devices": devices, **(site_extra or {})}}}},
            "output": {"config_backups": str(root / "config_backups"),
                       "inventory": str(root / "inventory")}}
    text = yaml.safe_dump(data, sort_keys=False)
    (root / "netdoc.yaml").write_text(text, encoding="utf-8")
    return parse_config(text, root / "netdoc.yaml")


def run(config: Config) -> StageOutcome:
    folder = state_dir(config, "acme")
    key = folder / "mask.key"
    if not key.exists():
        key.write_bytes(TEST_MASK_KEY)
        key.chmod(0o600)
    return run_backup(config, config.client("acme"), NetmikoSource())


def serve_rogue_on_port_22(replay: ReplayServer, host: str) -> ServedDevice:
    """The rogue's SSH side where discovered devices are contacted: port 22."""
    probe = socket.socket()
    try:
        probe.bind((host, 22))
    except OSError as exc:
        pytest.skip(f"cannot listen on {host}:22 for the rogue ({exc.strerror}); needs root "
                    f"and no sshd bound to all addresses")
    finally:
        probe.close()
    return replay.serve(load_recording("cisco_ios"), host=host, port=22,
                        faults=Faults(password="never-matches"))


def test_a_rogue_cisco_lookalike_receives_no_credential(tmp_path: Path,
                                                        replay: ReplayServer) -> None:
    legit = replay.serve(load_recording("cisco_ios"))
    rogue = serve_rogue_on_port_22(replay, "127.0.0.2")
    config = write_config(tmp_path, [{"host": legit.host, "name": "sw1", "platform": "cisco_ios",
                                      "ssh_port": legit.port}])
    InventoryStore(config.inventory_dir("acme")).update([rogue_device_from_snmp("127.0.0.2")],
                                                        set(), 3)

    outcome = run(config)

    assert rogue.faults.offered == [], "a device netdoc.yaml does not list got credentials"
    assert [u for u, _ in legit.faults.offered] == ["netdoc"], "the listed device is backed up"
    assert not outcome.failures and "1 device(s)" in outcome.summary


def test_discovered_devices_are_backed_up_only_with_the_sites_opt_in(tmp_path: Path) -> None:
    rogue = Device(hostname="core-sw", mgmt_ip="192.0.2.77", role="switch",
                   platform="cisco_ios", site="hq")
    printer_like = Device(hostname="fw", mgmt_ip="192.0.2.78", role="firewall",
                          platform="fortinet_fortigate", site="hq")
    config = write_config(tmp_path, [])
    InventoryStore(config.inventory_dir("acme")).update([rogue, printer_like], set(), 3)
    assert backup_targets(config, config.client("acme")) == []

    opted = write_config(tmp_path, [], {"backup": {"discover": True, "platforms": ["cisco_ios"]}})
    assert [t.host for t in backup_targets(opted, opted.client("acme"))] == ["192.0.2.77"]


def test_opt_in_without_platforms_is_a_configuration_error(tmp_path: Path) -> None:
    from netdoc.errors import ConfigError

    with pytest.raises(ConfigError, match="platforms"):
        write_config(tmp_path, [], {"backup": {"discover": True}})


def test_a_device_claiming_a_known_serial_elsewhere_gets_nothing_until_accepted(
        tmp_path: Path, replay: ReplayServer) -> None:
    known = replay.serve(load_recording("cisco_ios"))
    impostor = replay.serve(load_recording("cisco_ios"), host="127.0.0.3")
    inventory = InventoryStore(tmp_path / "inventory" / "acme")
    devices = [{"host": known.host, "name": "sw1", "platform": "cisco_ios",
                "ssh_port": known.port},
               {"host": impostor.host, "name": "sw2", "platform": "cisco_ios",
                "ssh_port": impostor.port}]
    config = write_config(tmp_path, devices, credentials=["lab"])
    inventory.update([Device(hostname="sw1", mgmt_ip=known.host, serial="FOC1234X0AB",
                             role="switch", platform="cisco_ios", site="hq")], set(), 3)
    assert not run(config).failures
    # discovery now sees the serial FOC1234X0AB answering at the impostor's address
    inventory.update([Device(hostname="sw1", mgmt_ip=impostor.host, serial="FOC1234X0AB",
                             role="switch", platform="cisco_ios", site="hq")], set(), 3)
    impostor.faults.offered.clear()

    outcome = run(config)

    assert impostor.faults.offered == [], "an identity clone was sent credentials"
    reasons = [f.reason for f in outcome.failures if f.host == impostor.host]
    assert reasons and "identity conflict" in reasons[0] and "hostkey accept" in reasons[0]
    accepted = HostKeyStore(state_dir(config, "acme")).accept(impostor.host, impostor.port)
    assert accepted.identity == {"serial": "foc1234x0ab"}
    run(config)
    assert [u for u, _ in impostor.faults.offered] == ["netdoc"], "accepted: backed up again"


def test_a_known_device_is_offered_only_the_credential_set_that_worked(
        tmp_path: Path, replay: ReplayServer) -> None:
    device = replay.serve(load_recording("cisco_ios"))
    seed = {"host": device.host, "name": "sw1", "platform": "cisco_ios", "ssh_port": device.port,
            "credentials": ["other", "lab"]}
    config = write_config(tmp_path, [seed])
    assert not run(config).failures
    assert [p for _, p in device.faults.offered] == ["not-the-password", "lab-pass"]  # 1st
    device.faults.offered.clear()

    assert not run(config).failures
    assert [p for _, p in device.faults.offered] == ["lab-pass"], "refused set sprayed again"

    # the device's password changes to the one of the other set: only now is it tried
    device.faults.offered.clear()
    device.faults.password = "not-the-password"
    outcome = run(config)
    assert not outcome.failures
    assert [p for _, p in device.faults.offered] == ["lab-pass", "not-the-password"]
    notes = [c for c in outcome.changes if c.startswith("credential ")]
    assert notes and "'lab' was refused" in notes[0] and "'other' worked" in notes[0]
    assert load_states(state_dir(config, "acme"))["hq/sw1"].credential == "other"
    device.faults.offered.clear()
    run(config)
    assert [p for _, p in device.faults.offered] == ["not-the-password"]


def test_check_shows_where_each_credential_goes_and_warns_on_v2c(tmp_path: Path) -> None:
    from netdoc.config import credential_routes, weak_credential_warnings

    config = write_config(tmp_path, [{"host": "192.0.2.1", "name": "core"}],
                          {"subnets": ["192.0.2.0/24"],
                           "backup": {"discover": True, "platforms": ["cisco_ios"]}})
    routes = {r["credential"]: r for r in credential_routes(config, config.client("acme"))}
    assert routes["lab"]["ssh_to"] == ["hq: discovered cisco_ios devices", "hq: core (192.0.2.1)"]
    assert routes["snmp-v2"]["snmp_to"] == ["hq: 192.0.2.0/24"] and not routes["snmp-v2"]["ssh_to"]
    warnings = weak_credential_warnings(config)
    assert len(warnings) == 1 and "snmp-v2" in warnings[0] and "prefer SNMPv3" in warnings[0]


def test_a_new_host_key_at_a_known_address_gets_no_password_until_accepted(
        tmp_path: Path, replay: ReplayServer) -> None:
    device = replay.serve(load_recording("cisco_ios"))
    config = write_config(tmp_path, [{"host": device.host, "name": "sw1", "platform": "cisco_ios",
                                      "ssh_port": device.port}], credentials=["lab"])
    assert not run(config).failures  # first contact: its key is remembered
    replay.stop(device)
    impostor = replay.serve(load_recording("cisco_ios"), port=device.port)  # another key

    outcome = run(config)

    assert impostor.faults.offered == [], "a password went to a device with a new host key"
    assert "host key CHANGED" in outcome.failures[0].reason
    HostKeyStore(state_dir(config, "acme")).accept(device.host, device.port)
    assert not run(config).failures and len(impostor.faults.offered) == 1


def test_one_address_behind_two_ports_is_not_a_clone(tmp_path: Path) -> None:
    store = HostKeyStore(tmp_path)
    claims = {"serial": "FGT60F0000001", "mac": "00:00:5e:00:53:10"}
    assert store.check_identity("192.0.2.1", 22, claims) == ""
    assert store.check_identity("192.0.2.1", 2222, claims) == ""  # a port forward
    assert "belongs to the known device at 192.0.2.1" in \
        store.check_identity("192.0.2.77", 22, claims)
