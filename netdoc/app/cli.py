"""The `netdoc` command line.

    netdoc [--config PATH] [--client NAME] [-v|-q] [--json] COMMAND

Exit codes (defined once, on the error classes of netdoc/errors.py): 0 all well,
1 the run finished but some devices failed, 2 usage or configuration error,
3 another run holds the lock, 4 environment (permissions, a missing tool),
5 a stage failed, 143 stopped by SIGTERM.
"""
from __future__ import annotations

import argparse
import io
import os
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from netdoc.app.output import dump, emit, error_document, stamped
from netdoc import __version__
from netdoc.config import (Config, credential_routes, load_config, verify_secrets,
                           weak_credential_warnings)
from netdoc.errors import EXIT_DEVICES, EXIT_OK, NetdocError, UsageError
from netdoc.app.pipeline import CYCLE
from netdoc.secrets import redact

log = logging.getLogger("netdoc")

EXIT_OK, EXIT_DEVICE_FAILURES, EXIT_USAGE = EXIT_OK, EXIT_DEVICES, UsageError.exit_code
# long-lived commands: their stdout is never held back for a --json document
_STREAMING = {("daemon", None), ("listen", None), ("hub", "serve")}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # a usage error: exit 2 (main() reports it)
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _common(parser: argparse.ArgumentParser) -> None:
    """Options accepted both before and after the command name."""
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="configuration file (default: ./netdoc.yaml, then "
                             "/etc/netdoc/netdoc.yaml)")
    parser.add_argument("--client", metavar="NAME", default=argparse.SUPPRESS,
                        help="work on this client only")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON on stdout")
    parser.add_argument("--trace-device", metavar="DIR", default=argparse.SUPPRESS,
                        help="write what each device sent (secrets masked) to DIR, one "
                             "transcript per device; logs never carry device output")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                           help="netdoc's own steps in detail; -vv adds the libraries' "
                                "(never device output or secrets)")
    verbosity.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                           help="errors only")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="netdoc", description="Network discovery, documentation and config "
                                                "backup for MSP client sites.")
    parser.add_argument("--version", action="version", version=f"netdoc {__version__}")
    _common(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, summary: str, handler: Callable[[argparse.Namespace], int]) \
            -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        _common(sub)
        sub.set_defaults(handler=handler)
        return sub

    init = command("init", "Write a commented starter netdoc.yaml (--system: the probe's "
                           "system install).", cmd_init)
    init.add_argument("path", nargs="?", default=None,
                      help="where to write it (default ./netdoc.yaml)")
    init.add_argument("--system", action="store_true",
                      help="system install: /etc/netdoc/netdoc.yaml (0600), outputs in "
                           "/var/lib/netdoc, vault keys in /etc/netdoc/keys, the service user "
                           "netdoc (as root)")
    init.add_argument("--root", metavar="DIR", default=None,
                      help="with --system: install that layout under DIR (its configuration "
                           "points inside DIR; no user is created unless --create-user)")
    init.add_argument("--create-user", action="store_true",
                      help="with --root: still create the service user netdoc")
    check = command("check", "Validate the configuration, resolve every credential and show "
                             "what a run would cover (--connect: and try it).", cmd_check)
    check.add_argument("--connect", action="store_true",
                       help="also ask every seed over SNMP, log in to every backup target over "
                            "SSH, check the outputs are writable by the service user; list "
                            "every problem, exit non-zero when a run would fail")
    run = command("run", "Run the full cycle: discover, inventory, topology, backup, render.",
                  cmd_run)
    run.add_argument("--stages", default=",".join(CYCLE),
                     help=f"comma-separated stages to run, in cycle order "
                          f"(default {','.join(CYCLE)})")
    command("daemon", "Run the schedules of netdoc.yaml in one long-lived process "
                      "(SIGHUP reloads the configuration).", cmd_daemon)
    timer = command("install-timer", "Install and enable the systemd timers that run netdoc "
                                     "unattended.", cmd_install_timer)
    timer.add_argument("--target", default=None,
                       help="where to write the unit files (default /etc/systemd/system)")
    timer.add_argument("--root", metavar="DIR", default=None,
                       help="install under DIR (units in DIR/etc/systemd/system, the "
                            "configuration DIR/etc/netdoc/netdoc.yaml); never enables")
    timer.add_argument("--daemon", action="store_true",
                       help="enable the netdoc-daemon service (netdoc daemon) instead of "
                            "the timers")
    timer.add_argument("--no-enable", action="store_true",
                       help="only write the unit files; do not create the user or enable timers")
    discover = command("discover", "Discover devices and update the inventory.",
                       cmd_stage("discover"))
    for sweeping in (run, discover):
        sweeping.add_argument("--force", action="store_true",
                              help="sweep sites whose subnets are on no interface or route "
                                   "of this probe (refused by default)")
        sweeping.add_argument("--accept-mass-change", action="store_true",
                              help="commit a run in which more than half of a client's "
                                   "devices appear or vanish (refused by default)")
    backup = command("backup", "Back up device configurations into the per-client git "
                               "repositories (all, or the DEVICEs named).", cmd_backup)
    backup.add_argument("devices", nargs="*", metavar="DEVICE",
                        help="back up only these devices (name, hostname, IP or SITE/NAME)")
    status = command("status", "Show each client's last runs, failing devices, stale backups "
                               "and host keys waiting (reads local files only).", cmd_status)
    status.add_argument("target", nargs="?", metavar="CLIENT", help="one client only")
    forget = command("forget", "Remove a device from the inventory, in a commit saying so "
                               "(its config history stays in git).", cmd_forget)
    forget.add_argument("device", help="device name, IP or inventory id")
    command("render", "Render maps and the HTML documentation site.", cmd_stage("render"))
    export = command("export", "Write NetBox bulk-import CSV files or inventory spreadsheets "
                               "(devices, interfaces, IPs, VLANs, cables, addressing plan).",
                     cmd_export)
    export.add_argument("format", choices=("netbox", "csv"), help="netbox or csv")
    export.add_argument("--out", metavar="DIR", default=None,
                        help="where to write (default inventory/<client>/export/<format>/)")
    identify = command("identify", "Identify one device over SNMP and print its record.",
                       cmd_identify)
    identify.add_argument("host", help="IP address or name of the device")
    identify.add_argument("--port", type=int, default=161, help="SNMP port (default 161)")
    identify.add_argument("--community", help="SNMP v2c community")
    identify.add_argument("--snmp-version", choices=("1", "2c", "3"), default=None,
                          help="SNMP version (default: 2c with --community, 3 with --user)")
    identify.add_argument("--user", help="SNMP v3 user")
    identify.add_argument("--auth-proto", help="SNMP v3 auth protocol (md5, sha, sha256, ...)")
    identify.add_argument("--auth-key", help="SNMP v3 auth key")
    identify.add_argument("--priv-proto", help="SNMP v3 privacy protocol (des, aes, aes256, ...)")
    identify.add_argument("--priv-key", help="SNMP v3 privacy key")
    identify.add_argument("--credential", metavar="NAME",
                          help="use this credential set from netdoc.yaml")
    identify.add_argument("--timeout", type=float, default=2.0, help="seconds per request")
    vault = command("vault", "Manage the encrypted per-client credential vaults "
                             "(init, set, get, list, remove, rotate).", cmd_vault)
    from netdoc.vault.cli import add_vault_actions  # light: no crypto until a vault is opened

    add_vault_actions(vault, _common)
    lab = command("lab", "Build, inspect or remove the local site lab (network namespaces).",
                  cmd_lab)
    lab.add_argument("action", choices=("up", "down", "status"))
    lab.add_argument("topology", nargs="?", default="default",
                     help="lab topology for 'up': default or large")
    lab.add_argument("--state-dir", default=None,
                     help="where the lab keeps its files (default /run/netdoc-lab, "
                          "or $NETDOC_LAB_STATE_DIR)")
    lab.add_argument("--prefix", default=None,
                     help="name prefix of the lab's namespaces, so labs can coexist "
                          "(default ndlab-, or $NETDOC_LAB_PREFIX)")
    from netdoc.backup.commands import add_backup_commands  # diff, history, hostkey

    add_backup_commands(command)
    from netdoc.backup.platforms import add_platforms_command  # platforms
    from netdoc.app.importers import add_import_command  # import oxidized|rancid
    from netdoc.backup.recorder import add_record_command  # record

    add_platforms_command(command)
    add_import_command(command)
    add_record_command(command)
    from netdoc.backup.redact import add_redact_command  # redact

    add_redact_command(command)
    from netdoc.app.where import add_where_command  # where MAC|IP|NAME

    add_where_command(command)
    from netdoc.hub.cli import add_hub_command  # hub sync | build | serve | access

    add_hub_command(command)
    from netdoc.app.metrics_cli import add_metrics_commands  # metrics, health

    add_metrics_commands(command)
    from netdoc.listen.service import add_listen_command  # listen (syslog, traps)

    add_listen_command(command)
    return parser


