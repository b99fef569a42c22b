"""`netdoc listen`: hear config and link changes as they happen.

One long-running process (netdoc-listen.service, written by `netdoc install-timer`) receives

    syslog     UDP and TCP (RFC 3164 and 5424; TCP newline or octet-counted framing)
    traps      SNMP v2c and v3 Trap/Inform over UDP (netdoc's own BER codec and USM:
               a v3 trap must authenticate as an SNMPv3 user of that device's
               credential sets; its engine boots/time are not checked)

and, for a message from a known device, does what the device's profile says it means
(`events:` in netdoc/platforms/*.yaml, see netdoc.listen.rules):

    config_changed  back up that one device, `debounce` seconds after the first such
                    event (ten commits in a row give one backup), through the same
                    runner as a scheduled run: the client's lock, the run report
                    (last-run.json), the git commit, the alerts
    link_changed    re-read that one switch's SNMP tables (interfaces, MAC/ARP tables,
                    neighbours), debounced the same way, and fold it into the inventory
                    as that device only (netdoc.listen.reread: the `reread` stage, under
                    the client's lock, in the run report and its own inventory commit);
                    no other device's missing count moves

Who sent it is decided by the packet's source address only, never by what the
message says: the address must be a seed or an inventoried device of exactly one
client. Anything else (unknown sender, an address two clients share, a trap with a
community that client does not use) is counted and ignored. A sender can therefore
only ever cause a backup of itself.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from netdoc.config import Client, Config, DeviceSeed, Site, load_config
from netdoc.errors import NetdocError, UsageError
from netdoc.fsutil import atomic_write, read_json, stable_json
from netdoc.listen.messages import (Trap, V3User, is_v3, parse_syslog, parse_trap,
                                    parse_v3_trap, split_tcp_stream)
from netdoc.listen.rules import CONFIG_CHANGED, LINK_CHANGED, rules_for
from netdoc.workspace import LISTEN_EVENTS as EVENTS_FILE
from netdoc.workspace import LISTEN_UNKNOWN as UNKNOWN_EVENTS_FILE
from netdoc.workspace import backup_state_root
from netdoc.textsafe import clean

log = logging.getLogger("netdoc.listen")

RECENT_KEPT = 50          # events remembered per client in listen-events.json
DIRECTORY_REFRESH = 60.0  # seconds between re-reads of seeds and inventory
LOCKED_RETRY = 30.0       # seconds before a backup blocked by a running scheduled run retries
MAX_TCP_CLIENTS = 64
TCP_IDLE = 300.0          # seconds a quiet TCP syslog connection is kept
BACKUP, REREAD = "backup", "reread"  # what an event leads to: the runner stage it runs


class ListenError(NetdocError):
    """The listener cannot start (port taken, no permission for a port below 1024)."""


# ---------------------------------------------------------------- who is who

@dataclass(frozen=True)
class Sender:
    client: str
    site: str
    host: str
    name: str
    platform: str
    seed: DeviceSeed | None      # None: an inventoried (discovered) device
    backup: bool                 # netdoc backs it up (a seed, or an opted-in discovered one)
    communities: frozenset[bytes] = frozenset()
    v3_users: tuple[V3User, ...] = ()
    snmp: bool = True            # netdoc reads it over SNMP (a seed, or a device that answered)


def build_directory(config: Config) -> tuple[dict[str, Sender], set[str]]:
    """Source address -> the one device it belongs to; and the addresses claimed by
    more than one client (ignored: nothing may act across clients)."""
    from netdoc.backup.targets import backup_targets

    claims: dict[str, list[Sender]] = {}
    for client in config.clients.values():
        targets = {t.host for t in _safe(lambda: backup_targets(config, client), [])}
        known: dict[str, Sender] = {}
        for site in client.sites:
            for seed in site.devices:
                if seed.exclude:
                    continue
                names = seed.credentials or site.credentials
                known[seed.host] = Sender(
                    client.name, site.name, seed.host, seed.name or seed.host, seed.platform,
                    seed, seed.backup and seed.host in targets,
                    _communities(config, names), _v3_users(config, names))
        for device in _safe(lambda: _inventory(config, client), []):
            if device.mgmt_ip and device.mgmt_ip not in known:
                home = next((s for s in client.sites if s.name == device.site), None)
                known[device.mgmt_ip] = Sender(
                    client.name, device.site, device.mgmt_ip,
                    clean(device.hostname, 255) or device.mgmt_ip, device.platform, None,
                    device.mgmt_ip in targets,
                    _communities(config, home.credentials) if home else frozenset(),
                    _v3_users(config, home.credentials) if home else (),
                    snmp=bool(device.sys_object_id))
        for host, sender in known.items():
            claims.setdefault(host, []).append(sender)
    directory = {host: found[0] for host, found in claims.items()
                 if len({s.client for s in found}) == 1}
    shared = {host for host, found in claims.items() if len({s.client for s in found}) > 1}
    return directory, shared


def _communities(config: Config, names: tuple[str, ...]) -> frozenset[bytes]:
    found = set()
    for name in names:
        snmp = config.credentials[name].snmp if name in config.credentials else None
        if snmp is not None and snmp.community is not None:
            try:
                found.add(snmp.community.reveal().encode())
            except Exception:  # noqa: BLE001 - an unreadable secret: no community to check
                log.debug("credential %s: community not readable", name)
    return frozenset(found)


def _v3_users(config: Config, names: tuple[str, ...]) -> tuple[V3User, ...]:
    found = []
    for name in names:
        snmp = config.credentials[name].snmp if name in config.credentials else None
        if snmp is None or snmp.version != "3":
            continue
        try:
            found.append(V3User(snmp.user.encode(), snmp.auth,
                                snmp.auth_key.reveal() if snmp.auth_key else "",
                                snmp.priv, snmp.priv_key.reveal() if snmp.priv_key else ""))
        except Exception:  # noqa: BLE001 - an unreadable secret: that user cannot be checked
            log.debug("credential %s: SNMPv3 keys not readable", name)
    return tuple(found)


def _inventory(config: Config, client: Client) -> list[Any]:
    from netdoc.inventory.store import load_devices

    folder = config.inventory_dir(client.name)
    return list(load_devices(folder, present_only=True)) if folder.exists() else []


def _safe(call: Callable[[], Any], default: Any) -> Any:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - a broken inventory: seeds still count
        log.warning("listen: %s", clean(str(exc), 300))
        return default


def one_device_config(config: Config, sender: Sender) -> tuple[Config, Client]:
    """The configuration narrowed to one device of one client: what a backup of
    just that device runs with (same folders, credentials, lock and report)."""
    client = config.clients[sender.client]
    site = next((s for s in client.sites if s.name == sender.site), None)
    if site is None:
        site = Site(name=sender.site)
    seed = sender.seed or DeviceSeed(host=sender.host, platform=sender.platform)
    narrowed_site = replace(site, subnets=(), exclude=(), devices=(seed,),
                            backup_discover=False, backup_platforms=())
    narrowed = replace(client, sites=(narrowed_site,))
    return replace(config, clients={client.name: narrowed}), narrowed


# ---------------------------------------------------------------- bookkeeping

@dataclass
class EventLog:
    """Per-client counters and recent events, persisted for `netdoc metrics`."""

    folder: Path
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _client(self, name: str) -> dict[str, Any]:
        if name not in self.clients:
            data = _read(self.folder / name / EVENTS_FILE)
            raw = data.get("received")
            received: dict[str, Any] = raw if isinstance(raw, dict) else {}
            self.clients[name] = {
                "received": {k: int(received.get(k, 0) or 0)
                             for k in (CONFIG_CHANGED, LINK_CHANGED, "other")},
                "recent": list(data.get("recent") or [])[-RECENT_KEPT:],
                "backups": list(data.get("backups") or [])[-RECENT_KEPT:],
                "rereads": list(data.get("rereads") or [])[-RECENT_KEPT:]}
        return self.clients[name]

    def record(self, sender: Sender, kind: str, via: str, detail: str) -> None:
        with self.lock:
            entry = self._client(sender.client)
            entry["received"][kind or "other"] += 1
            if kind:
                entry["recent"] = (entry["recent"] + [{
                    "time": _now(), "kind": kind, "via": via, "host": sender.host,
                    "device": sender.name, "detail": clean(detail, 300)}])[-RECENT_KEPT:]
            self.dirty.add(sender.client)

    def backup_done(self, sender: Sender, status: str, events: int,
                    stage: str = BACKUP) -> None:
        """A backup (config change) or re-read (link change) the listener ran."""
        with self.lock:
            entry = self._client(sender.client)
            key = "backups" if stage == BACKUP else "rereads"
            entry[key] = (entry[key] + [{
                "time": _now(), "host": sender.host, "device": sender.name,
                "status": status, "events": events}])[-RECENT_KEPT:]
            self.dirty.add(sender.client)

    def ignored(self, address: str, why: str) -> None:
        with self.lock:
            if not self.unknown:
                data = _read(self.folder / UNKNOWN_EVENTS_FILE)
                self.unknown = {"count": int(data.get("count", 0) or 0),
                                "recent": list(data.get("recent") or [])[-20:]}
            self.unknown["count"] += 1
            self.unknown["recent"] = (self.unknown["recent"] + [
                {"time": _now(), "from": address, "why": why}])[-20:]
            self.dirty.add("")

    def flush(self) -> None:
        with self.lock:
            dirty, self.dirty = self.dirty, set()
            for name in dirty:
                try:
                    if name:
                        atomic_write(self.folder / name / EVENTS_FILE,
                                     stable_json(self.clients[name]))
                    else:
                        atomic_write(self.folder / UNKNOWN_EVENTS_FILE, stable_json(self.unknown))
                except NetdocError as exc:
                    log.error("listen: cannot write the event counters: %s", exc)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = read_json(path, {})
    except NetdocError:
        return {}
    return data if isinstance(data, dict) else {}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---------------------------------------------------------------- backups on change

BackupRunner = Callable[[Config, Sender, str], str]


def run_one_backup(config: Config, sender: Sender, stage: str = BACKUP) -> str:
    """Run one stage (backup, or reread after a link change) for one device through the
    runner (lock, report, git, alerts); its status."""
    from netdoc.app.runner import print_summary, run_client

    if stage == REREAD:
        import netdoc.listen.reread  # noqa: F401 - registers the reread stage

    narrowed_config, narrowed_client = one_device_config(config, sender)
    why = "a link change" if stage == REREAD else "a config change notice"
    report = run_client(narrowed_config, narrowed_client, [stage],
                        trigger=f"{stage}: {why} from {sender.name or sender.host} "
                                f"({sender.host})")
    print_summary(report)
    return report.status


class Debouncer:
    """At most one pending backup (and one pending re-read) per device: the first event
    schedules it `delay` seconds ahead, later ones before it runs only add to its count.
    One worker runs them, one after the other."""

    def __init__(self, delay: float, runner: BackupRunner, events: EventLog,
                 config: Callable[[], Config]) -> None:
        self.delay = delay
        self.runner = runner
        self.events = events
        self.config = config
        self.pending: dict[tuple[str, str, str], tuple[float, Sender, int]] = {}
        self.lock = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self._work, name="listen-backups", daemon=True)
        self.thread.start()

    def changed(self, sender: Sender, now: float | None = None, stage: str = BACKUP) -> None:
        key = (sender.client, sender.host, stage)
        with self.lock:
            due, _, count = self.pending.get(key, (0.0, sender, 0))
            self.pending[key] = (due or (now or time.monotonic()) + self.delay, sender,
                                 count + 1)
            self.lock.notify()

    def _work(self) -> None:
        while True:
            with self.lock:
                while not self.stopping:
                    ready = [(due, key) for key, (due, _, _) in self.pending.items()
                             if due <= time.monotonic()]
                    if ready:
                        break
                    soonest = min((due for due, _, _ in self.pending.values()), default=None)
                    self.lock.wait(None if soonest is None
                                   else max(soonest - time.monotonic(), 0.05))
                if self.stopping:
                    return
                _, key = min(ready)
                _, sender, count = self.pending.pop(key)
            stage = key[2]
            status = "error"
            try:
                status = self.runner(self.config(), sender, stage)
            except Exception:  # noqa: BLE001 - one device's surprise never stops the listener
                log.exception("[%s] %s of %s after a change failed", sender.client, stage,
                              sender.name)
            log.info("[%s] %s: %s after %d change event(s): %s", sender.client,
                     sender.name, stage, count, status)
            self.events.backup_done(sender, status, count, stage)
            if status == "locked":  # a scheduled run holds the client: try again later
                with self.lock:
                    if key not in self.pending:
                        self.pending[key] = (time.monotonic() + LOCKED_RETRY, sender, count)

    def stop(self, wait: float = 10.0) -> None:
        with self.lock:
            self.stopping = True
            self.lock.notify()
        self.thread.join(timeout=wait)


# ---------------------------------------------------------------- the listener

@dataclass
class Settings:
    bind: str = "0.0.0.0"
    syslog_port: int = 514
    trap_port: int = 162
    debounce: float = 10.0
    metrics_port: int = 0


class Listener:
    def __init__(self, config_path: Path, settings: Settings,
                 runner: BackupRunner = run_one_backup) -> None:
        self.config_path = config_path
        self.settings = settings
        self._config = load_config(config_path)
        self.events = EventLog(backup_state_root(self._config))
        self.directory: dict[str, Sender] = {}
        self.shared: set[str] = set()
        self.refreshed = 0.0
        self.debouncer = Debouncer(settings.debounce, runner, self.events, lambda: self._config)
        self.refresh()

    def refresh(self, reload: bool = False) -> None:
        if reload:
            try:
                self._config = load_config(self.config_path)
            except NetdocError as exc:
                log.error("listen: configuration not reloaded, keeping the old one: %s", exc)
        self.directory, self.shared = build_directory(self._config)
        self.refreshed = time.monotonic()
        for host in sorted(self.shared):
            log.warning("listen: %s belongs to more than one client; its events are ignored",
                        host)

    def sender(self, address: str) -> Sender | None:
        if time.monotonic() - self.refreshed > DIRECTORY_REFRESH:
            self.refresh()
        try:
            address = str(ipaddress.ip_address(address.removeprefix("::ffff:")))
        except ValueError:
            return None
        return self.directory.get(address)

    # -------------------------------------------------------- one message
    def syslog(self, data: bytes, address: str, via: str) -> str:
        """Handle one syslog message; what it was taken for ("" = ignored)."""
        sender = self.sender(address)
        if sender is None:
            self.events.ignored(address, "shared address" if address in self.shared
                                else "unknown sender")
            return ""
        message = parse_syslog(data)
        if message is None:
            self.events.record(sender, "", via, "")
            return ""
        kind = rules_for(sender.platform).classify(message.text)
        self.events.record(sender, kind, via, message.text)
        self._act(sender, kind, message.text)
        return kind

    def trap(self, data: bytes, address: str) -> str:
        sender = self.sender(address)
        if sender is None:
            self.events.ignored(address, "unknown sender")
            return ""
        if is_v3(data):
            trap = parse_v3_trap(data, sender.v3_users)
            if trap is None:  # unknown user, wrong keys, or less security than configured
                self.events.ignored(address, "SNMPv3 trap not authenticated as this "
                                             "client's user")
                return ""
        else:
            trap = parse_trap(data)
            if trap is None:
                self.events.record(sender, "", "snmp", "")
                return ""
            if sender.communities and trap.community not in sender.communities:
                self.events.ignored(address, "trap community not this client's")
                return ""
        kind = self._trap_kind(sender, trap)
        self.events.record(sender, kind, "snmp", trap.describe())
        self._act(sender, kind, trap.describe())
        return kind

    @staticmethod
    def _trap_kind(sender: Sender, trap: Trap) -> str:
        if trap.is_link:
            return LINK_CHANGED
        if trap.trap_oid in rules_for(sender.platform).config_traps:
            return CONFIG_CHANGED
        return ""

    def _act(self, sender: Sender, kind: str, detail: str) -> None:
        if kind == CONFIG_CHANGED:
            if sender.backup:
                log.info("[%s] %s: config change reported (%s); backup in %g s",
                         sender.client, sender.name, clean(detail, 200),
                         self.settings.debounce)
                self.debouncer.changed(sender)
            else:
                log.info("[%s] %s: config change reported, but the device is not backed "
                         "up by netdoc", sender.client, sender.name)
        elif kind == LINK_CHANGED and sender.snmp:
            log.info("[%s] %s: link change (%s); its tables are read again in %g s",
                     sender.client, sender.name, clean(detail, 200), self.settings.debounce)
            self.debouncer.changed(sender, stage=REREAD)
        elif kind == LINK_CHANGED:
            log.info("[%s] %s: link change (%s) recorded; it never answered SNMP, so there "
                     "are no tables to read again", sender.client, sender.name,
                     clean(detail, 200))

    # -------------------------------------------------------- sockets
    async def serve(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        bind, cfg = self.settings.bind, self.settings
        listener = self

        class Syslog(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                listener.syslog(data, addr[0], "syslog/udp")

        class Traps(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                listener.trap(data, addr[0])

        clients = [0]

        async def tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            address = writer.get_extra_info("peername")[0]
            if clients[0] >= MAX_TCP_CLIENTS:
                writer.close()
                return
            clients[0] += 1
            buffer = bytearray()
            try:
                while True:
                    chunk = await asyncio.wait_for(reader.read(65536), TCP_IDLE)
                    if not chunk:
                        break
                    buffer += chunk
                    for frame in split_tcp_stream(buffer):
                        listener.syslog(frame, address, "syslog/tcp")
            except (asyncio.TimeoutError, ConnectionError):
                pass
            finally:
                clients[0] -= 1
                writer.close()

        try:
            udp, _ = await loop.create_datagram_endpoint(Syslog, local_addr=(bind, cfg.syslog_port))
            traps, _ = await loop.create_datagram_endpoint(Traps, local_addr=(bind, cfg.trap_port))
            server = await asyncio.start_server(tcp, bind, cfg.syslog_port)
        except OSError as exc:
            raise ListenError(f"cannot listen on {bind} (syslog {cfg.syslog_port}/udp+tcp, "
                              f"traps {cfg.trap_port}/udp): {exc.strerror or exc}; ports below "
                              f"1024 need root or CAP_NET_BIND_SERVICE (the systemd unit "
                              f"grants it)") from None
        metrics = self._metrics_server() if cfg.metrics_port else None
        print(f"listening on {bind}: syslog {cfg.syslog_port}/udp+tcp, traps "
              f"{cfg.trap_port}/udp" + (f", metrics http://{bind}:{cfg.metrics_port}/metrics"
                                        if metrics else "") + f"; {len(self.directory)} "
              f"known device address(es)", flush=True)
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass
                self.events.flush()
        finally:
            udp.close()
            traps.close()
            server.close()
            if metrics is not None:
                metrics.shutdown()
            self.events.flush()

    def _metrics_server(self) -> ThreadingHTTPServer:
        from netdoc.metrics import collect, render

        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.split("?")[0] not in ("/metrics", "/"):
                    self.send_error(404)
                    return
                listener.events.flush()
                body = render(collect(listener._config)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        try:
            server = ThreadingHTTPServer((self.settings.bind, self.settings.metrics_port),
                                         Handler)
        except OSError as exc:
            raise ListenError(f"cannot serve metrics on {self.settings.bind}:"
                              f"{self.settings.metrics_port}: {exc.strerror or exc}") from None
        threading.Thread(target=server.serve_forever, name="listen-metrics",
                         daemon=True).start()
        return server


def serve(config_path: Path, settings: Settings) -> int:
    os.umask(0o077)  # client data is owner-only, as in scheduled runs (runner.run)
    listener = Listener(config_path, settings)
    stop = asyncio.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: listener.refresh(reload=True))
        await listener.serve(stop)

    try:
        asyncio.run(main())
    finally:
        listener.debouncer.stop()
    return 0


# ---------------------------------------------------------------- the command

def add_listen_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    sub = command("listen", "Receive syslog and SNMP traps; back up a device as soon as it "
                            "reports a config change, re-read a switch that reports a link "
                            "change (runs until stopped).", cmd_listen)
    sub.add_argument("--bind", default="0.0.0.0", help="address to listen on (default all)")
    sub.add_argument("--syslog-port", type=int, default=514,
                     help="syslog port, UDP and TCP (default 514)")
    sub.add_argument("--trap-port", type=int, default=162, help="SNMP trap port (default 162)")
    sub.add_argument("--debounce", type=float, default=10.0,
                     help="seconds from a device's first change event to its backup; events "
                          "meanwhile join that backup (default 10, at most 50)")
    sub.add_argument("--metrics-port", type=int, default=0,
                     help="also serve `netdoc metrics` over HTTP on this port (default off)")


def cmd_listen(args: argparse.Namespace) -> int:
    from netdoc.config import find_config

    if not 0 <= args.debounce <= 50:
        raise UsageError("--debounce must be between 0 and 50 seconds (a change is backed "
                         "up within 60 s)")
    for name in ("syslog_port", "trap_port", "metrics_port"):
        if not 0 <= getattr(args, name) <= 65535:
            raise UsageError(f"--{name.replace('_', '-')} must be a port number")
    settings = Settings(bind=args.bind, syslog_port=args.syslog_port, trap_port=args.trap_port,
                        debounce=args.debounce, metrics_port=args.metrics_port)
    return serve(find_config(getattr(args, "config", None)), settings)
