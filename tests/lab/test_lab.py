"""The site lab, end to end: what `netdoc lab up` builds answers like a real site.

Every check runs from inside the probe namespace with net-snmp's own tools and
netmiko, so the lab is proven independently of netdoc's SNMP code.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from netdoc.app.cli import main
from netdoc.errors import LabError
from netdoc.lab.bridge_mib import device_port_name
from support.lab_fixtures import (lab_location, lab_unavailable_reason,
                                  sweep_stale_test_labs)

pytestmark = pytest.mark.lab

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("the site lab needs Linux network namespaces", allow_module_level=True)

LLDP_REM_SYS_NAME = ".1.0.8802.1.1.2.1.4.1.1.9"
LLDP_REM_PORT_ID = ".1.0.8802.1.1.2.1.4.1.1.7"
LLDP_REM_MAN_ADDR_IF_SUBTYPE = ".1.0.8802.1.1.2.1.4.2.1.3"
LLDP_LOC_PORT_ID = ".1.0.8802.1.1.2.1.3.7.1.3"
DOT1D_TP_FDB_PORT = ".1.3.6.1.2.1.17.4.3.1.2"
DOT1D_BASE_PORT_IFINDEX = ".1.3.6.1.2.1.17.1.4.1.2"
IF_NAME = ".1.3.6.1.2.1.31.1.1.1.1"
SYS_NAME = ".1.3.6.1.2.1.1.5.0"


def managed(lab: Any) -> dict[str, dict[str, Any]]:
    return {name: node for name, node in lab.ground_truth["nodes"].items()
            if node["kind"] in ("switch", "router", "firewall") and node["managed"]}


def snmp(lab: Any, command: str, host: str, oid: str, version: str = "2c") -> list[str]:
    """Run snmpget/snmpwalk at the probe; lines of 'OID VALUE' (-Oq, numeric)."""
    creds = lab.ground_truth["credentials"]
    if version == "3":
        v3 = creds["snmp_v3"]
        auth = ["-v3", "-l", "authPriv", "-u", v3["user"], "-a", "SHA", "-A", v3["auth_key"],
                "-x", "AES", "-X", v3["priv_key"]]
    else:
        auth = ["-v2c", "-c", creds["snmp_v2c"]["community"]]
    done = lab.exec(lab.ground_truth["probe"], [command, *auth, "-On", "-Oq", "-m", "", "-t", "1",
                                               "-r", "2", host, oid], timeout=30)
    assert done.returncode == 0, f"{command} {host} {oid}: {done.stderr}"
    return done.stdout.splitlines()


def walk(lab: Any, host: str, oid: str) -> dict[tuple[int, ...], str]:
    """{index below oid: value} from an SNMP v2c walk done at the probe."""
    rows = {}
    for line in snmp(lab, "snmpwalk", host, oid):
        name, _, value = line.partition(" ")
        rows[tuple(int(p) for p in name[len(oid) + 1:].split("."))] = value.strip().strip('"')
    return rows


def test_every_switch_and_router_answers_snmp_v2c_and_v3_with_its_sysname(lab: Any) -> None:
    for name, node in managed(lab).items():
        for version in ("2c", "3"):
            assert snmp(lab, "snmpget", node["mgmt_ip"], SYS_NAME, version) == \
                [f'{SYS_NAME} "{name}"'], (name, version)


def test_every_switch_and_router_serves_its_lldp_neighbours(lab: Any) -> None:
    nodes = lab.ground_truth["nodes"]
    for name, node in managed(lab).items():
        # LLDP port IDs as the devices write them (Gi1/0/25); hosts announce eth0
        expected = {(iface["ifname"], iface["peer"]["node"],
                     device_port_name(iface["peer"]["port"], long=False))
                    for iface in node["interfaces"]
                    if "peer" in iface and nodes[iface["peer"]["node"]]["services"]["lldp"]}
        local_ports = {key[0]: port for key, port in walk(lab, node["mgmt_ip"],
                                                          LLDP_LOC_PORT_ID).items()}
        names = walk(lab, node["mgmt_ip"], LLDP_REM_SYS_NAME)
        ports = walk(lab, node["mgmt_ip"], LLDP_REM_PORT_ID)
        seen = {(local_ports[key[1]], names[key], ports[key]) for key in names}
        assert seen == expected, name
        # lldpRemManAddrTable: index ends in subtype 1 (IPv4), length 4, the address.
        addresses = {".".join(map(str, key[-4:]))
                     for key in walk(lab, node["mgmt_ip"], LLDP_REM_MAN_ADDR_IF_SUBTYPE)}
        assert addresses == {nodes[peer]["mgmt_ip"] for _, peer, _ in expected}, name


def test_every_switch_serves_its_mac_table_with_endpoints_on_the_right_ports(lab: Any) -> None:
    switches = {n: node for n, node in managed(lab).items() if node["kind"] == "switch"}
    assert len(switches) == 3
    for name, node in switches.items():
        host = node["mgmt_ip"]
        if_names = {key[0]: value for key, value in walk(lab, host, IF_NAME).items()}
        port_ifindex = {key[0]: int(value) for key, value in
                        walk(lab, host, DOT1D_BASE_PORT_IFINDEX).items()}
        learned = {":".join(f"{b:02x}" for b in key): if_names[port_ifindex[int(port)]]
                   for key, port in walk(lab, host, DOT1D_TP_FDB_PORT).items() if port != "0"}
        for endpoint in lab.ground_truth["endpoints"]:
            if endpoint["switch"] == name:  # plugged in here: learned on its own port
                assert learned.get(endpoint["mac"]) == endpoint["port_name"], (name, endpoint)
        ifname = {i["name"]: i["ifname"] for i in node["interfaces"]}
        wrong = {mac: (port, learned.get(mac)) for mac, port in node["fdb"].items()
                 if learned.get(mac) != ifname[port]}
        assert node["fdb"] and not wrong, (name, wrong)


def test_the_router_knows_the_branch_hosts_in_its_arp_table(lab: Any) -> None:
    router = lab.ground_truth["nodes"]["router"]
    arp = {".".join(map(str, key[1:])) for key in
           walk(lab, router["mgmt_ip"], ".1.3.6.1.2.1.4.22.1.2")}
    branch = [e["ip"] for e in lab.ground_truth["endpoints"] if e["subnet"] == "branch"]
    assert len(branch) == 3 and set(branch) <= arp


NETMIKO_CHECK = r"""
import json, sys
from netmiko import ConnectHandler
out = {}
for host, user, password, secret in json.loads(sys.argv[1]):
    conn = ConnectHandler(device_type="cisco_ios", host=host, username=user, password=password,
                          secret=secret, timeout=15)
    conn.enable()
    out[host] = {"prompt": conn.find_prompt(), "config": conn.send_command("show running-config")}
    conn.disconnect()