NETDOC_LOGGERS = ("netdoc", "collectors")
LIBRARY_LOGGERS = ("paramiko", "asyncssh", "scapy", "scapy.runtime", "git", "urllib3",
                   "pysnmp", "asyncio", "hier_config", "ciscoconfparse2", "charset_normalizer")


def _configure_logging(args: argparse.Namespace) -> None:
    """-q errors only; default: netdoc's info; -v: netdoc's own steps (debug), libraries
    stay at warnings; -vv: the libraries' debug too (netmiko and paramiko.transport
    never: they log device output)."""
    verbose = int(getattr(args, "verbose", 0) or 0)
    quiet = bool(getattr(args, "quiet", False))
    root = logging.ERROR if quiet else logging.DEBUG if verbose >= 2 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=root, handlers=[handler], force=True)
    for name in NETDOC_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose and not quiet
                                         else logging.NOTSET)
    for noisy in LIBRARY_LOGGERS:  # library chatter (every SSH login) only with -vv
        logging.getLogger(noisy).setLevel(logging.NOTSET if verbose >= 2 or quiet
                                          else logging.WARNING)
    # netmiko logs every byte a device sends at debug level (whole running-configs,
    # secrets and all), paramiko.transport its packets: never, at any verbosity.
    # Device I/O is traced only on request, masked: --trace-device DIR.
    for chatty in ("netmiko", "paramiko.transport"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if getattr(args, "trace_device", None):
        from netdoc.backup import device

        device.TRACE_DIR = Path(args.trace_device).resolve()


class _RedactingFormatter(logging.Formatter):
    """Plain lines (journald adds time and host); no secret ever reaches a log line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except NetdocError as exc:  # a usage error, already explained on stderr with the usage
        return _fail(exc, as_json)
    _configure_logging(args)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        if as_json:
            dump(error_document("UsageError", "no command given", EXIT_USAGE))
        return EXIT_USAGE
    as_json = bool(getattr(args, "json", False))
    streaming = (args.command, getattr(args, "hub_action", None)) in _STREAMING \
        or (args.command, None) in _STREAMING
    held = io.StringIO() if as_json and not streaming else None
    real_stdout = sys.stdout
    try:
        if held is not None:
            sys.stdout = held
        try:
            code = int(args.handler(args))
        finally:
            sys.stdout = real_stdout
        if held is not None:
            _json_result(args.command, held.getvalue(), code)
        if code == 143:  # SIGTERM: the report is written; threads still closing their
            sys.stdout.flush()  # sessions must not hold the exit (systemd is waiting)
            sys.stderr.flush()
            os._exit(code)
        return code
    except NetdocError as exc:
        return _fail(exc, as_json)
    except KeyboardInterrupt:
        print("netdoc: interrupted", file=sys.stderr)
        if as_json:
            dump(error_document("Interrupted", "interrupted", 130))
        return 130


def _fail(exc: NetdocError, as_json: bool) -> int:
    """The one place an error becomes an exit code: the exception's own `exit_code`."""
    message = redact(str(exc))
    print(f"netdoc: error: {message}", file=sys.stderr)
    if as_json:
        dump(error_document(exc.kind, message, exc.exit_code))
    return exc.exit_code


def _json_result(command: str, text: str, code: int) -> None:
    """Print what a command wrote under --json as one schema-stamped JSON document.

    A command with its own JSON shape keeps it (stamped with the schema); one that
    only has text for people is given {"command", "exit", "lines"}.
    """
    body = text.strip()
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if data is not None:
            sys.stdout.write(json.dumps(stamped(data), indent=2, sort_keys=True) + "\n")
            return
    dump({"command": command, "exit": code, "lines": body.splitlines() if body else []})


# ---------------------------------------------------------------- helpers

def _load(args: argparse.Namespace) -> Config:
    config = load_config(getattr(args, "config", None))
    for warning in config.warnings:
        log.warning(warning)
    return config




# ---------------------------------------------------------------- commands

def cmd_init(args: argparse.Namespace) -> int:
    from netdoc.app.starter import STARTER_CONFIG

    if args.system:
        from netdoc.app.service import init_system

        if args.path:
            raise UsageError("init --system writes /etc/netdoc/netdoc.yaml; give --root DIR "
                             "to place it elsewhere, not a PATH")
        root = Path(args.root).absolute() if args.root else None
        layout = init_system(root, create_user=True if args.create_user else None)
        emit(args, layout.as_dict(), "\n".join(layout.steps + [
            f"edit {layout.config}, then run: netdoc --config {layout.config} check --connect"]))
        return EXIT_OK
    if args.root or args.create_user:
        raise UsageError("--root and --create-user go with --system")
    path = Path(args.path or "netdoc.yaml")
    if path.exists():
        raise UsageError(f"{path} already exists; not overwriting it")
    try:  # the starter holds secret references only, but a filled-in one holds more
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(STARTER_CONFIG)
    except OSError as exc:
        from netdoc.errors import EnvironmentProblem

        raise EnvironmentProblem(f"cannot write {path}: {exc.strerror or exc}") from None
    emit(args, {"config": str(path), "mode": "0600"},
         f"wrote {path}; edit it, then run: netdoc --config {path} check")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args)
    client_filter = getattr(args, "client", None)
    if getattr(args, "connect", False):
        return _check_connect(args, config, client_filter)
    from netdoc.app.preflight import Preflight, check_secrets

    found = Preflight()
    check_secrets(config, config.selected_clients(client_filter), found)
    if found.problems:  # every secret that cannot be resolved, not just the first
        from netdoc.errors import SecretError

        raise SecretError(f"{len(found.problems)} secret(s) cannot be resolved:\n  "
                          + "\n  ".join(str(p) for p in found.problems), path=str(config.path))
    checked = verify_secrets(config, client_filter)
    from netdoc.vault.audit import access_warnings

    warnings = list(config.warnings) + access_warnings(config, client_filter)
    weak = weak_credential_warnings(config, client_filter)  # a separate list: not an error
    from netdoc.backup.platforms import platform_warnings

    warnings += platform_warnings(config, client_filter)  # unknown platform: names
    from netdoc.backup.cleartext import cleartext_warnings

    warnings += cleartext_warnings(config, client_filter)  # telnet: credentials in clear
    from netdoc.hub.central import central_warnings

    warnings += central_warnings(config, client_filter)  # secrets: keep + central remote
    report: dict[str, Any] = {"config": str(config.path), "credentials_checked": checked,
                              "warnings": warnings, "weak_credentials": weak, "clients": []}
    lines = [f"configuration {config.path}: OK"]
    for client in config.selected_clients(client_filter):
        entry: dict[str, Any] = {"name": client.name, "sites": []}
        lines.append(f"client {client.name}  (inventory: {config.inventory_dir(client.name)}, "
                     f"configs: {config.backups_dir(client.name)})")
        for site in client.sites:
            subnets = [{"cidr": str(s.network), "addresses": s.address_count}
                       for s in site.subnets]
            seeds = [{"host": d.host, "name": d.name, "platform": d.platform}
                     for d in site.devices]
            entry["sites"].append({"name": site.name, "subnets": subnets, "seeds": seeds,
                                   "exclude": [str(n) for n in site.exclude],
                                   "credentials": list(site.credentials)})
            total = sum(s.address_count for s in site.subnets)
            lines.append(f"  site {site.name}: {len(subnets)} subnet(s), {total} address(es), "
                         f"{len(seeds)} seed device(s), credentials: "
                         f"{', '.join(site.credentials) or 'none'}")
            for subnet in subnets:
                lines.append(f"    subnet {subnet['cidr']:<18} {subnet['addresses']} addresses")
            for seed in seeds:
                lines.append(f"    device {seed['host']:<15} {seed['name'] or '-'}"
                             f"{'  platform ' + seed['platform'] if seed['platform'] else ''}")
        entry["credential_routes"] = credential_routes(config, client)
        for item in entry["credential_routes"]:
            lines.append(f"  credential {item['credential']} ({', '.join(item['kinds'])})")
            for kind in ("snmp", "ssh"):
                targets = item[f"{kind}_to"]
                if targets or kind in " ".join(item["kinds"]):
                    lines.append(f"    {kind} to: {'; '.join(targets) or 'nothing'}")
        report["clients"].append(entry)
    for warning in warnings:
        lines.append(f"warning: {warning}")
    for note in weak:
        lines.append(f"warning (weak credential): {note}")
    emit(args, report, "\n".join(lines))
    return EXIT_OK


