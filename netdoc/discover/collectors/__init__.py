"""Collectors: the parts of netdoc that talk to the network.

Each collector takes plain parameters (a subnet, an interface, a credential)
and returns plain records (netdoc.models / netdoc.inventory.merge.Sighting);
none of them knows about the inventory, the topology or each other.

    arp.py        ARP sweep of directly attached subnets (scapy)
    liveness.py   ICMP echo + TCP SYN liveness for routed subnets (scapy)
    lldp.py       passive LLDP/CDP listening on the probe's own interfaces (scapy)
    names.py      reverse DNS and NIC vendor (OUI) lookups
    snmp.py       the SNMP poller: one device's system, interfaces, neighbours, tables
"""
