"""Passive LLDP/CDP listening on the probe's own interfaces.

The probe learns its upstream switch (and neighbours that have no SNMP) from
the advertisements they send anyway; nothing is transmitted.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

from netdoc.errors import NetdocError
from netdoc.models import Neighbor, normalise_mac

log = logging.getLogger("netdoc.collectors.lldp")

LLDP_OR_CDP = "ether proto 0x88cc or ether dst 01:00:0c:cc:cc:cc"
CAPABILITY_BITS = {"router": "router", "mac_bridge": "bridge", "wlan_access_point": "wlan",
                   "telephone": "telephone", "station_only": "station", "repeater": "repeater",
                   "docsis_cable_device": "docsis", "other": "other"}


def probe_interfaces() -> list[str]:
    """The probe's own Ethernet interfaces that are up (loopback excluded)."""
    from scapy.all import get_if_list

    import os
    found = []
    for name in get_if_list():
        if name == "lo":
            continue
        try:
            with open(f"/sys/class/net/{name}/operstate") as handle:
                if handle.read().strip() not in ("up", "unknown"):
                    continue
        except OSError:
            continue
        if os.path.exists(f"/sys/class/net/{name}/address"):
            found.append(name)
    return sorted(found)


def listen(interfaces: list[str], seconds: float) -> list[Neighbor]:
    if seconds <= 0 or not interfaces:
        return []
    from scapy.sendrecv import sniff
    from scapy.contrib import cdp, lldp  # noqa: F401  (registers the dissectors)

    try:
        packets = sniff(iface=interfaces, timeout=seconds, filter=LLDP_OR_CDP, store=True)
    except (OSError, PermissionError) as exc:
        raise NetdocError(f"cannot listen for LLDP/CDP on {', '.join(interfaces)}: {exc}; "
                          f"it needs root or CAP_NET_RAW") from None
    neighbours: dict[tuple[str, str, str], Neighbor] = {}
    for packet in packets:
        heard = parse_lldp(packet) or parse_cdp(packet)
        if heard is not None:
            neighbours[(heard.protocol, heard.local_port, heard.remote_chassis_id)] = heard
    return sorted(neighbours.values(), key=lambda n: (n.local_port, n.protocol, n.remote_name))


def parse_lldp(packet: Any) -> Neighbor | None:
    from scapy.contrib import lldp

    if not packet.haslayer(lldp.LLDPDUChassisID):
        return None
    chassis = packet[lldp.LLDPDUChassisID]
    port = packet[lldp.LLDPDUPortID] if packet.haslayer(lldp.LLDPDUPortID) else None
    neighbour = Neighbor(protocol="lldp", local_port=str(getattr(packet, "sniffed_on", "") or ""),
                         remote_chassis_id=_chassis_text(chassis.subtype, chassis.id),
                         remote_port=_text(port.id) if port is not None else "")
    if packet.haslayer(lldp.LLDPDUSystemName):
        neighbour.remote_name = _text(packet[lldp.LLDPDUSystemName].system_name)
    if packet.haslayer(lldp.LLDPDUSystemDescription):
        neighbour.remote_platform = _text(packet[lldp.LLDPDUSystemDescription].description)
    if packet.haslayer(lldp.LLDPDUManagementAddress):
        raw = packet[lldp.LLDPDUManagementAddress].management_address
        if isinstance(raw, bytes) and len(raw) == 4:
            neighbour.remote_mgmt_ip = str(ipaddress.IPv4Address(raw))
    if packet.haslayer(lldp.LLDPDUSystemCapabilities):
        caps = packet[lldp.LLDPDUSystemCapabilities]
        neighbour.remote_capabilities = sorted(
            label for field, label in CAPABILITY_BITS.items()
            if getattr(caps, f"{field}_enabled", 0))
    return neighbour


def parse_cdp(packet: Any) -> Neighbor | None:
    from scapy.contrib import cdp

    if not packet.haslayer(cdp.CDPMsgDeviceID):
        return None
    neighbour = Neighbor(protocol="cdp", local_port=str(getattr(packet, "sniffed_on", "") or ""),
                         remote_name=_text(packet[cdp.CDPMsgDeviceID].val))
    if packet.haslayer(cdp.CDPMsgPortID):
        neighbour.remote_port = _text(packet[cdp.CDPMsgPortID].iface)
    if packet.haslayer(cdp.CDPMsgPlatform):
        neighbour.remote_platform = _text(packet[cdp.CDPMsgPlatform].val)
    if packet.haslayer(cdp.CDPMsgAddr):
        for address in getattr(packet[cdp.CDPMsgAddr], "addr", []) or []:
            value = getattr(address, "addr", "")
            if value:
                neighbour.remote_mgmt_ip = str(value)
                break
    return neighbour


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip("\x00 ")
    return str(value or "")


def _chassis_text(subtype: int, value: Any) -> str:
    if subtype == 4:  # MAC address
        return normalise_mac(value if isinstance(value, bytes) else str(value))
    return _text(value)
