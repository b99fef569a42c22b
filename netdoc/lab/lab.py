"""The site lab: a sealed client site built from network namespaces and real daemons.

    lab = Lab.up("default", state_dir=Path("/run/netdoc-lab"), prefix="ndlab-")
    lab.ground_truth["nodes"]["core-sw"]["mgmt_ip"]      # what discovery must find
    lab.exec("probe", ["snmpget", ...])                   # run something at the probe
    lab.set_running_config("core-sw", text)               # change a device's config
    lab.down()

Every node is a namespace named PREFIX+NODE; switches hold a Linux bridge;
links are veth pairs created directly inside their two namespaces, so nothing
touches the host's interfaces or routes. The state dir records every namespace
and process as it is made, so `down` - from this process or any later one -
removes exactly what `up` made, and a failed `up` cleans up after itself.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from netdoc.errors import LabError
from netdoc.lab import daemons, gitolite, system
from netdoc.lab.bridge_mib import device_port_name
from netdoc.lab.daemons import Credentials, NodeFiles
from netdoc.lab.running_config import (port_description, render_running_config,
                                       render_show_version)
from netdoc.lab.system import ProcessRecord
from netdoc.lab.topology import BRIDGE, HOST_PORT, Node, Port, Topology, load_topology

DEFAULT_STATE_DIR = Path("/run/netdoc-lab")
DEFAULT_PREFIX = "ndlab-"
STATE_FILE = "lab.json"
GROUND_TRUTH_FILE = "ground-truth.json"
CONFIG_FILE = "netdoc.yaml"
CLI_SPEC_FILE = "cli-server.json"
SCHEMA_VERSION = 1
READY_TIMEOUT = 30.0  # seconds `up` waits for SNMP, LLDP and SSH to answer
BRIDGE_AGEING_CS = 8640000  # one day, in centiseconds: learned MACs stay for the tests
LAB_USER = "netdoc"  # SNMPv3 user and SSH user on every lab device
SECRET_FILES = {"snmp-community": "community", "snmp-auth-key": "v3_auth_key",
                "snmp-priv-key": "v3_priv_key", "ssh-password": "ssh_password",
                "ssh-enable": "ssh_enable"}  # file in <state>/secrets -> Credentials field
NETNS_ETC = Path("/etc/netns")  # per-namespace /etc overrides used by `ip netns exec`
LAB_MARK = "# written by netdoc lab up; removed by netdoc lab down"
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


def default_prefix() -> str:
    return os.environ.get("NETDOC_LAB_PREFIX", DEFAULT_PREFIX)


def default_state_dir() -> Path:
    return Path(os.environ.get("NETDOC_LAB_STATE_DIR", str(DEFAULT_STATE_DIR)))


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write atomically: a reader (the CLI server, a test) never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _mac(oui: str, index: int, port: int) -> str:
    return f"{oui}:{index:02x}:{port >> 8:02x}:{port & 0xff:02x}".lower()


class Lab:
    def __init__(self, state_dir: Path, prefix: str, topology: Topology) -> None:
        self.state_dir = state_dir
        self.prefix = prefix
        self.topology = topology
        self.namespaces: list[str] = []
        self.processes: list[ProcessRecord] = []
        self.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.owner_pid = os.getpid()
        self.ground_truth: dict[str, Any] = {}
        self.credentials: Credentials | None = None
        self.users: list[dict[str, str]] = []  # system users made for a hub node (gitolite)

    # ------------------------------------------------------------ public API
    @classmethod
    def up(cls, topology: str | Topology = "default", state_dir: Path | str | None = None,
           prefix: str | None = None, timeout: float = READY_TIMEOUT) -> "Lab":
        """Build the lab and wait until its daemons answer; on any failure, undo everything."""
        system.require_root_and_tools()
        topo = topology if isinstance(topology, Topology) else load_topology(topology)
        prefix = default_prefix() if prefix is None else prefix
        if not _PREFIX.match(prefix):
            raise LabError(f"lab prefix {prefix!r} is invalid; use up to 16 lower-case "
                           f"letters, digits and '-', e.g. 'ndlab-'")
        lab = cls(Path(state_dir) if state_dir else default_state_dir(), prefix, topo)
        lab._claim_state_dir()
        try:
            lab._build(timeout)
        except BaseException:
            lab.down()
            raise
        return lab

    @classmethod
    def load(cls, state_dir: Path | str | None = None) -> "Lab":
        """The lab recorded in a state dir (made by `up` in this or another process)."""
        state_dir = Path(state_dir) if state_dir else default_state_dir()
        try:
            state = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LabError(f"no lab is recorded in {state_dir} (no {STATE_FILE}); "
                           f"start one with: netdoc lab up --state-dir {state_dir}") from None
        except (OSError, ValueError) as exc:
            raise LabError(f"{state_dir / STATE_FILE} is unreadable: {exc}") from None
        lab = cls(state_dir, state["prefix"], load_topology(state["topology_source"]))
        lab.namespaces = list(state["namespaces"])
        lab.processes = [ProcessRecord.from_dict(p) for p in state["processes"]]
        lab.created = state["created"]
        lab.owner_pid = int(state.get("owner_pid", 0))
        lab.users = [dict(u) for u in state.get("users", [])]
        truth = state_dir / GROUND_TRUTH_FILE
        if truth.exists():
            lab.ground_truth = json.loads(truth.read_text(encoding="utf-8"))
        return lab

    def down(self) -> list[str]:
        """Stop our processes (by verified PID), delete our namespaces and the state dir.

        Safe to call twice. Returns problems worth telling the user (nothing
        is raised, so a half-built lab is always taken down as far as possible).
        """
        problems = system.stop_processes(self.processes)
        for user in self.users:  # after its sshd is gone: userdel refuses a busy user
            problems += gitolite.remove_user(user["name"], user["home"])
        self.users = []
        problems += remove_namespaces(self.prefix, self.namespaces)
        remove_netns_etc(self.prefix)
        self.namespaces, self.processes = [], []
        if (self.state_dir / STATE_FILE).exists() or (self.state_dir / ".netdoc-lab").exists():
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return problems

    def netns(self, node: str) -> str:
        if node not in self.topology.nodes:
            raise LabError(f"the lab has no node {node!r}; nodes: "
                           f"{', '.join(sorted(self.topology.nodes))}")
        return self.prefix + node

    def exec(self, node: str, argv: Sequence[str], *, timeout: float = 60.0, check: bool = False,
             input_text: str | None = None, env: dict[str, str] | None = None) \
            -> subprocess.CompletedProcess[str]:
        """Run a command inside a node's namespace and return its output."""
        full = [system.tool("ip"), "netns", "exec", self.netns(node), *argv]
        try:
            done = subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                                  input=input_text, env={**os.environ, **(env or {})})
        except subprocess.TimeoutExpired:
            raise LabError(f"`{' '.join(argv)}` in {node} did not finish within {timeout:g} s") \
                from None
        if check and done.returncode != 0:
            raise LabError(f"`{' '.join(argv)}` in {node} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()}")
        return done

    @property
    def config_path(self) -> Path:
        """The lab's netdoc.yaml (run netdoc at the probe with --config this)."""
        return self.state_dir / CONFIG_FILE

    @property
    def ground_truth_path(self) -> Path:
        return self.state_dir / GROUND_TRUTH_FILE

    def files(self, node: str) -> NodeFiles:
        return NodeFiles(self.state_dir / "nodes" / node)

    def running_config(self, node: str) -> str:
        return self._config_file(node).read_text(encoding="utf-8")

    def set_running_config(self, node: str, text: str) -> None:
        """What the device's `show running-config` returns from now on."""
        _write(self._config_file(node), text if text.endswith("\n") else text + "\n", 0o600)

    def touch_running_config(self, node: str) -> None:
        """Regenerate the device's config: only the `! Last configuration change` line
        moves, and it always moves (a later second if this one is already taken)."""
        self._config_file(node)
        self._write_running_config(self.topology.nodes[node], self._credentials(),
                                   differ_from=self.running_config(node))

    def status(self) -> dict[str, Any]:
        existing = set(system.list_netns())
        nodes: dict[str, Any] = {}
        for name in self.topology.nodes:
            nodes[name] = {"netns": self.prefix + name,
                           "netns_exists": self.prefix + name in existing, "daemons": {}}
        for record in self.processes:
            entry = {"pid": record.pid, "alive": system.is_ours(record)}
            if record.node in nodes:
                nodes[record.node]["daemons"][record.daemon] = entry
            else:  # the shared SSH server
                for node in self.topology.nodes.values():
                    if node.spec.ssh:
                        nodes[node.name]["daemons"][record.daemon] = entry
        problems = [f"{name}: namespace {info['netns']} is missing"
                    for name, info in nodes.items() if not info["netns_exists"]]
        problems += [f"{record.daemon} on {record.node} (pid {record.pid}) is not running"
                     for record in self.processes if not system.is_ours(record)]
        return {"up": not problems, "topology": self.topology.name, "prefix": self.prefix,
                "state_dir": str(self.state_dir), "config": str(self.config_path),
                "ground_truth": str(self.ground_truth_path), "created": self.created,
                "nodes": nodes, "problems": problems}

    # ------------------------------------------------------------ state
    def _claim_state_dir(self) -> None:
        state = self.state_dir
        if (state / STATE_FILE).exists():
            raise LabError(f"a lab is already recorded in {state}; take it down first with: "
                           f"netdoc lab down --state-dir {state}")
        if state.exists() and any(state.iterdir()):
            raise LabError(f"state dir {state} exists and is not empty; the lab only uses an "
                           f"empty or new folder (it deletes it at `lab down`)")
        clashing = [n for n in system.list_netns() if n.startswith(self.prefix)]
        if clashing:
            raise LabError(f"namespaces with prefix {self.prefix!r} already exist "
                           f"({', '.join(clashing[:5])}); another lab is up: run "
                           f"`netdoc lab down` for it or choose another --prefix")
        for path in (self.state_dir / "nodes" / "x" / "agentx.sock",):
            longest = len(str(path)) + max(len(n) for n in self.topology.nodes)
            if longest > daemons.MAX_SOCKET_PATH:
                raise LabError(f"state dir {state} is too deep for Unix sockets "
                               f"({longest} > {daemons.MAX_SOCKET_PATH} characters); "
                               f"choose a shorter --state-dir")
        state.mkdir(parents=True, exist_ok=True)
        # lldpd's unprivileged half (user _lldpd) must reach its socket under nodes/;
        # secrets live in secrets/ (0700) and in 0600 files.
        state.chmod(0o755)
        (state / ".netdoc-lab").write_text("this folder is a netdoc lab state dir\n")
        self._save()

    def _save(self) -> None:
        state = {"schema": SCHEMA_VERSION, "prefix": self.prefix,
                 "topology": self.topology.name, "topology_source": self.topology.source,
                 "created": self.created, "owner_pid": self.owner_pid,
                 "namespaces": self.namespaces, "users": self.users,
                 "processes": [p.to_dict() for p in self.processes]}
        _write(self.state_dir / STATE_FILE, json.dumps(state, indent=2) + "\n")

    def _started(self, record: ProcessRecord) -> None:
        self.processes.append(record)
        self._save()

    # ------------------------------------------------------------ building
    def _build(self, timeout: float) -> None:
        topo = self.topology
        self.credentials = self._make_credentials()
        self._create_namespaces()
        self._create_links()
        self._configure_nodes()
        creds = self.credentials
        for node in topo.nodes.values():
            if node.managed or node.spec.lldp:
                self._write_node_files(node, creds)
        self._start_snmpd()
        self._start_lldpd()
        self._start_cli_server()
        self._start_dns()
        self._start_hub()
        self._wait_for(self._links_not_forwarding, 10.0, "links did not come up")
        self._send_traffic()
        self._wait_until_ready(timeout)
        self.ground_truth = self._collect_ground_truth()
        _write(self.ground_truth_path, json.dumps(self.ground_truth, indent=2, sort_keys=True)
               + "\n", 0o600)
        _write(self.config_path, self._netdoc_yaml(), 0o600)

    def _make_credentials(self) -> Credentials:
        creds = Credentials(
            community="lab-" + secrets.token_hex(6), v3_user=LAB_USER,
            v3_auth_key="auth-" + secrets.token_hex(8), v3_priv_key="priv-" + secrets.token_hex(8),
            ssh_user=LAB_USER, ssh_password="pw-" + secrets.token_hex(6),
            ssh_enable="en-" + secrets.token_hex(6))
        folder = self.state_dir / "secrets"
        folder.mkdir(mode=0o700, exist_ok=True)
        for name, value in self._secret_files(creds).items():
            _write(folder / name, value + "\n", 0o600)
        return creds

    @staticmethod
    def _secret_files(creds: Credentials) -> dict[str, str]:
        return {name: getattr(creds, field) for name, field in SECRET_FILES.items()}

    def _credentials(self) -> Credentials:
        """The lab's credentials, read back from the secret files by a loaded lab."""
        if self.credentials is None:
            folder = self.state_dir / "secrets"
            read = {field: (folder / name).read_text().splitlines()[0]
                    for name, field in SECRET_FILES.items()}
            self.credentials = Credentials(v3_user=LAB_USER, ssh_user=LAB_USER, **read)
        return self.credentials

    def _create_namespaces(self) -> None:
        names = [self.prefix + n for n in self.topology.nodes]
        self.namespaces = names  # recorded first: `down` removes them even if this fails
        self._save()
        system.ip_batch([f"netns add {name}" for name in names])
        for node in self.topology.nodes.values():
            sysctls = {"net.ipv6.conf.all.disable_ipv6": "1",
                       "net.ipv6.conf.default.disable_ipv6": "1"}
            if node.spec.forwards:
                sysctls.update({"net.ipv4.ip_forward": "1",
                                "net.ipv4.conf.all.send_redirects": "0",
                                "net.ipv4.conf.default.send_redirects": "0"})
            if node.drop:  # a host that does not answer pings
                sysctls["net.ipv4.icmp_echo_ignore_all"] = "1"
            system.write_sysctls(self.prefix + node.name, sysctls)

    def mac(self, node: str, port: str) -> str:
        """The MAC the lab gives a node's port (the vendor's OUI, so lookups look real)."""
        spec = self.topology.nodes[node]
        if port == BRIDGE:
            return _mac(spec.platform.oui, spec.index, 0)
        if port.startswith("Vlan"):  # another VLAN's bridge
            return _mac(spec.platform.oui, spec.index, 0xC000 | int(port[4:]))
        ports = self.topology.ports(node)
        base, _, vid = port.partition(".")
        if vid:  # a trunk's companion link for VLAN vid
            return _mac(spec.platform.oui, spec.index,
                        0x8000 | (int(vid) << 6) | (ports.index(base) + 1))
        return _mac(spec.platform.oui, spec.index, ports.index(port) + 1)

    def base_mac(self, node: str) -> str:
        spec = self.topology.nodes[node]
        if not spec.spec.bridge and not spec.spec.forwards:
            return self.mac(node, self.topology.ports(node)[0])
        return _mac(spec.platform.oui, spec.index, 0)

    def _create_links(self) -> None:
        """One veth pair per cable. This kernel may have no 802.1Q, so a trunk carries its
        native VLAN on the cable itself and each other VLAN on a companion pair PORT.VID."""
        commands = []
        for link in self.topology.links:
            pairs = [(link.a.name, link.b.name)]
            pairs += [(f"{link.a.name}.{v}", f"{link.b.name}.{v}")
                      for v in self.topology.link_vlans(link) if v != 1]
            for a_name, b_name in pairs:
                a, b = Port(link.a.node, a_name), Port(link.b.node, b_name)
                commands.append(f"link add {a.name} address {self.mac(a.node, a.name)} "
                                f"netns {self.prefix}{a.node} type veth peer name {b.name} "
                                f"address {self.mac(b.node, b.name)} netns {self.prefix}{b.node}")
        system.ip_batch(commands)

    def _configure_nodes(self) -> None:
        for node in self.topology.nodes.values():
            if node.spec.forwards:
                # Keep learned ARP entries a day, so discovery can read the router's table.
                system.write_sysctls(self.netns(node.name), {
                    f"net.ipv4.neigh.{port}.gc_stale_time": "86400"
                    for port in self.topology.ports(node.name)})
            commands = ["link set lo up"]
            used = {v for port in self.topology.ports(node.name) if node.spec.bridge
                    for v in self.topology.port_vlans(Port(node.name, port))[2]}
            vlans = sorted(used - {1})  # the VLAN bridges this switch has members in
            if node.spec.bridge:
                for bridge in [BRIDGE] + [f"Vlan{v}" for v in vlans]:  # one bridge per VLAN
                    commands.append(f"link add {bridge} address {self.mac(node.name, bridge)} "
                                    f"type bridge ageing_time {BRIDGE_AGEING_CS} "
                                    f"no_linklocal_learn 1")
            for port in self.topology.ports(node.name):
                description = port_description(self.topology, Port(node.name, port))
                commands.append(f'link set {port} alias "{description}"')
                if node.spec.bridge:
                    mode, vlan, allowed = self.topology.port_vlans(Port(node.name, port))
                    commands.append(f"link set {port} master Vlan{vlan if mode == 'access' else 1}")
                    if mode == "trunk":  # the other VLANs ride on companion links PORT.VID
                        commands += [cmd for v in allowed if v != 1 for cmd in
                                     (f"link set {port}.{v} master Vlan{v}",
                                      f"link set {port}.{v} up")]
                commands.append(f"link set {port} up")
            if node.spec.bridge:
                commands += [f"link set {b} up" for b in [BRIDGE] + [f"Vlan{v}" for v in vlans]]
            for port in node.addresses:  # Gi0-0.20: VLAN 20 on Gi0-0 (a router-on-a-stick)
                if "." in port:
                    commands += [f"link set {port} up",  # ARP entries kept a day here too
                                 f"ntable change name arp_cache dev {port} gc_stale 86400000"]
            for port, address in node.addresses.items():
                commands.append(f"addr add {address} dev {port}")
            if node.gateway:
                commands.append(f"route add default via {node.gateway}")
            for network, via in node.routes.items():
                commands.append(f"route add {network} via {via}")
            if node.drop == "all":  # answers ARP (the kernel does) and nothing else
                own = {a.network for a in node.addresses.values()}
                commands += [f"route add blackhole {s.network}" for s in self.topology.subnets
                             if s.network not in own]
            system.ip_batch(commands, netns=self.prefix + node.name)

    def _write_node_files(self, node: Node, creds: Credentials) -> None:
        files = self.files(node.name)
        files.root.mkdir(parents=True, exist_ok=True)
        if node.spec.snmp:
            files.snmp_persist.mkdir(exist_ok=True)
            if node.spec.bridge:  # VLAN names for the Q-BRIDGE tables ({} : VLAN 1 only)
                _write(files.vlans, json.dumps({str(k): v for k, v in self.topology.vlans.items()
                                                if self.topology.vlan_aware}) + "\n")
            _write(files.snmpd_conf, daemons.snmpd_conf(self.topology, node, files, creds,
                                                        self.base_mac(node.name)), 0o600)
        if node.spec.lldp:
            _write(files.lldpd_conf, daemons.lldpd_conf(self.topology, node))
        if node.spec.ssh:
            _write(files.entity, daemons.entity_json(node))
            _write(files.show_version, render_show_version(node, self.base_mac(node.name)))
            self._write_running_config(node, creds)

    def _config_file(self, node: str) -> Path:
        path = self.files(node).running_config
        if not path.exists():
            raise LabError(f"lab node {node!r} has no running config (only switches, routers "
                           f"and firewalls answer SSH)")
        return path

    def _write_running_config(self, node: Node, creds: Credentials, differ_from: str = "") \
            -> None:
        when = datetime.now(timezone.utc)
        while True:
            text = render_running_config(
                self.topology, node, community=creds.community, ssh_user=creds.ssh_user,
                ssh_password=creds.ssh_password, enable_secret=creds.ssh_enable, now=when)
            if text != differ_from:
                break
            when += timedelta(seconds=1)
        _write(self.files(node.name).running_config, text, 0o600)

    def _start_snmpd(self) -> None:
        for node in self.topology.nodes.values():
            if node.spec.snmp:
                files = self.files(node.name)
                self._started(system.start_process(
                    self.netns(node.name), daemons.snmpd_argv(files), node=node.name,
                    daemon="snmpd", log=files.log("snmpd-stderr"),
                    env={"SNMP_PERSISTENT_DIR": str(files.snmp_persist), "MIBS": ""}))
        # lldpd's subagent needs the master's AgentX socket to connect at once.
        self._wait_for(lambda: [n.name for n in self.topology.nodes.values()
                                if n.spec.snmp and n.spec.lldp
                                and not self.files(n.name).agentx.exists()],
                       10.0, "snmpd did not open its AgentX socket")

    def _start_lldpd(self) -> None:
        for node in self.topology.nodes.values():
            if node.spec.lldp:
                files = self.files(node.name)
                files.root.mkdir(parents=True, exist_ok=True)
                self._started(system.start_process(
                    self.netns(node.name), daemons.lldpd_argv(node, files), node=node.name,
                    daemon="lldpd", log=files.log("lldpd")))

    def _start_dns(self) -> None:
        """A lab name server (dnsmasq) on the probe's gateway, and the probe pointed at it.

        Without it a process in the probe namespace would use the host's
        /etc/resolv.conf and send its reverse-DNS queries towards a name server
        outside the lab. `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf.
        """
        hosts = self.state_dir / "hosts"
        lines = [f"{address.ip} {node.name}.{self.topology.domain} {node.name}"
                 for node in self.topology.nodes.values()
                 for address in list(node.addresses.values())[:1]]
        _write(hosts, "\n".join(lines) + "\n")
        serving: set[str] = set()
        for probe in [n for n in self.topology.nodes.values() if n.kind == "probe"]:
            gateway = probe.gateway or next(
                (s.gateway for s in self.topology.subnets
                 if any(a.ip in s.network for a in probe.addresses.values())), None)
            server = next((n for n in self.topology.nodes.values()
                           if any(a.ip == gateway for a in n.addresses.values())), None)
            if gateway is None or server is None:
                raise LabError(f"the lab needs a gateway node for probe {probe.name} to host "
                               f"its name server")
            if str(gateway) not in serving:  # one resolver per site (each probe's gateway)
                serving.add(str(gateway))
                self._started(system.start_process(
                    self.netns(server.name),
                    [system.tool("dnsmasq"), "--keep-in-foreground", "--no-resolv",
                     "--no-hosts", "--no-poll", f"--addn-hosts={hosts}",
                     f"--listen-address={gateway}", "--bind-interfaces", "--pid-file=",
                     "--log-facility=-", "--user=root"],
                    node=server.name, daemon="dnsmasq",
                    log=self.files(server.name).log("dnsmasq")))
            resolv = NETNS_ETC / self.netns(probe.name) / "resolv.conf"
            resolv.parent.mkdir(parents=True, exist_ok=True)
            _write(resolv, f"{LAB_MARK}\nnameserver {gateway}\nsearch {self.topology.domain}\n")

    # ------------------------------------------------------------ the MSP's hub
    @property
    def hub(self) -> str:
        """The hub node's name (a node of kind hub: sshd + gitolite3)."""
        hubs = [n.name for n in self.topology.nodes.values() if n.spec.git]
        if not hubs:
            raise LabError(f"topology {self.topology.name} has no hub node (kind: hub)")
        return hubs[0]

    def hub_layout(self) -> gitolite.HubLayout:
        return gitolite.HubLayout(self.state_dir, self.hub)

    def hub_git_env(self, key: str) -> dict[str, str]:
        """Environment for `git` as the holder of hub key `key` (admin, probe-CLIENT or a
        key the caller made with gitolite.make_key in hub_layout().keys)."""
        return gitolite.git_env(self.hub_layout(), key)

    def probe_for(self, client: str) -> str:
        """The probe node of a client's site."""
        for node in self.topology.nodes.values():
            if node.kind == "probe" and any(self.topology.client_of(a) == client
                                            for a in node.addresses.values()):
                return node.name
        raise LabError(f"the lab has no probe at client {client!r}'s site")

    def stop_hub(self) -> None:
        """The hub goes down: its sshd is stopped (by its recorded PID); git over ssh to it
        is refused until `start_hub`."""
        daemon = [r for r in self.processes if r.node == self.hub and r.daemon == "sshd-gitolite"]
        problems = system.stop_processes(daemon)
        if problems:
            raise LabError(f"cannot stop the hub's sshd: {', '.join(problems)}")
        self.processes = [r for r in self.processes if r not in daemon]
        self._save()

    def start_hub(self) -> None:
        """The hub is back: sshd started again with the same config and host key."""
        if any(r.node == self.hub and r.daemon == "sshd-gitolite" and system.is_ours(r)
               for r in self.processes):
            return
        node = self.topology.nodes[self.hub]
        self._started(gitolite.start_sshd(self.hub_layout(), self.netns(node.name),
                                          node.mgmt_ip))

    def _start_hub(self) -> None:
        hubs = [n for n in self.topology.nodes.values() if n.spec.git]
        if not hubs:
            return
        if len(hubs) > 1:
            raise LabError(f"topology {self.topology.name}: one hub node at most "
                           f"({', '.join(n.name for n in hubs)})")
        missing = gitolite.missing_tools()
        if missing:
            raise LabError(f"the lab's hub node needs {', '.join(missing)}; install them with "
                           f"scripts/setup.sh (or apt-get install {' '.join(missing)})")
        node = hubs[0]
        layout = self.hub_layout()
        user = gitolite.user_name(self.prefix)
        self.users.append({"name": user, "home": str(layout.home)})  # recorded first
        self._save()
        gitolite.set_up(layout, user, node.mgmt_ip, self.topology.clients)
        self._started(gitolite.start_sshd(layout, self.netns(node.name), node.mgmt_ip))

    def _hub_truth(self) -> dict[str, Any]:
        if not any(n.spec.git for n in self.topology.nodes.values()):
            return {}
        layout = self.hub_layout()
        address = self.topology.nodes[self.hub].mgmt_ip
        user = gitolite.user_name(self.prefix)
        return {"node": self.hub, "address": address, "user": user,
                "remote": f"ssh://{user}@{address}/{{client}}/{{repo}}",
                "hub_yaml": str(layout.hub_yaml), "known_hosts": str(layout.known_hosts),
                "keys": {p.name: str(p) for p in sorted(layout.keys.iterdir())
                         if p.suffix != ".pub"},
                "probes": {c: self.probe_for(c) for c in self.topology.clients}}

    @property
    def rogue_log(self) -> Path:
        """Where the rogue nodes' SSH servers record the credentials offered to them."""
        return self.state_dir / "rogue-offered.log"

    def rogue_offered(self) -> list[tuple[str, str, str]]:
        """(node, username, password) of every login attempt a rogue node saw."""
        try:
            text = self.rogue_log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [tuple(line.split("\t", 2)) for line in text.splitlines()  # type: ignore[misc]
                if line.count("\t") >= 2]

    def _start_cli_server(self) -> None:
        creds_dir = self.state_dir / "secrets"
        spec: list[dict[str, Any]] = []
        for node in self.topology.nodes.values():
            if node.spec.ssh:
                files = self.files(node.name)
                spec.append({"name": node.name, "netns": self.netns(node.name),
                             "address": node.mgmt_ip, "port": 22,
                             "host_key": str(files.host_key),
                             "running_config": str(files.running_config),
                             "show_version": str(files.show_version),
                             "username": self._credentials().ssh_user,
                             "password_file": str(creds_dir / "ssh-password"),
                             "enable_file": str(creds_dir / "ssh-enable"),
                             "record_file": str(self.rogue_log) if node.kind == "rogue"
                             else ""})
        if not spec:
            return
        spec_file = self.state_dir / CLI_SPEC_FILE
        _write(spec_file, json.dumps(spec, indent=2) + "\n")
        record = system.start_process(self.netns(spec[0]["name"]),
                                      [sys.executable, "-m", "netdoc.lab.cli_server",
                                       str(spec_file)],
                                      node="*", daemon="sshd", log=self.state_dir / "sshd.log",
                                      env={"PYTHONPATH": str(Path(__file__).resolve()
                                                             .parents[2])})
        self._started(record)
        ready = spec_file.with_name(spec_file.name + ".ready")
        self._wait_for(lambda: [] if ready.exists() else ["sshd"], 20.0,
                       f"the SSH CLI server did not start; see {self.state_dir / 'sshd.log'}",
                       check=lambda: system.is_ours(record))

    def _links_not_forwarding(self) -> list[str]:
        """Ports whose carrier or bridge state is not up yet (the kernel settles them
        asynchronously; a frame sent before that is lost and its MAC never learned)."""
        pending = []
        for node in self.topology.nodes.values():
            raw = json.loads(system.ip("-j", "-d", "link", "show", netns=self.netns(node.name)))
            for link in raw:
                slave = link.get("linkinfo", {}).get("info_slave_data", {})
                if link["ifname"] != "lo" and (link.get("operstate") != "UP" or
                                               slave.get("state", "forwarding") != "forwarding"):
                    pending.append(f"{node.name} {link['ifname']}")
        return pending

    def _send_traffic(self) -> None:
        """One datagram from every address, as real hosts chatter: bridges learn
        every MAC, routers' ARP tables learn every host that uses them."""
        for node in self.topology.nodes.values():
            if node.quiet:
                continue  # a host that never talks first: only the sweeps wake it
            for port, address in node.addresses.items():
                subnet = self.topology.subnet_of(address)
                gateway = subnet.gateway if subnet else None
                target = str(gateway) if gateway and gateway != address.ip \
                    else str(address.network.broadcast_address)
                with system.in_netns(self.netns(node.name)):
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                        sock.bind((str(address.ip), 0))
                        try:
                            sock.sendto(b"netdoc-lab hello", (target, 9))  # discard port
                        except OSError:
                            pass  # e.g. no route yet: learning still happened via ARP

    # ------------------------------------------------------------ readiness
    def _wait_for(self, pending: Any, timeout: float, what: str, check: Any = None) -> None:
        deadline = time.monotonic() + timeout
        left = pending()
        while left:
            if check is not None and not check():
                raise LabError(what)
            if time.monotonic() > deadline:
                raise LabError(f"{what} within {timeout:g} s: {', '.join(map(str, left))}")
            time.sleep(0.1)
            left = pending()

    def expected_lldp(self) -> dict[str, set[tuple[str, str, str]]]:
        """node -> {(local port, neighbour name, neighbour port ID)} it must see (the port
        ID as the neighbour announces it: Gi1/0/25 for a switch port, eth0 for a host)."""
        expected: dict[str, set[tuple[str, str, str]]] = {}
        for link in self.topology.lldp_links():
            for here, there in ((link.a, link.b), (link.b, link.a)):
                expected.setdefault(here.node, set()).add((here.name, there.node,
                                                           self._port_name(there)))
        return expected

    def lldp_neighbors(self, node: str) -> set[tuple[str, str, str]]:
        """What the node's lldpd has heard: {(local port, neighbour name, neighbour port)}."""
        done = system.run([system.tool("lldpcli"), "-u", str(self.files(node).lldpd_socket),
                           "-f", "json0", "show", "neighbors"], check=False, timeout=5)
        if done.returncode != 0:
            return set()
        seen = set()
        for iface in json.loads(done.stdout).get("lldp", [{}])[0].get("interface", []):
            for chassis in iface.get("chassis", []):
                for name in chassis.get("name", []):
                    for port in iface.get("port", []):
                        for port_id in port.get("id", []):
                            seen.add((iface["name"], name["value"], port_id["value"]))
        return seen

    def _snmp_answers(self, node: Node, oid: str, walk: bool = False) -> list[str]:
        creds = self._credentials()
        command = "snmpwalk" if walk else "snmpget"
        probe = self.probe_for(self.topology.client_of(node.mgmt_ip)) \
            if len(self.topology.clients) > 1 else self.probe  # asked from its own site
        done = self.exec(probe, [command, "-v2c", "-c", creds.community, "-t", "0.5",
                                 "-r", "1", "-On", "-Oq", "-m", "", node.mgmt_ip, oid],
                         timeout=10)
        return [line for line in done.stdout.splitlines() if line and "No Such" not in line] \
            if done.returncode == 0 else []

    @property
    def probe(self) -> str:
        probes = [n.name for n in self.topology.nodes.values() if n.kind == "probe"]
        if not probes:
            raise LabError(f"topology {self.topology.name} has no probe node")
        return probes[0]

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        expected = self.expected_lldp()
        snmp_nodes = [n for n in self.topology.nodes.values() if n.spec.snmp]

        def lldp_pending() -> list[str]:
            return [node for node, want in expected.items()
                    if not want <= self.lldp_neighbors(node)]

        def snmp_pending() -> list[str]:
            missing = []
            for node in snmp_nodes:
                if not self._snmp_answers(node, ".1.3.6.1.2.1.1.5.0"):
                    missing.append(f"{node.name} (SNMP)")
                elif node.name in expected and len(self._snmp_answers(
                        node, ".1.0.8802.1.1.2.1.4.1.1.9", walk=True)) < len(expected[node.name]):
                    missing.append(f"{node.name} (LLDP-MIB)")
                elif node.spec.ssh and not any(
                        f'"{device_port_name(self.topology.ports(node.name)[0], long=False)}"'
                        in line for line in self._snmp_answers(
                            node, ".1.3.6.1.2.1.31.1.1.1.1", walk=True)):
                    missing.append(f"{node.name} (ifName helper)")  # started, answering
            return missing

        live = lambda: all(system.is_ours(r) for r in self.processes)  # noqa: E731
        self._wait_for(lldp_pending, max(1.0, deadline - time.monotonic()),
                       "LLDP neighbours not all seen", check=live)
        self._wait_for(snmp_pending, max(1.0, deadline - time.monotonic()),
                       "SNMP agents not all answering", check=live)

    # ------------------------------------------------------------ ground truth
    def _interfaces(self, node: Node) -> list[dict[str, Any]]:
        raw = json.loads(system.ip("-j", "-d", "link", "show", netns=self.netns(node.name)))
        out = []
        for link in raw:
            name = link["ifname"]
            if name == "lo":
                continue
            entry: dict[str, Any] = {
                "name": name, "ifindex": link["ifindex"], "mac": link["address"],
                "ipv4": [str(node.addresses[name])] if name in node.addresses else [],
                "description": link.get("ifalias", ""),
                "ifname": device_port_name(name, long=False) if node.spec.ssh else name,
                "ifdescr": device_port_name(name, long=True) if node.spec.ssh else name,
            }
            slave = link.get("linkinfo", {}).get("info_slave_data", {})
            if "no" in slave:
                entry["bridge_port"] = int(slave["no"], 0)
            if node.spec.bridge and name in self.topology.ports(node.name):
                mode, vlan, allowed = self.topology.port_vlans(Port(node.name, name))
                entry.update(vlan_mode=mode, vlan=vlan, allowed_vlans=list(allowed))
            if name != BRIDGE and name in self.topology.ports(node.name):
                peer = self.topology.peer(Port(node.name, name))
                entry["peer"] = {"node": peer.node, "port": peer.name}
            out.append(entry)
        return sorted(out, key=lambda e: e["ifindex"])

    def _chassis_id(self, node: str) -> str:
        done = system.run([system.tool("lldpcli"), "-u", str(self.files(node).lldpd_socket),
                           "-f", "json0", "show", "chassis"], check=False, timeout=5)
        try:
            chassis = json.loads(done.stdout)["local-chassis"][0]["chassis"][0]
            return str(chassis["id"][0]["value"])
        except (ValueError, KeyError, IndexError):
            return ""

    def _collect_ground_truth(self) -> dict[str, Any]:
        topo = self.topology
        creds = self._credentials()
        nodes: dict[str, Any] = {}
        for node in topo.nodes.values():
            interfaces = self._interfaces(node)
            entry: dict[str, Any] = {
                "kind": node.kind, "role": node.spec.role, "netns": self.netns(node.name),
                "mgmt_ip": node.mgmt_ip, "managed": node.managed,
                "sys_name": node.name if node.spec.snmp else "",
                "vendor": node.platform.vendor, "model": node.platform.model,
                "serial": node.serial, "version": node.platform.version,
                "platform": node.platform.netdoc_platform,
                "sys_descr": node.platform.sys_descr if node.spec.snmp else "",
                "sys_object_id": node.platform.sys_object_id if node.spec.snmp else "",
                "sys_location": (node.location or topo.site) if node.spec.snmp else "",
                "sys_contact": topo.contact if node.spec.snmp else "",
                "base_mac": self.base_mac(node.name),
                "location": node.location,
                "gateway": str(node.gateway) if node.gateway else "",
                "services": {"snmp": list(node.spec.snmp), "lldp": node.spec.lldp,
                             "ssh": node.spec.ssh},
                "interfaces": interfaces,
            }
            if node.spec.lldp:
                entry["lldp_chassis_id"] = self._chassis_id(node.name)
            if node.spec.bridge and node.managed:
                entry["fdb"] = self._expected_fdb(node)
            if node.spec.ssh:
                entry["running_config"] = str(self.files(node.name).running_config)
            nodes[node.name] = entry
        return {
            "schema": SCHEMA_VERSION, "topology": topo.name, "description": topo.description,
            "prefix": self.prefix, "state_dir": str(self.state_dir),
            "config": str(self.config_path), "created": self.created,
            "client": topo.client, "site": topo.site, "probe": self.probe,
            "vlans": {str(k): v for k, v in topo.vlans.items()},
            "subnets": [{"name": s.name, "cidr": str(s.network), "gateway": str(s.gateway),
                         "scanned": s.scan, "client": s.client or topo.client}
                        for s in topo.subnets],
            "nodes": nodes,
            "links": [self._link_truth(link.a, link.b) for link in topo.links
                      if not self._is_endpoint_link(link.a, link.b)],
            "endpoints": self._endpoints(),
            "credentials": self._credentials_truth(creds),
            "clients": topo.clients,
            "hub": self._hub_truth(),
        }

    def _is_endpoint_link(self, a: Port, b: Port) -> bool:
        """Links to hosts are listed under endpoints; `links` is the network's backbone."""
        return not all(self.topology.nodes[end.node].spec.bridge or
                       self.topology.nodes[end.node].spec.forwards for end in (a, b))

    def _link_truth(self, a: Port, b: Port) -> dict[str, Any]:
        lldp = self.topology.nodes[a.node].spec.lldp and self.topology.nodes[b.node].spec.lldp
        return {"a": {"node": a.node, "port": a.name, "mac": self.mac(a.node, a.name),
                      "port_name": self._port_name(a)},
                "b": {"node": b.node, "port": b.name, "mac": self.mac(b.node, b.name),
                      "port_name": self._port_name(b)},
                "lldp": lldp}

    def _port_name(self, port: Port) -> str:
        """The port as its device names it over SNMP and LLDP (Gi1/0/25)."""
        node = self.topology.nodes[port.node]
        return device_port_name(port.name, long=False) if node.spec.ssh else port.name

    def _endpoints(self) -> list[dict[str, Any]]:
        out = []
        for node in self.topology.nodes.values():
            if node.spec.bridge or node.spec.forwards:
                continue
            peer = self.topology.peer(Port(node.name, HOST_PORT))
            address = node.addresses.get(HOST_PORT)
            subnet = self.topology.subnet_of(address) if address else None
            switch = self.topology.nodes[peer.node]
            out.append({"node": node.name, "kind": node.kind, "role": node.spec.role,
                        "ip": str(address.ip) if address else "",
                        "mac": self.mac(node.name, HOST_PORT),
                        "switch": peer.node, "port": peer.name,
                        "port_name": self._port_name(peer),
                        "vlan": self.topology.port_vlans(peer)[1] if switch.spec.bridge else 0,
                        "switch_managed": switch.managed, "quiet": node.quiet,
                        "drop": node.drop, "announces_lldp": node.spec.lldp,
                        "chassis_id": node.chassis_id,
                        "subnet": subnet.name if subnet else ""})
        return out

    def _expected_fdb(self, node: Node) -> dict[str, str]:
        """mac -> port: every station of the segment this switch should have learned."""
        fdb = {}
        for port in self.topology.ports(node.name):
            for station in self.topology.segment_behind(Port(node.name, port)):
                fdb[self.mac(station.node, station.name)] = port
        return dict(sorted(fdb.items()))

    def _credentials_truth(self, creds: Credentials) -> dict[str, Any]:
        folder = self.state_dir / "secrets"
        return {
            "snmp_v2c": {"community": creds.community,
                         "community_file": str(folder / "snmp-community")},
            "snmp_v3": {"user": creds.v3_user, "auth": "sha", "auth_key": creds.v3_auth_key,
                        "priv": "aes", "priv_key": creds.v3_priv_key,
                        "auth_key_file": str(folder / "snmp-auth-key"),
                        "priv_key_file": str(folder / "snmp-priv-key")},
            "ssh": {"username": creds.ssh_user, "password": creds.ssh_password,
                    "enable": creds.ssh_enable, "password_file": str(folder / "ssh-password"),
                    "enable_file": str(folder / "ssh-enable")},
        }

    def _netdoc_yaml(self) -> str:
        topo = self.topology
        folder = self.state_dir / "secrets"
        hub = self._hub_truth()
        lines = [
            f"# netdoc.yaml for the site lab {topo.name!r}, written by `netdoc lab up`.",
            "# Run netdoc inside the probe namespace:",
            f"#   ip netns exec {self.netns(self.probe)} netdoc --config {self.config_path} run",
            "credentials:",
            f"  lab-snmp3: {{snmp: {{version: 3, user: {self._credentials().v3_user}, auth: sha, "
            f"auth_key: \"file:{folder / 'snmp-auth-key'}\", priv: aes, "
            f"priv_key: \"file:{folder / 'snmp-priv-key'}\"}}}}",
            f"  lab-snmp:  {{snmp: {{version: 2c, community: \"file:{folder / 'snmp-community'}\"}}}}",
            f"  lab-ssh:   {{ssh: {{username: {self._credentials().ssh_user}, "
            f"password: \"file:{folder / 'ssh-password'}\", "
            f"enable: \"file:{folder / 'ssh-enable'}\"}}}}",
            "clients:",
        ]
        for client in topo.clients:  # one client per site: run each at its own probe
            subnets = ", ".join(str(s.network) for s in topo.subnets
                                if s.scan and (s.client or topo.client) == client)
            seeds = [n for n in topo.nodes.values() if n.spec.ssh and n.kind != "rogue"
                     and topo.client_of(n.mgmt_ip) == client]
            lines += [f"  {client}:", "    sites:", f"      {topo.site}:",
                      f"        subnets: [{subnets}]",
                      "        credentials: [lab-snmp3, lab-snmp, lab-ssh]",
                      "        devices:"]
            for node in seeds:
                lines.append(f"          - {{host: {node.mgmt_ip}, name: {node.name}, "
                             f"platform: {node.platform.netdoc_platform}}}")
            if hub:  # each client's probe pushes with its own key
                lines += ["    central:", f"      remote: \"{hub['remote']}\"",
                          f"      ssh_key: {hub['keys'][f'probe-{client}']}",
                          f"      known_hosts: {hub['known_hosts']}", "      timeout: 60"]
        lines += ["output:", "  inventory: inventory", "  config_backups: config_backups"]
        return "\n".join(lines) + "\n"



def remove_netns_etc(prefix: str) -> None:
    """Remove the /etc/netns/ folders the lab made (marked), never anyone else's."""
    if not NETNS_ETC.is_dir():
        return
    for folder in NETNS_ETC.glob(f"{prefix}*"):
        resolv = folder / "resolv.conf"
        try:
            if resolv.read_text(encoding="utf-8").startswith(LAB_MARK):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def remove_namespaces(prefix: str, recorded: Sequence[str] = ()) -> list[str]:
    """Delete the recorded namespaces and any other with the lab's prefix."""
    problems = []
    existing = system.list_netns()
    for name in sorted((set(recorded) | {n for n in existing if n.startswith(prefix)})
                       & set(existing)):
        strangers = system.ip("netns", "pids", name, check=False).split()
        if strangers:
            problems.append(f"namespace {name} still holds processes the lab did not start "
                            f"(pids {', '.join(strangers)}); they keep it alive until they exit")
        done = system.run([system.tool("ip"), "netns", "delete", name], check=False)
        if done.returncode != 0:
            problems.append(f"cannot delete namespace {name}: {done.stderr.strip()}")
    return problems
