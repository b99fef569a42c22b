"""Port names as devices spell them, and as their neighbours spell them.

One switch reports its port as "GigabitEthernet0/1" (ifDescr), its LLDP
neighbour says "Gi0/1" (ifName) or gives the port's MAC address. To merge
sightings from both ends we map every spelling back to the interface it names.
The rule is generic (alphabetic prefix abbreviation + same numbering), so no
vendor table is needed.
"""
from __future__ import annotations

import re

from netdoc.models import Device, Interface, normalise_mac

_NAMED_PORT = re.compile(r"^([A-Za-z][A-Za-z-]*?)[ ]?(\d[\w/.:-]*)$")


def short_port(name: str) -> str:
    """"GigabitEthernet0/1" -> "Gi0/1"; short names ("eth0", "swp1", "ge-0/0/1") unchanged."""
    match = _NAMED_PORT.match(name.strip())
    if not match or len(match.group(1)) <= 4:
        return name.strip()
    prefix = match.group(1)
    return prefix[0].upper() + prefix[1].lower() + match.group(2)


def port_key(name: str) -> str:
    """A comparison key that equates a port's long and short spellings."""
    text = name.strip().lower()
    match = _NAMED_PORT.match(text)
    if not match:
        return text
    return match.group(1)[:2] + match.group(2)


def resolve_port(device: Device | None, spelled: str) -> tuple[str, bool]:
    """The interface name `spelled` refers to on `device`, and whether it was found.

    Tries, in order: exact name, ifDescr/ifAlias, the port's MAC, abbreviation.
    Unresolved spellings come back unchanged so they can still be shown.
    """
    text = spelled.strip()
    if device is None or not text:
        return text, False
    lowered = text.lower()
    for interface in device.interfaces:
        if interface.name and interface.name.lower() == lowered:
            return interface.name, True
    for interface in device.interfaces:
        if lowered in (interface.descr.lower(), interface.alias.lower()):
            return _name_of(interface), True
    mac = normalise_mac(text) if len(text) >= 12 else ""
    if mac:
        for interface in device.interfaces:
            if interface.mac and normalise_mac(interface.mac) == mac:
                return _name_of(interface), True
    key = port_key(text)
    for interface in device.interfaces:
        if interface.name and port_key(interface.name) == key:
            return interface.name, True
    return text, False


def interface_by_name(device: Device, name: str) -> Interface | None:
    for interface in device.interfaces:
        if _name_of(interface) == name:
            return interface
    return None


def _name_of(interface: Interface) -> str:
    return interface.name or interface.descr or f"if{interface.index}"
