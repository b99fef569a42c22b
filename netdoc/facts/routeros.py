"""Facts from MikroTik RouterOS `/export` output (parser name: routeros).

An export is a list of `/menu path` headers followed by `add`/`set` commands of
`key=value` words (quoted values, `\\` line continuations, `[ find ... ]`
selectors). The words are split with the stdlib's shlex; each command becomes
(menu, verb, selector, {key: value}). RouterOS exports only what differs from the
defaults, so services (telnet, www, ssh) count as on unless an export turns them off.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from netdoc.facts.model import (DeviceFacts, DhcpScope, Interface, NatRule, Neighbor, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import network


@dataclass
class Command:
    menu: str
    verb: str
    selector: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    @property
    def disabled(self) -> bool:
        return self.values.get("disabled") == "yes"


def commands(text: str) -> list[Command]:
    text = re.sub(r"\\\r?\n\s*", "", text)   # joined continuation lines
    out: list[Command] = []
    menu = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("/"):   # "/ip firewall nat" or "/ip firewall nat add ..."
            parts = line.split(" ")
            verb = next((i for i, p in enumerate(parts) if p in ("add", "set")), len(parts))
            menu = "/".join(p.strip("/") for p in parts[:verb] if p.strip("/"))
            menu = "/" + menu
            line = " ".join(parts[verb:])
            if not line:
                continue
        try:
            words = shlex.split(line, posix=True)
        except ValueError:
            words = line.split()
        if not words or words[0] not in ("add", "set"):
            continue
        command = Command(menu, words[0])
        rest_words = words[1:]
        if rest_words[:1] == ["["]:
            end = rest_words.index("]") if "]" in rest_words else len(rest_words) - 1
            for word in rest_words[1:end]:
                key, _, value = word.partition("=")
                if value:
                    command.selector[key] = value
            rest_words = rest_words[end + 1:]
        elif rest_words and "=" not in rest_words[0]:
            command.selector["name"] = rest_words.pop(0)   # `set telnet disabled=yes`
        for word in rest_words:
            key, _, value = word.partition("=")
            command.values[key] = value
        out.append(command)
    return out


def _list(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def parse_routeros(text: str) -> DeviceFacts:
    facts = DeviceFacts(parser="routeros")
    mgmt = facts.management
    interfaces: dict[str, Interface] = {}
    pools: dict[str, str] = {}
    services = {"telnet": True, "www": True, "ssh": True, "www-ssl": False}
    snmp_on = False
    peers: dict[str, Vpn] = {}

    def iface(name: str) -> Interface:
        return interfaces.setdefault(name, Interface(name=name))

    cmds = commands(text)
    for c in cmds:
        menu = c.menu
        if menu == "/system/identity":
            facts.hostname = c.get("name") or facts.hostname
        elif menu == "/interface/ethernet" and c.verb == "set":
            name = c.get("name") or c.selector.get("default-name", "")
            if name:
                item = iface(name)
                item.description = c.get("comment")
                item.enabled = not c.disabled
        elif menu == "/interface/vlan":
            item = iface(c.get("name"))
            if c.get("vlan-id").isdigit():
                item.access_vlan = int(c.get("vlan-id"))
                facts.vlans.append(Vlan(int(c.get("vlan-id")), c.get("comment") or c.get("name")))
            item.description = c.get("comment")
        elif menu == "/interface/bridge":
            iface(c.get("name")).description = c.get("comment")
        elif menu == "/ip/address":
            item = iface(c.get("interface"))
            if not c.disabled:
                item.addresses.append(c.get("address"))
        elif menu == "/ip/dhcp-client":
            iface(c.get("interface")).dhcp_client = not c.disabled
        elif menu == "/ip/route":
            if not c.disabled:
                facts.routes.append(Route(c.get("dst-address") or "0.0.0.0/0",
                                          gateway=c.get("gateway"),
                                          distance=int(c.get("distance"))
                                          if c.get("distance").isdigit() else None))
        elif menu == "/ip/pool":
            pools[c.get("name")] = c.get("ranges")
        elif menu == "/ip/dhcp-server":
            facts.dhcp.append(DhcpScope(name=c.get("name"), interface=c.get("interface"),
                                        ranges=_list(pools.get(c.get("address-pool"), ""))))
        elif menu == "/ip/dhcp-server/network":
            scope = DhcpScope(name=c.get("address"), network=c.get("address"),
                              gateway=c.get("gateway"), dns_servers=_list(c.get("dns-server")))
            facts.dhcp.append(scope)
        elif menu == "/ip/firewall/filter":
            facts.rules.append(_filter(c, len(facts.rules) + 1))
        elif menu == "/ip/firewall/nat":
            facts.nat.append(_nat(c, len(facts.nat) + 1))
        elif menu == "/ip/ipsec/peer":
            vpn = Vpn(name=c.get("name") or c.get("address"),
                      peer=c.get("address").removesuffix("/32"),
                      crypto=" ".join(x for x in (c.get("exchange-mode"), c.get("profile"))
                                      if x), enabled=not c.disabled)
            peers[vpn.name] = vpn
            facts.vpns.append(vpn)
        elif menu == "/ip/ipsec/policy":
            owner = peers.get(c.get("peer"))
            if owner is not None:
                owner.local_subnets.append(c.get("src-address"))
                owner.remote_subnets.append(c.get("dst-address"))
        elif menu == "/interface/wireguard/peers":
            facts.vpns.append(Vpn(name=c.get("name") or c.get("comment") or
                                  c.get("endpoint-address") or c.get("interface"),
                                  crypto="wireguard", peer=c.get("endpoint-address"),
                                  interface=c.get("interface"),
                                  remote_subnets=_list(c.get("allowed-address")),
                                  enabled=not c.disabled))
        elif menu in ("/interface/l2tp-server/server", "/interface/sstp-server/server",
                      "/interface/ovpn-server/server") and c.get("enabled") == "yes":
            kind = menu.split("/")[2].removesuffix("-server")
            facts.vpns.append(Vpn(name=f"{kind} server", kind="remote-access",
                                  crypto=kind + (" ipsec" if c.get("use-ipsec") in
                                                 ("yes", "required") else ""),
                                  pool=c.get("default-profile")))
        elif menu == "/routing/bgp/connection":
            facts.neighbors.append(Neighbor("bgp", c.get("remote.address"),
                                            remote_as=c.get("remote.as"),
                                            description=c.get("name")))
        elif menu == "/routing/bgp/peer":
            facts.neighbors.append(Neighbor("bgp", c.get("remote-address"),
                                            remote_as=c.get("remote-as"),
                                            description=c.get("name")))
        elif menu == "/routing/ospf/interface-template":
            for net in _list(c.get("networks")) or [c.get("interfaces")]:
                facts.neighbors.append(Neighbor("ospf", net, area=c.get("area")))
        elif menu == "/ip/service":
            name = c.selector.get("name", "")
            if name in services and "disabled" in c.values:
                services[name] = not c.disabled
        elif menu == "/snmp" and c.verb == "set":
            snmp_on = c.get("enabled") == "yes"
            if c.get("trap-target"):
                mgmt.snmp_hosts += _list(c.get("trap-target"))
        elif menu == "/snmp/community":
            if c.get("authentication-protocol") or c.get("encryption-protocol"):
                mgmt.snmp_versions.append("v3")
            elif c.get("addresses"):
                mgmt.snmp_hosts += [a for a in _list(c.get("addresses"))
                                    if a != "::/0" and a != "0.0.0.0/0"]
        elif menu == "/system/ntp/client/servers":
            mgmt.ntp_servers.append(c.get("address"))
        elif menu == "/system/ntp/client":
            mgmt.ntp_servers += _list(c.get("servers")) + [c.get(k) for k in
                                                           ("primary-ntp", "secondary-ntp")
                                                           if c.get(k) not in ("", "0.0.0.0")]
        elif menu == "/system/logging/action" \
                and c.get("remote"):
            mgmt.syslog_servers.append(c.get("remote"))
        elif menu == "/radius":
            mgmt.aaa_servers.append(f"radius {c.get('address')}")
        elif menu == "/user" and c.verb == "add":
            mgmt.local_users.append(c.get("name"))
        elif menu == "/ip/dns":
            mgmt.dns_servers += _list(c.get("servers"))
    if snmp_on:
        mgmt.snmp_versions.append("v2c")
    mgmt.telnet, mgmt.http = services["telnet"], services["www"]
    mgmt.ssh, mgmt.https = services["ssh"], services["www-ssl"]
    facts.interfaces = [i for i in interfaces.values() if i.name]
    _dhcp_merge(facts)
    return facts.finish()


def _dhcp_merge(facts: DeviceFacts) -> None:
    """RouterOS splits a scope into a server (pool, interface) and a network (gateway,
    DNS): join them on the interface's address."""
    servers = [s for s in facts.dhcp if s.interface]
    networks = [s for s in facts.dhcp if not s.interface]
    for net in networks:
        for server in servers:
            for item in facts.interfaces:
                if item.name == server.interface and any(
                        network(a) == net.network for a in item.addresses):
                    server.network, server.gateway = net.network, net.gateway
                    server.dns_servers = net.dns_servers
                    net.name = ""
    facts.dhcp = servers + [n for n in networks if n.name]


