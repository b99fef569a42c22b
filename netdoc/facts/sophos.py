"""Facts from Sophos Firewall (SFOS) XML configurations (parser name: sophos).

The XML is the one SFOS exports (System > Backup & firmware > Import export,
`Entities.xml`) and its XML API answers: a <Configuration> of entities such as
<Interface>, <VLAN>, <IPHost>, <Services>, <FirewallRule>, <NATRule>,
<IPSecConnection>, <UnicastRoute>, <DHCPServer>, <Zone>, <User>. Read with
defusedxml; password elements are never read.
"""
from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from netdoc.facts.model import (DeviceFacts, DhcpScope, FactsError, Interface, NatRule, Route,
                                Rule, Vlan, Vpn)
from netdoc.facts.tree import network, prefix


def _t(node: Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def _all(node: Element | None, path: str) -> list[str]:
    if node is None:
        return []
    return [(e.text or "").strip() for e in node.findall(path) if (e.text or "").strip()]


def parse_sophos(text: str) -> DeviceFacts:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    text = re.sub(r"<masked:[0-9A-Za-z]*>", "MASKED", text)
    try:
        root: Any = fromstring(text.strip().encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise FactsError(f"Sophos XML refused: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - ParseError and friends
        raise FactsError(f"Sophos XML is not well-formed: {exc}") from None
    facts = DeviceFacts(parser="sophos")
    facts.hostname = _t(root, "AdminSettings/HostnameSettings/HostName") or \
        _t(root, "HostName")
    hosts: dict[str, str] = {}
    for host in root.findall("IPHost"):
        kind = _t(host, "HostType")
        if kind == "IP":
            hosts[_t(host, "Name")] = f"{_t(host, 'IPAddress')}/32"
        elif kind == "Network":
            hosts[_t(host, "Name")] = network(_t(host, "IPAddress"), _t(host, "Subnet"))
        elif kind == "IPRange":
            hosts[_t(host, "Name")] = f"{_t(host, 'StartIPAddress')}-{_t(host, 'EndIPAddress')}"
    services: dict[str, str] = {}
    for svc in root.findall("Services"):
        details = [f"{_t(d, 'Protocol').lower()}/{_t(d, 'DestinationPort')}"
                   for d in svc.findall("ServiceDetails/ServiceDetail")]
        if details:
            services[_t(svc, "Name")] = " ".join(details)

    def named(value: str, known: dict[str, str]) -> str:
        if value.startswith("#"):   # '#Port2': the interface's own address
            return f"{value[1:]} address"
        return f"{value} ({known[value]})" if value in known else value

    for node in root.findall("Interface"):
        iface = Interface(_t(node, "Name") or _t(node, "Hardware"),
                          zone=_t(node, "NetworkZone"),
                          enabled=_t(node, "Status").lower() not in ("disable", "disabled"),
                          dhcp_client=_t(node, "IPv4Assignment") == "DHCP")
        if _t(node, "IPAddress") and _t(node, "Netmask"):
            iface.addresses.append(prefix(_t(node, "IPAddress"), _t(node, "Netmask")))
        facts.interfaces.append(iface)
    for node in root.findall("VLAN"):
        vid = _t(node, "VLANID")
        iface = Interface(_t(node, "Name") or _t(node, "Hardware"), zone=_t(node, "Zone"))
        if _t(node, "IPAddress") and _t(node, "Netmask"):
            iface.addresses.append(prefix(_t(node, "IPAddress"), _t(node, "Netmask")))
        if vid.isdigit():
            iface.access_vlan = int(vid)
            facts.vlans.append(Vlan(int(vid), iface.name))
        facts.interfaces.append(iface)
    for node in root.findall("UnicastRoute"):
        facts.routes.append(Route(network(_t(node, "DestinationIP"), _t(node, "Netmask")),
                                  gateway=_t(node, "Gateway"), interface=_t(node, "Interface")))
    for node in root.findall("Gateway"):
        if _t(node, "IPv4Address") or _t(node, "IPAddress"):
            facts.default_gateway = facts.default_gateway or _t(node, "IPv4Address") or \
                _t(node, "IPAddress")
    for node in root.findall("DHCPServer"):
        facts.dhcp.append(DhcpScope(
            name=_t(node, "Name"), interface=_t(node, "Interface"),
            ranges=_all(node, "IPLease/IP"), gateway=_t(node, "Gateway"),
            dns_servers=[d for d in (_t(node, "PrimaryDNSServer"),
                                     _t(node, "SecondaryDNSServer")) if d]))
    for index, node in enumerate(root.findall("FirewallRule"), start=1):
        policy = node.find("NetworkPolicy")
        if policy is None:
            policy = node.find("UserPolicy")
        facts.rules.append(Rule(
            id=_t(node, "Name") or str(index), kind="policy", name=_t(node, "Name"),
            source_zone=", ".join(_all(policy, "SourceZones/Zone")) or "any",
            destination_zone=", ".join(_all(policy, "DestinationZones/Zone")) or "any",
            sources=[named(n, hosts) for n in _all(policy, "SourceNetworks/Network")]
            or ["any"],
            destinations=[named(n, hosts) for n in _all(policy, "DestinationNetworks/Network")]
            or ["any"],
            services=[named(s, services) for s in _all(policy, "Services/Service")] or ["any"],
            action={"accept": "allow", "drop": "deny"}.get(_t(policy, "Action").lower(),
                                                           _t(policy, "Action").lower()),
            enabled=_t(node, "Status") != "Disable", comment=_t(node, "Description")))
    for index, node in enumerate(root.findall("NATRule"), start=1):
        translated_destination = _t(node, "TranslatedDestination")
        original = ", ".join(named(n, hosts) for n in
                             _all(node, "OriginalDestinationNetworks/Network"))
        facts.nat.append(NatRule(
            id=_t(node, "Name") or str(index),
            kind="destination" if translated_destination not in ("", "Original")
            else "source",
            interface=", ".join(_all(node, "InboundInterfaces/Interface") or
                                _all(node, "OutboundInterfaces/Interface")),
            source=", ".join(named(n, hosts) for n in
                             _all(node, "OriginalSourceNetworks/Network")),
            destination=original,
            service=", ".join(named(s, services) for s in
                              _all(node, "OriginalServices/Service")),
            translated_source=_t(node, "TranslatedSource").replace("Original", ""),
            translated_destination=named(translated_destination, hosts)
            if translated_destination != "Original" else "",
            translated_service=named(_t(node, "TranslatedService"), services)
            .replace("Original", ""),
            enabled=_t(node, "Status") != "Disable", comment=_t(node, "Description")))
    for node in root.findall("IPSecConnection"):
        conf = node.find("Configuration")
        facts.vpns.append(Vpn(
            name=_t(conf, "Name"),
            kind="remote-access" if _t(conf, "ConnectionType") == "RemoteAccess"
            else "site-to-site",
            peer=_t(node, "RemoteSite/RemoteHost"),
            interface=_t(node, "LocalSite/ListenInterface"),
            local_subnets=[named(s, hosts) for s in _all(node, "LocalSite/LocalSubnet/Subnet")],
            remote_subnets=[named(s, hosts) for s in
                            _all(node, "RemoteSite/RemoteSubnet/Subnet")],
            crypto=_t(conf, "Policy"), enabled=_t(conf, "Status") != "Inactive"))
    lease = root.find("SSLTunnelAccessSettings/IPv4Lease")
    if lease is not None:
        facts.vpns.append(Vpn(name="ssl-vpn", kind="remote-access", crypto="sslvpn",
                              pool=network(_t(lease, "IPaddress"), _t(lease, "Netmask"))))
    _management(root, facts)
    return facts.finish()


def _management(root: Any, facts: DeviceFacts) -> None:
    mgmt = facts.management
    mgmt.ssh = mgmt.https = mgmt.http = mgmt.telnet = False
    for zone in root.findall("Zone"):
        admin = zone.find("ApplianceAccess/AdminServices")
        for tag, service in (("HTTPS", "https"), ("SSH", "ssh"), ("HTTP", "http"),
                             ("Telnet", "telnet")):
            if admin is not None and _t(admin, tag) == "Enable":
                setattr(mgmt, service, True)
                mgmt.access.append(f"{service} from zone {_t(zone, 'Name')}")
    mgmt.ntp_servers = _all(root, "NTPServer/NTPServerList/NTPServer") or \
        _all(root, "NTPServer/NTPServer")
    mgmt.syslog_servers = _all(root, "SyslogServers/ServerAddress")
    mgmt.dns_servers = [d for d in (_t(root, "DNS/IPv4Settings/DNSIPList/DNS1"),
                                    _t(root, "DNS/IPv4Settings/DNSIPList/DNS2")) if d]
    for server in root.findall("AuthenticationServer/*"):
        kind = server.tag.removesuffix("Server").lower()
        mgmt.aaa_servers.append(f"{'tacacs+' if kind == 'tacacs' else kind} "
                                f"{_t(server, 'ServerAddress')}")
    for community in root.findall("SNMPCommunity"):
        if _t(community, "SupportV1Protocol") == "Enable":
            mgmt.snmp_versions.append("v1")
        if _t(community, "SupportV2CProtocol") == "Enable":
            mgmt.snmp_versions.append("v2c")
        mgmt.snmp_hosts += _all(community, "IPAddress")
    if root.findall("SNMPv3User"):
        mgmt.snmp_versions.append("v3")
    mgmt.local_users = [_t(u, "Username") for u in root.findall("User")
                        if _t(u, "UserType") == "Administrator"]
