"""Guard rails: netdoc on the wrong network neither sweeps it nor commits it.

1. Before sweeping, each site's subnets are compared with this probe's own
   networks: the prefixes on its interfaces and its routes other than the default
   route (read from `ip -j`, else /proc/net/route; no packet is sent). A site none
   of whose subnets overlaps one of them is not swept, with a message saying why,
   unless the run is forced (`--force`) or another site of the same client is on one
   (the probe stands on this client's network; the branch is behind its gateway): a
   probe plugged into the wrong network, or a config copied from another client, must
   not scan what it stands on.
2. A run in which more than half of a client's devices would appear, or more than
   half of its managed devices (those answering SNMP: laptops go home at night,
   switches do not) would vanish (MASS_FRACTION, and at least MASS_MIN devices),
   is not committed unless accepted (`--accept-mass-change`); the discover stage
   fails (exit 5), which the run report and the stage_failed alert carry.

The command line sets the two permissions for the run (`permissions()`); the
stages ask `forced()` and `mass_change_accepted()`.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import shutil
import subprocess
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from netdoc.errors import StageFailed

log = logging.getLogger("netdoc.app.guard")

MASS_FRACTION = 0.5
MASS_MIN = 5  # a change of fewer devices than this is never a "mass" change
PROC_ROUTE = Path("/proc/net/route")

_force: ContextVar[bool] = ContextVar("netdoc_force", default=False)
_accept_mass: ContextVar[bool] = ContextVar("netdoc_accept_mass_change", default=False)

Network = ipaddress.IPv4Network


class MassChange(StageFailed):
    """Too many devices would appear or vanish at once: probably the wrong network."""


@contextmanager
def permissions(force: bool = False, accept_mass_change: bool = False) -> Iterator[None]:
    tokens = (_force.set(force), _accept_mass.set(accept_mass_change))
    try:
        yield
    finally:
        _force.reset(tokens[0])
        _accept_mass.reset(tokens[1])


def forced() -> bool:
    return _force.get()


def mass_change_accepted() -> bool:
    return _accept_mass.get()


# ---------------------------------------------------------------- where am I

@dataclass(frozen=True)
class LocalNetwork:
    network: Network
    via: str  # "interface eth0" or "route via 192.0.2.254 dev eth0"


def local_networks() -> list[LocalNetwork]:
    """The IPv4 networks this probe stands on or routes to (the default route excepted)."""
    found = _from_ip_command()
    if found is None:
        found = _from_proc_route(PROC_ROUTE)
    return found


def _from_ip_command() -> list[LocalNetwork] | None:
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        addrs = json.loads(subprocess.run([ip, "-j", "-4", "addr", "show"], capture_output=True,
                                          text=True, timeout=10, check=True).stdout or "[]")
        routes = json.loads(subprocess.run([ip, "-j", "-4", "route", "show", "table", "all"],
                                           capture_output=True, text=True, timeout=10,
                                           check=True).stdout or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    found: list[LocalNetwork] = []
    for link in addrs:
        if "UP" not in link.get("flags", []) and link.get("operstate") not in ("UP", "UNKNOWN"):
            continue
        for info in link.get("addr_info", []):
            try:
                network = ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}").network
            except (KeyError, ValueError):
                continue
            if isinstance(network, Network):
                found.append(LocalNetwork(network, f"interface {link.get('ifname', '?')}"))
    for route in routes:
        dst = route.get("dst", "")
        if dst in ("default", "", "0.0.0.0/0") or route.get("type") == "broadcast":
            continue  # the default route reaches everything: it proves nothing
        try:
            network = ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False)
        except ValueError:
            continue
        if isinstance(network, Network) and network.prefixlen > 0:
            gateway = f" via {route['gateway']}" if route.get("gateway") else ""
            found.append(LocalNetwork(network, f"route{gateway} dev {route.get('dev', '?')}"))
    return found


def _from_proc_route(path: Path) -> list[LocalNetwork]:
    """/proc/net/route: destination and mask in little-endian hex, per interface."""
    found = [LocalNetwork(ipaddress.IPv4Network("127.0.0.0/8"), "interface lo")]
    try:
        lines = path.read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            dest = ipaddress.IPv4Address(int(fields[1], 16).to_bytes(4, "little"))
            mask = ipaddress.IPv4Address(int(fields[7], 16).to_bytes(4, "little"))
            network = ipaddress.IPv4Network(f"{dest}/{mask}", strict=False)
        except ValueError:
            continue
        if network.prefixlen == 0:
            continue  # the default route reaches everything: it proves nothing
        found.append(LocalNetwork(network, f"route dev {fields[0]}"))
    return found


# ---------------------------------------------------------------- the checks

def unreachable(subnets: list[Network], here: list[LocalNetwork]) -> list[Network]:
    """The subnets that overlap none of this probe's networks."""
    return [s for s in subnets if not any(s.overlaps(n.network) for n in here)]


def site_refusal(site_name: str, subnets: list[Network],
                 here: list[LocalNetwork] | None = None) -> str:
    """Why a site must not be swept from here ("" when it may be)."""
    if not subnets or forced():
        return ""
    here = local_networks() if here is None else here
    if unreachable(subnets, here) != subnets:
        return ""  # at least one subnet is on an interface or a route of this probe
    ours = ", ".join(sorted({str(n.network) for n in here if not n.network.is_loopback})) \
        or "none but loopback"
    return (f"site {site_name}: {', '.join(str(s) for s in subnets)} is on no interface or "
            f"route of this probe (its networks: {ours}); not swept. Is the probe on the "
            f"client's network? If the site is reachable through the default gateway, add a "
            f"route to it or run with --force")


def site_refusals(sites: list[tuple[str, list[Network]]],
                  here: list[LocalNetwork] | None = None) -> dict[str, str]:
    """Per site of one client, why it must not be swept from here ("" when it may be).

    A site on none of this probe's networks is still swept when another site of the same
    client is on one: the probe stands on this client's network, and the branch is
    reached through its gateway (a VPN or WAN behind the default route), as at most
    MSP clients. When no site of the client is here, every site is refused.
    """
    here = local_networks() if here is None else here
    refusals = {name: site_refusal(name, subnets, here) for name, subnets in sites}
    # a site on loopback proves nothing about which network the probe stands on
    anchors = sorted(name for name, subnets in sites if not refusals[name]
                     and any(not s.is_loopback for s in subnets))
    if anchors:
        for name in refusals:
            if refusals[name]:
                log.info("site %s is on no interface or route of this probe; swept through "
                         "the default gateway because site %s of the same client is here",
                         name, anchors[0])
                refusals[name] = ""
    return refusals


def check_mass_change(client: str, before: int, appeared: int, managed_before: int,
                      managed_vanished: int) -> None:
    """Refuse (MassChange) a run in which more than half the devices would appear, or more
    than half the managed devices (switches, routers: those answering SNMP) vanish."""
    if before == 0 or mass_change_accepted():
        return  # the first run finds everything: that is not a mass change
    parts = []
    if appeared > before * MASS_FRACTION and appeared >= MASS_MIN:
        parts.append(f"{appeared} new device(s) would appear (the inventory has {before})")
    if managed_vanished > managed_before * MASS_FRACTION and managed_vanished >= MASS_MIN:
        parts.append(f"{managed_vanished} of {managed_before} managed device(s) would vanish")
    if parts:
        raise MassChange(f"[{client}] {' and '.join(parts)}: nothing committed. Is the probe "
                         f"on the client's network? If the change is real, run again with "
                         f"--accept-mass-change")
