"""`netdoc identify HOST`: poll one device over SNMP and print its record.

    netdoc identify 192.0.2.1 --community public
    netdoc identify 192.0.2.1 --user ops --auth-proto sha --auth-key env:AUTH \\
        --priv-proto aes --priv-key env:PRIV --json
    netdoc identify 192.0.2.1 --credential office-snmp      # from netdoc.yaml

Keys and communities accept the same secret references as netdoc.yaml
(env:NAME, file:PATH), so they need not appear in shell history.
The JSON is exactly the inventory's device record (netdoc.models.Device).
Exit 0 with a record, 1 when the device could not be read (reason on stderr),
2 on usage errors.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys

from netdoc.discover.snmp.protocols import AUTH_NAMES, PRIV_NAMES
from netdoc.config import CredentialSet, SnmpCredential, SnmpSettings, load_config
from netdoc.errors import UsageError
from netdoc.models import Device
from netdoc.secrets import Secret

AUTH_PROTOCOLS = AUTH_NAMES  # one list with the config and the USM (snmp.protocols)
PRIV_PROTOCOLS = PRIV_NAMES


def identify_command(args: argparse.Namespace) -> int:
    from netdoc.discover.collectors.snmp import poll_device

    credential, settings = _credential_and_settings(args)
    result = asyncio.run(poll_device(args.host, args.port, [credential], settings))
    for warning in result.warnings:
        print(f"netdoc: warning: {args.host}: {warning}", file=sys.stderr)
    if result.device is None:  # exit 1; a JSON error document under --json
        from netdoc.errors import SnmpError

        raise SnmpError(args.host, f"identify: {result.error}")
    if getattr(args, "json", False):
        json.dump(result.device.to_dict(), sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(render(result.device, result.credential, result.seconds))
    return 0


def _credential_and_settings(args: argparse.Namespace) -> tuple[CredentialSet, SnmpSettings]:
    chosen = [name for name, given in (("--credential", args.credential),
                                       ("--community", args.community), ("--user", args.user))
              if given]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --community C, --user U (SNMPv3) or "
                         f"--credential NAME{'; got ' + ', '.join(chosen) if chosen else ''}")
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    settings = SnmpSettings(timeout=args.timeout)
    if args.credential:
        config = load_config(getattr(args, "config", None))
        if args.credential not in config.credentials:
            raise UsageError(f"no credential set {args.credential!r} in {config.path}; defined: "
                             f"{', '.join(sorted(config.credentials)) or 'none'}")
        found = config.credentials[args.credential]
        if found.snmp is None:
            raise UsageError(f"credential set {args.credential!r} has no snmp: part")
        base = config.discovery.snmp
        return found, SnmpSettings(timeout=args.timeout, retries=base.retries,
                                   max_repetitions=base.max_repetitions,
                                   device_budget=base.device_budget)
    if any(str(value or "").startswith("vault:")
           for value in (args.community, args.auth_key, args.priv_key)):
        # vault: references resolve through the vault folders netdoc.yaml names
        load_config(getattr(args, "config", None))
    if args.community:
        version = args.snmp_version or "2c"
        if version == "3":
            raise UsageError("--community is for SNMP v1/v2c; SNMPv3 takes --user")
        return CredentialSet("command line", snmp=SnmpCredential(
            version=version, community=Secret(args.community, key="--community"))), settings
    return CredentialSet("command line", snmp=_v3_credential(args)), settings


def _v3_credential(args: argparse.Namespace) -> SnmpCredential:
    if args.snmp_version not in (None, "3"):
        raise UsageError("--user is SNMPv3; for v1/v2c give --community")
    auth = (args.auth_proto or ("sha" if args.auth_key else "")).lower()
    priv = (args.priv_proto or ("aes" if args.priv_key else "")).lower()
    if auth and auth not in AUTH_PROTOCOLS:
        raise UsageError(f"--auth-proto {auth!r}: expected one of {', '.join(AUTH_PROTOCOLS)}")
    if priv and priv not in PRIV_PROTOCOLS:
        raise UsageError(f"--priv-proto {priv!r}: expected one of {', '.join(PRIV_PROTOCOLS)}")
    if auth and not args.auth_key:
        raise UsageError("--auth-proto needs --auth-key")
    if priv and not args.priv_key:
        raise UsageError("--priv-proto needs --priv-key")
    if priv and not auth:
        raise UsageError("SNMPv3 privacy (--priv-key) needs authentication (--auth-key) too")
    return SnmpCredential(
        version="3", user=args.user, auth=auth,
        auth_key=Secret(args.auth_key, key="--auth-key") if auth else None, priv=priv,
        priv_key=Secret(args.priv_key, key="--priv-key") if priv else None)


def render(device: Device, credential: str, seconds: float) -> str:
    """A technician's summary of one device record."""
    def line(label: str, value: object) -> str:
        return f"{label:<13}{value if value not in ('', None) else '-'}"

    out = [
        line("Host", f"{device.hostname or '-'} ({device.mgmt_ip})"),
        line("Identified", " ".join(dict.fromkeys(  # "Linux Linux 6.1" reads as "Linux 6.1"
            p for p in (device.vendor or "unknown vendor", device.os, device.version) if p)) + (f"  [profile {device.platform}]" if device.platform
                                       else "  [no matching profile]")),
        line("Model", device.model), line("Serial", device.serial), line("Role", device.role),
        line("Location", device.sys_location), line("Contact", device.sys_contact),
        line("sysObjectID", device.sys_object_id),
        line("sysDescr", " | ".join(device.sys_descr.splitlines()[:2])),
        line("Credential", f"{credential}  (polled in {seconds:.2f} s)"),
        "",
        f"Interfaces ({len(device.interfaces)}):",
    ]
    for i in device.interfaces:
        state = "up" if i.oper_up else ("down" if i.admin_up else "disabled")
        speed = f"{i.speed_bps // 1_000_000} Mb/s" if i.speed_bps else ""
        out.append(f"  {i.index:>6}  {i.name:<24} {state:<8} {speed:>11}  {i.mac or '':<17}  "
                   f"{' '.join(i.ipv4)}  {i.alias}".rstrip())
    if device.neighbors:
        out += ["", f"Neighbours ({len(device.neighbors)}):"]
        for n in device.neighbors:
            what = " ".join(p for p in (n.remote_manufacturer, n.remote_model) if p)
            out.append(f"  {n.protocol:<4} {n.local_port:<24} -> {n.remote_name or n.remote_chassis_id}"
                       f" port {n.remote_port or '-'}"
                       f"{'  ' + n.remote_mgmt_ip if n.remote_mgmt_ip else ''}"
                       f"{'  [' + what + ']' if what else ''}")
    out += ["", f"ARP entries: {len(device.arp)}    MAC table (FDB) entries: {len(device.fdb)}"
                f"    (--json lists them)"]
    if device.warnings:  # tables that could not be read; the rest of the record stands
        out += ["", f"Incomplete ({len(device.warnings)}):"] + [f"  {w}" for w in device.warnings]
    return "\n".join(out)