def _endpoint(c: Command, side: str) -> str:
    address = c.get(f"{side}-address")
    listed = c.get(f"{side}-address-list")
    if listed:
        return f"list {listed}"
    return address or "any"


def _filter(c: Command, index: int) -> Rule:
    protocol = c.get("protocol")
    port = c.get("dst-port")
    service = f"{protocol}/{port}" if protocol and port else protocol or "any"
    source_zone = c.get("in-interface") or c.get("in-interface-list")
    destination_zone = c.get("out-interface") or c.get("out-interface-list")
    chain = c.get("chain")
    if chain == "input":
        destination_zone = destination_zone or "router"
    state = c.get("connection-state")
    return Rule(id=str(index), kind="policy", name=c.get("comment"),
                source_zone=source_zone or "", destination_zone=destination_zone or "",
                sources=[_endpoint(c, "src")], destinations=[_endpoint(c, "dst")],
                services=[service] + ([f"state {state}"] if state else []),
                action={"accept": "allow", "drop": "deny"}.get(c.get("action"),
                                                              c.get("action")),
                enabled=not c.disabled, applied_to=f"chain {chain}" if chain else "")


def _nat(c: Command, index: int) -> NatRule:
    protocol = c.get("protocol")
    if c.get("chain") == "dstnat" or c.get("action") in ("dst-nat", "netmap"):
        return NatRule(id=str(index), kind="destination",
                       interface=c.get("in-interface") or c.get("in-interface-list"),
                       source=_endpoint(c, "src") if c.get("src-address") else "",
                       destination=c.get("dst-address") or "router address",
                       service=f"{protocol}/{c.get('dst-port')}" if c.get("dst-port")
                       else protocol,
                       translated_destination=c.get("to-addresses"),
                       translated_service=f"{protocol}/{c.get('to-ports')}"
                       if c.get("to-ports") else "",
                       enabled=not c.disabled, comment=c.get("comment"))
    return NatRule(id=str(index), kind="source",
                   interface=c.get("out-interface") or c.get("out-interface-list"),
                   source=c.get("src-address") or "any",
                   destination=c.get("dst-address"),
                   translated_source="interface address" if c.get("action") == "masquerade"
                   else c.get("to-addresses"),
                   enabled=not c.disabled, comment=c.get("comment"))
