"""Configuration of the real daemons each lab node runs: snmpd and lldpd.

Every snmpd has its own config, persistent directory and AgentX socket (the
default /var/agentx/master would be shared by all namespaces); every lldpd
has its own control socket, talks to its node's snmpd over that AgentX socket
(`lldpd -x -X SOCKET`) so snmpd serves LLDP-MIB, and sends LLDP every second
so the lab converges quickly.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from netdoc.lab.topology import BRIDGE, Node, Topology

BRIDGE_MIB_SCRIPT = Path(__file__).resolve().with_name("bridge_mib.py")
SYS_SERVICES = {"switch": 2, "router": 6, "firewall": 6, "printer": 72}
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes


@dataclass(frozen=True)
class Credentials:
    community: str
    v3_user: str
    v3_auth_key: str
    v3_priv_key: str
    ssh_user: str
    ssh_password: str
    ssh_enable: str


@dataclass(frozen=True)
class NodeFiles:
    """Where one node's daemons keep their files, under the lab's state dir."""

    root: Path

    @property
    def snmpd_conf(self) -> Path:
        return self.root / "snmpd.conf"

    @property
    def snmp_persist(self) -> Path:
        return self.root / "snmp-persist"

    @property
    def agentx(self) -> Path:
        return self.root / "agentx.sock"

    @property
    def lldpd_conf(self) -> Path:
        return self.root / "lldpd.conf"

    @property
    def lldpd_socket(self) -> Path:
        return self.root / "lldpd.sock"

    @property
    def entity(self) -> Path:
        return self.root / "entity.json"

    @property
    def vlans(self) -> Path:
        return self.root / "vlans.json"

    @property
    def running_config(self) -> Path:
        return self.root / "running-config"

    @property
    def show_version(self) -> Path:
        return self.root / "show-version"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    def log(self, daemon: str) -> Path:
        return self.root / f"{daemon}.log"


def engine_id(base_mac: str) -> str:
    """RFC 3411 engine ID the way Cisco builds it: enterprise 9, format 3 (MAC)."""
    return "0x8000000903" + base_mac.replace(":", "")


def snmpd_conf(topology: Topology, node: Node, files: NodeFiles, creds: Credentials,
               base_mac: str) -> str:
    platform = node.platform
    lines = [
        f"# snmpd for lab node {node.name} (written by netdoc lab up)",
        "agentAddress udp:161",
        f"sysName {node.name}",
        f"sysLocation {node.location or topology.site}",
        f"sysContact {topology.contact}",
        f"sysDescr {platform.sys_descr}",
        f"sysObjectID .{platform.sys_object_id}",
        f"sysServices {SYS_SERVICES.get(node.kind, 72)}",
        f"exactEngineID {engine_id(base_mac)}",
        f"rocommunity {creds.community} default",
        "dontLogTCPWrappersConnects yes",
    ]
    if "3" in node.spec.snmp:
        lines += [f"createUser {creds.v3_user} SHA {creds.v3_auth_key} AES {creds.v3_priv_key}",
                  f"rouser {creds.v3_user} priv"]
    for port in topology.ports(node.name):  # ifType ethernetCsmacd, ifSpeed 1 Gbit/s
        lines.append(f"interface {port} 6 1000000000")
    if node.spec.lldp:
        lines += ["master agentx", f"agentXSocket {files.agentx}"]
    else:
        lines += ["master off"]
    helper = f"{sys.executable} {BRIDGE_MIB_SCRIPT}"
    if node.spec.bridge:
        lines.append(f"pass_persist .1.3.6.1.2.1.17 {helper} bridge {BRIDGE} {files.vlans}")
    if node.spec.ssh:
        lines.append(f"pass_persist .1.3.6.1.2.1.47 {helper} entity {files.entity}")
        # ports named as the device writes them (Gi1/0/25), not as Linux must (Gi1-0-25)
        lines.append(f"pass_persist .1.3.6.1.2.1.2.2.1.2 {helper} ifdescr")
        lines.append(f"pass_persist .1.3.6.1.2.1.31.1.1.1.1 {helper} ifname")
    return "\n".join(lines) + "\n"


def entity_json(node: Node) -> str:
    """The ENTITY-MIB chassis row served by the bridge_mib helper."""
    platform = node.platform
    chassis = {
        "index": 1, "descr": platform.entity_descr.format(serial=node.serial),
        "vendor_type": ".1.3.6.1.4.1.9.12.3.1.3." + platform.sys_object_id.rsplit(".", 1)[-1],
        "contained_in": 0, "class": 3, "parent_rel_pos": -1, "name": "1",
        "hardware_rev": platform.hardware_rev, "firmware_rev": "",
        "software_rev": platform.version, "serial": node.serial,
        "mfg_name": "Cisco Systems, Inc.", "model": platform.model, "alias": "",
        "asset_id": "", "is_fru": 2,
    }
    return json.dumps([chassis], indent=2) + "\n"


def lldpd_conf(topology: Topology, node: Node) -> str:
    capabilities = {"switch": "bridge", "router": "router", "firewall": "router",
                    "ap": "wlan"}.get(node.kind, "station")
    from netdoc.lab.bridge_mib import device_port_name
    ports = ",".join(topology.ports(node.name))
    descr = node.platform.sys_descr.replace('"', "'")
    lines = [
        f"configure system hostname {node.name}",
        f'configure system description "{descr}"',
        f'configure system platform "{node.platform.model or node.platform.vendor}"',
        f"configure system interface pattern {ports}",
        "configure lldp portidsubtype ifname",
        f"configure system capabilities enabled {capabilities}",
        "configure lldp tx-interval 1",
    ]
    if node.mgmt_ip:
        lines.insert(3, f"configure system ip management pattern {node.mgmt_ip}")
    if node.chassis_id:
        lines.append(f"configure system chassisid {node.chassis_id}")
    if node.spec.ssh:  # the port ID as the device's neighbours read it: Gi1/0/25
        lines += [f"configure ports {port} lldp portidsubtype local "
                  f"{device_port_name(port, long=False)}" for port in topology.ports(node.name)]
    return "\n".join(lines) + "\n"


def snmpd_argv(files: NodeFiles) -> list[str]:
    return ["/usr/sbin/snmpd", "-f", "-C", "-c", str(files.snmpd_conf), "-Lf",
            str(files.log("snmpd")), "-p", str(files.root / "snmpd.pid"), "-m", "", "-M",
            str(files.root)]


def lldpd_argv(node: Node, files: NodeFiles) -> list[str]:
    # The chassis ID is left to lldpd (the MAC of a port): pointing it at the bridge makes it
    # fall back to the host name, which all namespaces share.
    argv = ["/usr/sbin/lldpd", "-d", "-u", str(files.lldpd_socket), "-O", str(files.lldpd_conf)]
    if node.spec.snmp:
        argv += ["-x", "-X", str(files.agentx)]
    return argv
