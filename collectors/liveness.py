"""Liveness of hosts in routed subnets, where ARP cannot reach: ICMP echo plus a
TCP SYN to common management ports. Any echo reply, SYN-ACK or RST means alive."""
from __future__ import annotations

import ipaddress
import logging

from netdoc.errors import NetdocError
from netdoc.inventory.merge import Sighting

log = logging.getLogger("netdoc.collectors.liveness")

MANAGEMENT_PORTS = (22, 23, 80, 443, 445, 3389, 8080, 8443, 9100)


def liveness_sweep(addresses: list[str], rate: int = 2000, reply_wait: float = 1.5,
                   ports: tuple[int, ...] = MANAGEMENT_PORTS) -> list[Sighting]:
    if not addresses:
        return []
    from scapy.layers.inet import ICMP, IP, TCP
    from scapy.sendrecv import sr

    packets = []
    for address in addresses:
        packets.append(IP(dst=address) / ICMP())
        packets.extend(IP(dst=address) / TCP(dport=port, flags="S") for port in ports)
    try:
        answered, _ = sr(packets, timeout=reply_wait, inter=1.0 / rate, verbose=0)
    except (OSError, PermissionError) as exc:
        raise NetdocError(f"liveness probe failed: {exc}; it needs root or CAP_NET_RAW") from None
    alive: dict[str, str] = {}
    for _, reply in answered:
        source = str(reply[IP].src)
        if reply.haslayer(ICMP) and int(reply[ICMP].type) == 0:
            alive.setdefault(source, "icmp")
        elif reply.haslayer(TCP):
            alive.setdefault(source, f"tcp {int(reply[TCP].sport)}")
    log.debug("liveness: %d of %d addresses answered", len(alive), len(addresses))
    return [Sighting(ip=ip, source=how)
            for ip, how in sorted(alive.items(), key=lambda kv: ipaddress.IPv4Address(kv[0]))]