def _check_connect(args: argparse.Namespace, config: Config, client_filter: str | None) -> int:
    from netdoc.app.preflight import preflight

    result = preflight(config, config.selected_clients(client_filter))
    lines = [f"configuration {config.path}: read"]
    lines += [f"  ok  {item}" for item in result.passed]
    lines += [f"  PROBLEM {problem}" for problem in result.problems]
    lines.append(f"{len(result.problems)} problem(s): a run would fail" if result.problems
                 else "every check passed")
    emit(args, {"config": str(config.path), **result.as_dict(), "exit": result.exit_code},
         "\n".join(lines))
    return result.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in CYCLE]
    if unknown or not stages:
        raise UsageError(f"unknown stage(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(CYCLE)}")
    return _run(args, [s for s in CYCLE if s in stages])


def cmd_daemon(args: argparse.Namespace) -> int:
    from netdoc.config import find_config
    from netdoc.app.daemon import serve

    return serve(find_config(getattr(args, "config", None)))


def cmd_install_timer(args: argparse.Namespace) -> int:
    from netdoc.app.service import install

    config = getattr(args, "config", None)
    result = install(Path(args.target) if args.target else None, enable=not args.no_enable,
                     config_path=Path(config) if config else None,
                     root=Path(args.root).absolute() if args.root else None, daemon=args.daemon)
    emit(args, result, "\n".join(result["steps"]))
    return EXIT_OK


