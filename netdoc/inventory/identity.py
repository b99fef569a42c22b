"""Device identity: deciding that a device seen today is one we already know.

The strongest identifier that BOTH sides carry decides, in this order:
    1. chassis serial number          (survives re-addressing and renaming)
    2. base / chassis MAC address     (survives re-addressing; endpoints have only this)
    3. sysName / hostname             (two devices may share one: only used when
                                       neither side has a serial or a MAC)
    4. management IP address          (last resort)
So a switch that moves to another IP keeps its record, and two devices that
share a sysName stay two records as long as their serials or MACs differ.
"""
from __future__ import annotations

import hashlib
import re

from netdoc.models import Device


def identifiers(device: Device) -> dict[str, str]:
    return {
        "serial": device.serial.strip().upper(),
        "mac": device.base_mac.lower(),
        "name": device.hostname.strip().lower(),
        "ip": device.mgmt_ip,
    }


def same_device(a: Device, b: Device) -> bool:
    left, right = identifiers(a), identifiers(b)
    for kind in ("serial", "mac", "name", "ip"):
        if left[kind] and right[kind]:
            if left[kind] != right[kind]:
                return False
            # A MAC is easy to clone: a MAC match with a different sysName is a
            # conflict (two devices), never a merge that lets the clone replace the original.
            return not (kind == "mac" and left["name"] and right["name"]
                        and left["name"] != right["name"])
    return False


ID_LIMIT = 80  # characters of an id (a file name): a longer value ends in a hash of the whole


def record_id(device: Device) -> str:
    """A file-name-safe id from the strongest identifier, fixed when first seen."""
    ids = identifiers(device)
    for kind in ("serial", "mac", "name", "ip"):
        if ids[kind]:
            return f"{kind}-{_slug(ids[kind])}"
    raise ValueError("a device needs at least one of serial, MAC, name or IP")


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower() or "x"
    if len(slug) <= ID_LIMIT:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{slug[:ID_LIMIT - 17].rstrip('-.')}-{digest}"
