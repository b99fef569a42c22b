"""Facts from pfSense and OPNsense `config.xml` (parser name: pfsense).

The file is read with defusedxml (no entities, no external references, no
billion-laughs). Both products share the classic layout (<interfaces>, <vlans>,
<staticroutes>, <gateways>, <dhcpd>, <ipsec>, <openvpn>, <filter>, <nat>,
<snmpd>, <syslog>, <system>); OPNsense adds plugins under <OPNsense> (WireGuard,
syslog destinations), read where present. Secret elements (keys, hashes,
communities) are never read.
"""
from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from netdoc.facts.model import (DeviceFacts, DhcpScope, FactsError, Interface, NatRule, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import network, prefix


def _text(node: Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _has(node: Element | None, path: str) -> bool:
    return node is not None and node.find(path) is not None


def _endpoint(node: Element | None, nets: dict[str, str]) -> tuple[str, str]:
    """A rule's <source>/<destination>: (address text, port)."""
    if node is None:
        return "any", ""
    negate = "!" if _has(node, "not") else ""
    port = _text(node, "port")
    if _has(node, "any"):
        return negate + "any", port
    if _text(node, "network"):
        name = _text(node, "network")
        if name.endswith("ip") and name != "ip":   # wanip, lanip, opt1ip: its own address
            return negate + f"{name.removesuffix('ip')} address", port
        return negate + (f"{name} net ({nets[name]})" if name in nets else name), port
    if _text(node, "address"):
        return negate + _text(node, "address"), port
    return "any", port


def parse_pfsense(text: str) -> DeviceFacts:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    # netdoc's masks (<masked:0123abcdef>) look like tags: make them plain text first
    text = re.sub(r"<masked:[0-9A-Za-z]*>", "MASKED", text)
    try:
        root: Any = fromstring(text.strip().encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise FactsError(f"config.xml refused: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - ParseError and friends
        raise FactsError(f"config.xml is not well-formed XML: {exc}") from None
    facts = DeviceFacts(parser="pfsense")
    system = root.find("system")
    facts.hostname = _text(system, "hostname")
    facts.domain = _text(system, "domain")
    nets: dict[str, str] = {}
    names: dict[str, str] = {}       # pfSense interface key -> what the GUI calls it
    for iface in list(root.find("interfaces") if root.find("interfaces") is not None else []):
        item = Interface(name=_text(iface, "if") or iface.tag,
                         description=_text(iface, "descr") or iface.tag.upper(),
                         zone=iface.tag, enabled=_has(iface, "enable")
                         or iface.tag in ("wan", "lan") and not _has(iface, "disabled"))
        address = _text(iface, "ipaddr")
        if address == "dhcp":
            item.dhcp_client = True
        elif address:
            item.addresses.append(prefix(address, _text(iface, "subnet") or "32"))
            nets[iface.tag] = network(address, _text(iface, "subnet") or "32")
        names[iface.tag] = item.description
        facts.interfaces.append(item)
    for vlan in root.findall("vlans/vlan"):
        tag = _text(vlan, "tag")
        if tag.isdigit():
            facts.vlans.append(Vlan(int(tag), _text(vlan, "descr")))
            for item in facts.interfaces:
                if item.name == _text(vlan, "vlanif"):
                    item.access_vlan = int(tag)
    gateways = {_text(g, "name"): _text(g, "gateway") for g in
                root.findall("gateways/gateway_item")}
    default = _text(root, "gateways/defaultgw4")
    for g in root.findall("gateways/gateway_item"):
        if _has(g, "defaultgw") or _text(g, "name") == default:
            facts.default_gateway = _text(g, "gateway")
    for iface in list(root.find("interfaces") if root.find("interfaces") is not None else []):
        if not facts.default_gateway and iface.tag == "wan" and _text(iface, "gateway"):
            facts.default_gateway = gateways.get(_text(iface, "gateway"), "")
    for route in root.findall("staticroutes/route"):
        facts.routes.append(Route(network(_text(route, "network")),
                                  gateway=gateways.get(_text(route, "gateway"),
                                                       _text(route, "gateway"))))
    for scope in list(root.find("dhcpd") if root.find("dhcpd") is not None else []):
        if not _has(scope, "enable"):
            continue
        facts.dhcp.append(DhcpScope(
            name=scope.tag, interface=names.get(scope.tag, scope.tag),
            network=nets.get(scope.tag, ""),
            ranges=[f"{_text(scope, 'range/from')}-{_text(scope, 'range/to')}"],
            gateway=_text(scope, "gateway") or (nets.get(scope.tag, "") and
                                                _iface_ip(facts, scope.tag)),
            dns_servers=[d.text.strip() for d in scope.findall("dnsserver") if d.text]))
    _vpns(root, facts, nets)
    _rules(root, facts, nets, names)
    _management(root, system, facts)
    return facts.finish()


def _iface_ip(facts: DeviceFacts, key: str) -> str:
    for item in facts.interfaces:
        if item.zone == key and item.addresses:
            return item.addresses[0].split("/")[0]
    return ""


def _side(node: Element | None, nets: dict[str, str]) -> str:
    kind = _text(node, "type")
    if kind == "network":
        return network(_text(node, "address"), _text(node, "netbits"))
    if kind == "address":
        return f"{_text(node, 'address')}/32"
    return nets.get(kind, kind)


def _vpns(root: Any, facts: DeviceFacts, nets: dict[str, str]) -> None:
    phase1 = {}
    for p1 in root.findall("ipsec/phase1"):
        mobile = _has(p1, "mobile")
        crypto = " ".join(x for x in (_text(p1, "iketype"),
                                      _text(p1, "encryption/item/encryption-algorithm/name")
                                      + _text(p1, "encryption/item/encryption-algorithm/keylen"),
                                      _text(p1, "encryption/item/hash-algorithm")) if x)
        vpn = Vpn(name=_text(p1, "descr") or f"ipsec {_text(p1, 'ikeid')}",
                  kind="remote-access" if mobile else "site-to-site",
                  peer="" if mobile else _text(p1, "remote-gateway"),
                  interface=_text(p1, "interface"), crypto=crypto,
                  enabled=not _has(p1, "disabled"))
        if mobile and _text(root, "ipsec/client/pool_address"):
            vpn.pool = network(_text(root, "ipsec/client/pool_address"),
                               _text(root, "ipsec/client/pool_netbits"))
        phase1[_text(p1, "ikeid")] = vpn
        facts.vpns.append(vpn)
    for p2 in root.findall("ipsec/phase2"):
        owner = phase1.get(_text(p2, "ikeid"))
        if owner is not None:
            owner.local_subnets.append(_side(p2.find("localid"), nets))
            if not owner.kind == "remote-access":
                owner.remote_subnets.append(_side(p2.find("remoteid"), nets))
    for server in root.findall("openvpn/openvpn-server"):
        user_mode = "p2p" not in _text(server, "mode")
        facts.vpns.append(Vpn(
            name=_text(server, "description") or f"openvpn {_text(server, 'vpnid')}",
            kind="remote-access" if user_mode else "site-to-site",
            interface=_text(server, "interface"),
            crypto=f"openvpn {_text(server, 'protocol')} {_text(server, 'local_port')}".strip(),
            pool=_text(server, "tunnel_network") if user_mode else "",
            local_subnets=[s.strip() for s in _text(server, "local_network").split(",") if s],
            remote_subnets=[s.strip() for s in _text(server, "remote_network").split(",") if s],
            enabled=not _has(server, "disable")))
    for client in root.findall("openvpn/openvpn-client"):
        facts.vpns.append(Vpn(
            name=_text(client, "description") or f"openvpn client {_text(client, 'vpnid')}",
            peer=_text(client, "server_addr"), interface=_text(client, "interface"),
            crypto=f"openvpn {_text(client, 'protocol')}".strip(),
            remote_subnets=[s.strip() for s in _text(client, "remote_network").split(",")
                            if s], enabled=not _has(client, "disable")))
    for server in root.findall("OPNsense/wireguard/server/servers/server"):
        facts.vpns.append(Vpn(name=_text(server, "name"), kind="wireguard",
                              crypto=f"wireguard udp/{_text(server, 'port')}",
                              local_subnets=[s for s in _text(server, "tunneladdress")
                                             .split(",") if s],
                              enabled=_text(server, "enabled") == "1"))
    for peer in root.findall("OPNsense/wireguard/client/clients/client"):
        facts.vpns.append(Vpn(name=_text(peer, "name"), kind="site-to-site",
                              peer=_text(peer, "serveraddress"), crypto="wireguard",
                              remote_subnets=[s for s in _text(peer, "tunneladdress")
                                              .split(",") if s],
                              enabled=_text(peer, "enabled") == "1"))


def _service(protocol: str, port: str) -> str:
    if not protocol or protocol == "any":
        return "any"
    return f"{protocol}/{port}" if port else protocol


def _rules(root: Any, facts: DeviceFacts, nets: dict[str, str],
           names: dict[str, str]) -> None:
    for index, rule in enumerate(root.findall("filter/rule"), start=1):
        source, _ = _endpoint(rule.find("source"), nets)
        destination, port = _endpoint(rule.find("destination"), nets)
        interfaces = _text(rule, "interface")
        facts.rules.append(Rule(
            id=_text(rule, "tracker") or str(index), kind="policy",
            name=_text(rule, "descr"),
            source_zone=", ".join(names.get(i, i) for i in interfaces.split(",") if i),
            sources=[source], destinations=[destination],
            services=[_service(_text(rule, "protocol"), port)],
            action={"pass": "allow", "block": "deny"}.get(_text(rule, "type"),
                                                          _text(rule, "type") or "allow"),
            enabled=not _has(rule, "disabled")))
    for index, rule in enumerate(root.findall("nat/rule"), start=1):
        destination, port = _endpoint(rule.find("destination"), nets)
        source, _ = _endpoint(rule.find("source"), nets)
        protocol = _text(rule, "protocol") or "tcp"
        facts.nat.append(NatRule(
            id=f"forward {index}", kind="destination",
            interface=names.get(_text(rule, "interface"), _text(rule, "interface")),
            source=source, destination=destination, service=_service(protocol, port),
            translated_destination=_text(rule, "target"),
            translated_service=_service(protocol, _text(rule, "local-port")),
            enabled=not _has(rule, "disabled"), comment=_text(rule, "descr")))
    mode = _text(root, "nat/outbound/mode")   # absent: automatic, the product's default
    if mode in ("automatic", "hybrid") or (mode == "" and _has(root, "nat")):
        for key, net in nets.items():
            if key != "wan":
                facts.nat.append(NatRule(id=f"outbound auto {key}", kind="source",
                                         interface=names.get("wan", "wan"), source=net,
                                         translated_source="interface address"))
    for index, rule in enumerate(root.findall("nat/outbound/rule"), start=1):
        source, _ = _endpoint(rule.find("source"), nets)
        destination, _ = _endpoint(rule.find("destination"), nets)
        facts.nat.append(NatRule(
            id=f"outbound {index}", kind="source",
            interface=names.get(_text(rule, "interface"), _text(rule, "interface")),
            source=source if source != "any" else _text(rule, "source/network") or "any",
            destination=destination, translated_source=_text(rule, "target") or
            "interface address", enabled=not _has(rule, "disabled"),
            comment=_text(rule, "descr")))
    for index, rule in enumerate(root.findall("nat/onetoone"), start=1):
        source, _ = _endpoint(rule.find("source"), nets)
        facts.nat.append(NatRule(id=f"1:1 {index}", kind="static",
                                 interface=_text(rule, "interface"), source=source,
                                 translated_source=_text(rule, "external"),
                                 enabled=not _has(rule, "disabled")))


def _management(root: Any, system: Element | None, facts: DeviceFacts) -> None:
    mgmt = facts.management
    mgmt.dns_servers = [d.text.strip() for d in root.findall("system/dnsserver") if d.text]
    mgmt.ntp_servers = _text(system, "timeservers").split()
    mgmt.local_users = [_text(u, "name") for u in root.findall("system/user")]
    for server in root.findall("system/authserver"):
        mgmt.aaa_servers.append(f"{_text(server, 'type')} {_text(server, 'host')}".strip())
    protocol = _text(system, "webgui/protocol") or "https"
    mgmt.https = protocol == "https"
    mgmt.http = protocol == "http"
    mgmt.ssh = _text(system, "ssh/enable") == "enabled" or \
        _text(system, "ssh/enabled") == "enabled" or _has(system, "enablesshd")
    mgmt.telnet = False
    snmp = root.find("snmpd")
    if snmp is not None and _has(snmp, "enable"):
        mgmt.snmp_versions.append("v2c")
    if _has(root, "syslog/enable") or _has(root, "syslog/remoteserver"):
        for key in ("remoteserver", "remoteserver2", "remoteserver3"):
            if _text(root, f"syslog/{key}"):
                mgmt.syslog_servers.append(_text(root, f"syslog/{key}").split(":")[0])
    for dest in root.findall("OPNsense/Syslog/destinations/destination"):
        if _text(dest, "enabled") != "0" and _text(dest, "hostname"):
            mgmt.syslog_servers.append(_text(dest, "hostname"))