def cmd_stage(stage: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        return _run(args, [stage])
    return handler


def cmd_backup(args: argparse.Namespace) -> int:
    if not args.devices:
        return _run(args, ["backup"])
    from netdoc.backup.targets import backup_targets
    from netdoc.app.selection import only_devices

    config = _load(args)
    clients = config.selected_clients(getattr(args, "client", None))
    wanted = {d.strip().lower() for d in args.devices}
    known = {c.name: {k for t in backup_targets(config, c)
                      for k in (t.name.lower(), t.host, t.path.lower())} for c in clients}
    unknown = sorted(w for w in wanted if not any(w in keys for keys in known.values()))
    if unknown:
        raise UsageError(f"no backup target {', '.join(unknown)} in client(s) "
                         f"{', '.join(c.name for c in clients)}; see: netdoc check")
    names = [c for c, keys in known.items() if wanted & keys]
    verify_secrets(config, names[0] if len(names) == 1 else getattr(args, "client", None))
    from netdoc.app.runner import run

    with only_devices(sorted(wanted)):
        return run(config, ["backup"], names[0] if len(names) == 1 else
                   getattr(args, "client", None), as_json=getattr(args, "json", False))


def cmd_status(args: argparse.Namespace) -> int:
    from netdoc.app.status import client_status, status_lines

    config = _load(args)
    clients = config.selected_clients(args.target or getattr(args, "client", None))
    entries = [client_status(config, c) for c in clients]
    emit(args, {"clients": entries}, "\n".join(line for e in entries for line in status_lines(e)))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from netdoc.render.export import run_export

    config = _load(args)
    written = run_export(config, args.format, getattr(args, "client", None), args.out)
    emit(args, {"files": [str(p) for p in written]}, "\n".join(str(p) for p in written))
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    from netdoc.app.status import forget_device

    config = _load(args)
    done = forget_device(config, config.selected_clients(getattr(args, "client", None)),
                         args.device)
    emit(args, done, f"[{done['client']}] forgot {done['device']} ({done['ip'] or done['id']})"
                     f"{'; commit ' + done['commit'][:12] if done['commit'] else ''}; its config "
                     f"history stays in {done['config_history']}")
    return EXIT_OK


def _run(args: argparse.Namespace, stages: list[str]) -> int:
    from netdoc.app.runner import run

    from netdoc.app.guard import permissions

    config = _load(args)
    verify_secrets(config, getattr(args, "client", None))
    with permissions(force=getattr(args, "force", False),
                     accept_mass_change=getattr(args, "accept_mass_change", False)):
        return run(config, stages, getattr(args, "client", None),
                   as_json=getattr(args, "json", False))


def cmd_identify(args: argparse.Namespace) -> int:
    from netdoc.app.identify_cli import identify_command

    return identify_command(args)


def cmd_vault(args: argparse.Namespace) -> int:
    from netdoc.vault.cli import vault_command

    return vault_command(args)


def cmd_lab(args: argparse.Namespace) -> int:
    from netdoc.lab.cli import lab_command

    return lab_command(args)


if __name__ == "__main__":
    sys.exit(main())