print(json.dumps(out))
"""


def ssh_fetch(lab: Any, hosts: list[str]) -> dict[str, dict[str, str]]:
    """Log in with netmiko from inside the probe and read each device's config."""
    ssh = lab.ground_truth["credentials"]["ssh"]
    targets = [[h, ssh["username"], ssh["password"], ssh["enable"]] for h in hosts]
    done = lab.exec(lab.ground_truth["probe"], [sys.executable, "-c", NETMIKO_CHECK,
                                               json.dumps(targets)], timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_every_switch_and_router_accepts_ssh_and_returns_its_running_config(lab: Any) -> None:
    devices = managed(lab)
    fetched = ssh_fetch(lab, [node["mgmt_ip"] for node in devices.values()])
    for name, node in devices.items():
        result = fetched[node["mgmt_ip"]]
        assert result["prompt"] == f"{name}#"
        lines = result["config"].splitlines()
        assert f"hostname {name}" in lines and lines[-1] == "end"
        assert any(line.startswith("! Last configuration change at ") for line in lines)
        assert result["config"].endswith(Path(node["running_config"]).read_text().rstrip("\n"))


def test_a_changed_running_config_is_what_the_device_returns(lab: Any) -> None:
    original = lab.running_config("access-sw1")
    changed = original.replace("hostname access-sw1", "hostname access-sw1\n!\nbanner motd ^C"
                                                       "changed by a test^C")
    try:
        lab.set_running_config("access-sw1", changed)
        config = ssh_fetch(lab, ["192.0.2.3"])["192.0.2.3"]["config"]
        assert "banner motd ^Cchanged by a test^C" in config
    finally:
        lab.set_running_config("access-sw1", original)


def test_touching_a_config_moves_only_the_last_change_line(lab: Any) -> None:
    before = lab.running_config("router")
    lab.touch_running_config("router")
    after = lab.running_config("router")
    differ = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(before.splitlines()) == len(after.splitlines())
    assert len(differ) == 1 and differ[0][0].startswith("! Last configuration change at ")


def test_the_lab_writes_a_netdoc_yaml_that_validates(lab: Any) -> None:
    from netdoc.config import load_config, verify_secrets

    config = load_config(lab.config_path)
    assert verify_secrets(config) == ["lab-snmp", "lab-snmp3", "lab-ssh"]
    site = config.clients["lab"].sites[0]
    assert [str(s.network) for s in site.subnets] == ["192.0.2.0/24", "198.51.100.0/24"]
    assert {d.name for d in site.devices} == set(managed(lab))
    for secret_file in (lab.state_dir / "secrets").iterdir():
        assert secret_file.stat().st_mode & 0o077 == 0, secret_file


def test_status_reports_every_daemon_alive(lab: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "status", "--json", "--state-dir", str(lab.state_dir)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["up"] and not status["problems"]
    assert set(status["nodes"]["core-sw"]["daemons"]) == {"snmpd", "lldpd", "sshd"}
    assert set(status["nodes"]["printer-01"]["daemons"]) == {"snmpd"}


# ---------------------------------------------------------------- lifecycle

def leftovers(prefix: str, state_dir: Path, records: list[Any]) -> list[str]:
    """Namespaces with the prefix, live processes the lab started or that name its files."""
    from netdoc.lab.system import is_ours, list_netns

    found = [f"namespace {n}" for n in list_netns() if n.startswith(prefix)]
    found += [f"process {r.pid} ({r.daemon})" for r in records if is_ours(r)]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(state_dir).encode() in cmdline and state not in ("Z", "X"):
            found.append(f"process {entry.name}: {cmdline!r}")
    if state_dir.exists():
        found.append(f"state dir {state_dir}")
    return found


@pytest.fixture()
def lab_capable() -> None:
    reason = lab_unavailable_reason()
    if reason:
        pytest.skip(reason)
    sweep_stale_test_labs()


@pytest.mark.usefixtures("lab_capable")
def test_up_and_down_twice_leave_nothing_behind() -> None:
    from netdoc.lab import Lab

    state_dir, prefix = lab_location("tw")
    for attempt in range(2):
        lab = Lab.up("default", state_dir, prefix)
        records = list(lab.processes)
        try:
            assert len(records) >= 10 and Lab.load(state_dir).status()["up"]
            if attempt == 1:  # a daemon that died is reported, and down still cleans up
                ap_lldpd = next(r for r in records if r.node == "ap-01")
                os.kill(ap_lldpd.pid, signal.SIGKILL)
                time.sleep(0.2)
                status = Lab.load(state_dir).status()
                assert not status["up"] and status["nodes"]["ap-01"]["daemons"] == \
                    {"lldpd": {"pid": ap_lldpd.pid, "alive": False}}
        finally:
            assert lab.down() == []
        assert leftovers(prefix, state_dir, records) == []
        assert lab.down() == []  # a second down of a gone lab is harmless


@pytest.mark.usefixtures("lab_capable")
def test_a_failed_up_removes_what_it_had_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from netdoc.lab import Lab
    from netdoc.lab import lab as lab_module

    state_dir, prefix = lab_location("fail")
    started: list[Any] = []
    real_wait = lab_module.Lab._wait_until_ready

    def fail_when_ready(self: Any, timeout: float) -> None:
        real_wait(self, timeout)  # daemons really run, then the build fails
        started.extend(self.processes)
        raise LabError("injected failure after the daemons started")

    monkeypatch.setattr(lab_module.Lab, "_wait_until_ready", fail_when_ready)
    with pytest.raises(LabError, match="injected failure"):
        Lab.up("default", state_dir, prefix)
    assert len(started) >= 10
    assert leftovers(prefix, state_dir, started) == []


@pytest.mark.usefixtures("lab_capable")
def test_down_with_nothing_up_is_harmless(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, prefix = lab_location("none")
    assert main(["lab", "down", "--state-dir", str(tmp_path / "none"), "--prefix", prefix]) == 0
    assert main(["lab", "status", "--state-dir", str(tmp_path / "none")]) == 1
    assert "no lab is up" in capsys.readouterr().out


def test_up_needs_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from netdoc.lab import Lab

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        Lab.up("default", "/nonexistent/state", "ndnever-")


def test_a_second_up_into_the_same_state_dir_is_refused(lab: Any) -> None:
    from netdoc.lab import Lab

    with pytest.raises(LabError, match="already recorded"):
        Lab.up("default", lab.state_dir, "ndother-")
