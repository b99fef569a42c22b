"""`netdoc listen`: real syslog (util-linux `logger`) and real SNMP traps (net-snmp
`snmptrap`) reach a real `netdoc listen` process; a config-change notice backs up
exactly the device that sent it, debounced, and nothing a sender writes acts on
another device or another client.

Address map of the end-to-end test (all loopback; the listener binds 127.0.0.1):

    127.0.0.1  acme/hq core-sw   (logger has no source-address option: its packets
                                  to 127.0.0.1 leave from 127.0.0.1, so this device is it)
    127.0.0.2  acme/hq acc-sw2   (traps sent with snmptrap --clientaddr=127.0.0.2)
    127.0.0.3  globex/hq edge    (Python sockets bound to 127.0.0.3)
    127.0.0.9  nobody            (Python sockets bound to 127.0.0.9: the spoofer)

Each device is the recorded Cisco IOS switch played by the SSH replay server on
its own address.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from netdoc.config import parse_config
from netdoc.listen.messages import (V3User, is_v3, parse_syslog, parse_trap, parse_v3_trap,
                                    split_tcp_stream)
from netdoc.listen.rules import CONFIG_CHANGED, LINK_CHANGED, rules_for
from netdoc.metrics import collect, render
from support.polling import wait_for
from support.replay_server import Recording, ReplayServer

SESSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "sessions"
CISCO_NOTICE = "%SYS-5-CONFIG_I: Configured from console by admin on vty0 (192.0.2.9)"


# ---------------------------------------------------------------- parsing

def test_rfc3164_and_rfc5424_messages_are_read() -> None:
    old = parse_syslog(b"<189>Nov 28 09:00:00 core-sw 52: *Nov 28 09:00:00: " +
                       CISCO_NOTICE.encode())
    assert old is not None and old.hostname == "core-sw" and old.severity == 5
    assert CISCO_NOTICE in old.text
    new = parse_syslog(b'<165>1 2026-11-28T09:00:00Z fw1 mgd 123 UI_COMMIT '
                       b'[junos@2636.1.1.1.2.9 username="admin"] User \'admin\' requested '
                       b'\'commit\' operation')
    assert new is not None and new.hostname == "fw1" and new.app == "mgd"
    assert new.text.startswith("User 'admin' requested 'commit'")
    assert parse_syslog(b"no priority here") is None
    assert parse_syslog(b"<999>too high") is None


def test_hostile_syslog_text_is_cleaned_and_bounded() -> None:
    message = parse_syslog(b"<13>Nov 28 09:00:00 h x: \x1b[31mred\x00\r\nforged line" +
                           b"A" * 100_000)
    assert message is not None
    assert "\x1b" not in message.text and "\n" not in message.text and "\x00" not in message.text
    assert len(message.text) <= 2000


def test_tcp_framing_newlines_and_octet_counting() -> None:
    buffer = bytearray(b"<13>a one\n<13>a two\n11 <13>counted5 <13>")
    frames = split_tcp_stream(buffer)
    assert frames == [b"<13>a one", b"<13>a two", b"<13>counted"]
    assert buffer == bytearray(b"5 <13>")  # incomplete: waits for more


def test_profiles_say_which_messages_mean_a_change() -> None:
    assert rules_for("cisco_ios").classify(CISCO_NOTICE) == CONFIG_CHANGED
    assert rules_for("ios").classify("%LINK-3-UPDOWN: Interface Gi1/0/1, changed state to "
                                     "down") == LINK_CHANGED
    assert rules_for("juniper_junos").classify("UI_COMMIT: User 'admin' requested 'commit' "
                                               "operation") == CONFIG_CHANGED
    assert rules_for("fortinet_fortigate").classify(
        'date=2026-11-28 logid="0100044547" type="event" subtype="system" '
        'logdesc="Object attribute configured"') == CONFIG_CHANGED
    assert rules_for("mikrotik_routeros").classify(
        "system,info route 0.0.0.0/0 changed by admin") == CONFIG_CHANGED
    assert rules_for("cisco_ios").classify("%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success") == ""
    # unknown platform: every profile's patterns
    assert rules_for("").classify(CISCO_NOTICE) == CONFIG_CHANGED


def capture_trap(*args: str) -> tuple[bytes, str]:
    """Run the real snmptrap against a socket of ours; the packet and its source."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(10)
        port = sink.getsockname()[1]
        subprocess.run(["snmptrap", *args[:-1], f"127.0.0.1:{port}", *args[-1].split()],
                       check=True, timeout=20, capture_output=True)
        data, source = sink.recvfrom(65535)
    return data, source[0]


@pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp snmptrap is missing")
def test_a_real_linkdown_trap_is_decoded() -> None:
    data, source = capture_trap("-v", "2c", "-c", "public", "--clientaddr=127.0.0.2",
                                "'' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.3 i 3")
    assert source == "127.0.0.2"
    trap = parse_trap(data)
    assert trap is not None and trap.is_link and trap.community == b"public"
    assert trap.if_indexes == (3,)
    assert parse_trap(data[:-3]) is None  # truncated: ignored, never raised
    assert parse_trap(b"\x30\x03\x02\x01\x03") is None  # SNMPv3 / garbage


V3_TRAP = ("-v", "3", "-u", "netdoc-traps", "-l", "authPriv", "-a", "SHA", "-A",
           "auth-secret-1", "-x", "AES", "-X", "priv-secret-1", "-e", "0x80001f8880aabbccdd")


@pytest.mark.skipif(shutil.which("snmptrap") is None, reason="net-snmp snmptrap is missing")
def test_a_real_snmpv3_authpriv_trap_is_checked_and_decrypted() -> None:
    data, _ = capture_trap(*V3_TRAP, "'' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.7 i 7")
    assert is_v3(data) and parse_trap(data) is None
    right = V3User(b"netdoc-traps", "sha", "auth-secret-1", "aes", "priv-secret-1")
    trap = parse_v3_trap(data, (right,))
    assert trap is not None and trap.trap_oid == "1.3.6.1.6.3.1.1.5.4" and trap.if_indexes == (7,)
    wrong_auth = V3User(b"netdoc-traps", "sha", "not-the-key-1", "aes", "priv-secret-1")
    wrong_priv = V3User(b"netdoc-traps", "sha", "auth-secret-1", "aes", "not-the-key-1")
    other_user = V3User(b"someone-else", "sha", "auth-secret-1", "aes", "priv-secret-1")
    for users in ((wrong_auth,), (wrong_priv,), (other_user,), ()):
        assert parse_v3_trap(data, users) is None
    unauthenticated, _ = capture_trap("-v", "3", "-u", "netdoc-traps", "-l", "noAuthNoPriv",
                                      "-e", "0x80001f8880aabbccdd",
                                      "'' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.7 i 7")
    assert parse_v3_trap(unauthenticated, (right,)) is None  # less security than configured


# ---------------------------------------------------------------- end to end

def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


class ListenSite:
    def __init__(self, root: Path, replay: ReplayServer) -> None:
        self.root = root
        rec = Recording.load(SESSIONS / "cisco_ios.yaml")
        self.served = {name: replay.serve(rec, host=host) for name, host in
                       (("core-sw", "127.0.0.1"), ("acc-sw2", "127.0.0.2"), ("edge", "127.0.0.3"))}
        data = {
            "credentials": {
                "acme": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_SSH",
                                 "enable": "env:NETDOC_TEST_ENABLE"},
                         "snmp": {"version": "2c", "community": "env:NETDOC_TEST_ACME_COMMUNITY"}},
                "globex": {"ssh": {"username": "netdoc", "password": "env:NETDOC_TEST_SSH",
                                   "enable": "env:NETDOC_TEST_ENABLE"},
                           "snmp": {"version": "2c",
                                    "community": "env:NETDOC_TEST_GLOBEX_COMMUNITY"}},
                "acme-v3": {"snmp": {"version": "3", "user": "netdoc-traps", "auth": "sha",
                                     "auth_key": "env:NETDOC_TEST_V3_AUTH", "priv": "aes",
                                     "priv_key": "env:NETDOC_TEST_V3_PRIV"}}},
            "clients": {
                "acme": {"sites": {"hq": {"credentials": ["acme", "acme-v3"], "devices": [
                    self.seed("core-sw"), self.seed("acc-sw2")]}}},
                "globex": {"sites": {"hq": {"credentials": ["globex"], "devices": [
                    self.seed("edge")]}}}},
            "output": {"inventory": str(root / "inventory"),
                       "config_backups": str(root / "config_backups")},
            "run": {"lock_wait": 30},
        }
        self.config_path = root / "netdoc.yaml"
        self.config_path.write_text(yaml.safe_dump(data), encoding="utf-8")
        self.syslog_port, self.trap_port, self.metrics_port = free_port(), free_port(), free_port()
        self.process: subprocess.Popen[str] | None = None

    def seed(self, name: str) -> dict[str, Any]:
        served = self.served[name]
        return {"host": served.host, "name": name, "platform": "cisco_ios",
                "ssh_port": served.port}

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netdoc.app.cli", "--config", str(self.config_path), "listen",
             "--bind", "127.0.0.1", "--syslog-port", str(self.syslog_port), "--trap-port",
             str(self.trap_port), "--debounce", "2", "--metrics-port", str(self.metrics_port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.root)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("listening on 127.0.0.1"), line

    def stop(self) -> str:
        if self.process is None:
            return ""
        self.process.terminate()  # SIGTERM, by PID: only the process this test started
        try:
            out, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate(timeout=10)
        return out

    def stored(self, client: str, name: str) -> Path:
        return self.root / "config_backups" / client / "hq" / f"{name}.cfg"

    def events(self, client: str) -> dict[str, Any]:
        path = self.root / "config_backups" / ".netdoc-state" / client / "listen-events.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def unknown(self) -> int:
        path = self.root / "config_backups" / ".netdoc-state" / ".listen-unknown.json"
        return int(json.loads(path.read_text())["count"]) if path.exists() else 0

    def commits(self, client: str) -> int:
        repo = self.root / "config_backups" / client
        if not (repo / ".git").exists():
            return 0
        out = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
                             capture_output=True, text=True)
        return int(out.stdout.strip() or 0)

    def send_from(self, source: str, text: str) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((source, 0))
            sock.sendto(text.encode(), ("127.0.0.1", self.syslog_port))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ListenSite]:
    for tool in ("logger", "snmptrap"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (util-linux / net-snmp)")
    monkeypatch.setenv("NETDOC_TEST_SSH", "lab-pass")
    monkeypatch.setenv("NETDOC_TEST_ENABLE", "lab-enable")
    monkeypatch.setenv("NETDOC_TEST_ACME_COMMUNITY", "acme-traps")
    monkeypatch.setenv("NETDOC_TEST_GLOBEX_COMMUNITY", "globex-traps")
    monkeypatch.setenv("NETDOC_TEST_V3_AUTH", "auth-secret-1")
    monkeypatch.setenv("NETDOC_TEST_V3_PRIV", "priv-secret-1")
    with ReplayServer() as replay:
        listen = ListenSite(tmp_path, replay)
        listen.start()
        try:
            yield listen
        finally:
            output = listen.stop()
            print(output)


def test_a_cisco_config_notice_backs_up_exactly_that_device_once(site: ListenSite) -> None:
    started = time.monotonic()
    for _ in range(10):  # ten commits in a row
        subprocess.run(["logger", "--server", "127.0.0.1", "--port", str(site.syslog_port),
                        "--udp", "--rfc3164", "-t", "core-sw", CISCO_NOTICE],
                       check=True, timeout=10)
    wait_for(lambda: site.stored("acme", "core-sw").exists(), 60, "the backup of core-sw")
    took = time.monotonic() - started
    assert took < 60
    backups = wait_for(lambda: site.events("acme").get("backups"), 10, "the backup record")
    time.sleep(3)  # longer than the debounce: a second backup would have started by now
    events = site.events("acme")
    assert [(b["device"], b["status"], b["events"]) for b in events["backups"]] == \
        [("core-sw", "ok", 10)], backups
    assert events["received"][CONFIG_CHANGED] == 10
    assert site.commits("acme") == 1
    assert not site.stored("acme", "acc-sw2").exists()
    assert site.commits("globex") == 0
    report = json.loads((site.root / "inventory" / "acme" / "last-run.json").read_text())
    assert [s["stage"] for s in report["stages"]] == ["backup"] and report["status"] == "ok"
    assert report["trigger"] == "backup: a config change notice from core-sw (127.0.0.1)", \
        "the report says which event ran it, so status tells it from a scheduled run"
    assert "masked" in site.stored("acme", "core-sw").read_text()  # same masking as ever
    objects = site.root / "config_backups" / "acme" / ".git" / "objects"
    assert all(p.stat().st_mode & 0o077 == 0 for p in objects.rglob("*") if p.is_file()), \
        "client data is owner-only, as in scheduled runs"

    # spoofing: an unknown sender naming an acme device does nothing
    site.send_from("127.0.0.9", f"<189>Nov 28 09:00:00 acc-sw2 127.0.0.2: {CISCO_NOTICE}")
    wait_for(lambda: site.unknown() == 1, 10, "the unknown sender to be counted")
    # another client's device claiming to be acme's acc-sw2 backs up only itself
    site.send_from("127.0.0.3", f"<189>Nov 28 09:00:00 acc-sw2 127.0.0.2: {CISCO_NOTICE}")
    wait_for(lambda: site.stored("globex", "edge").exists(), 60, "globex's edge backup")
    time.sleep(3)
    assert not site.stored("acme", "acc-sw2").exists()
    assert site.commits("acme") == 1
    assert [b["device"] for b in site.events("globex")["backups"]] == ["edge"]


def test_a_real_linkdown_trap_re_reads_that_switch_only(site: ListenSite) -> None:
    def trap(source: str, community: str) -> None:
        subprocess.run(["snmptrap", "-v", "2c", "-c", community, f"--clientaddr={source}",
                        f"127.0.0.1:{site.trap_port}", "", "1.3.6.1.6.3.1.1.5.3",
                        "1.3.6.1.2.1.2.2.1.1.3", "i", "3"], check=True, timeout=20)

    trap("127.0.0.2", "globex-traps")  # acc-sw2's address, another client's community
    wait_for(lambda: site.unknown() == 1, 10, "the foreign-community trap to be ignored")
    trap("127.0.0.2", "acme-traps")
    recent = wait_for(lambda: site.events("acme").get("recent"), 10, "the link event")
    assert [(e["kind"], e["device"], e["via"]) for e in recent] == \
        [(LINK_CHANGED, "acc-sw2", "snmp")]
    assert "linkDown ifIndex 3" in recent[0]["detail"]
    assert site.events("acme")["received"][LINK_CHANGED] == 1
    # SNMPv3 authPriv with the client's user: heard; the same from 127.0.0.3 (globex has
    # no such user): ignored
    subprocess.run(["snmptrap", *V3_TRAP, "--clientaddr=127.0.0.2",
                    f"127.0.0.1:{site.trap_port}", "", "1.3.6.1.6.3.1.1.5.4",
                    "1.3.6.1.2.1.2.2.1.1.3", "i", "3"], check=True, timeout=20)
    subprocess.run(["snmptrap", *V3_TRAP, "--clientaddr=127.0.0.3",
                    f"127.0.0.1:{site.trap_port}", "", "1.3.6.1.6.3.1.1.5.4",
                    "1.3.6.1.2.1.2.2.1.1.3", "i", "3"], check=True, timeout=20)
    wait_for(lambda: site.unknown() == 2, 10, "the v3 trap from globex to be ignored")
    recent = wait_for(lambda: len(site.events("acme").get("recent", [])) == 2
                      and site.events("acme")["recent"], 10, "the v3 link event")
    assert "linkUp ifIndex 3" in recent[1]["detail"]
    # the two link events (debounced together) re-read acc-sw2, and only it: here its
    # SNMP agent is missing, so the re-read fails and says so (the lab test sees one work)
    rereads = wait_for(lambda: sum(r["events"] for r in site.events("acme").get("rereads", []))
                       == 2 and site.events("acme")["rereads"], 30, "the re-read")
    assert {r["device"] for r in rereads} == {"acc-sw2"}
    report = json.loads((site.root / "inventory" / "acme" / "last-run.json").read_text())
    assert [s["stage"] for s in report["stages"]] == ["reread"]
    assert report["trigger"].startswith("reread: a link change from acc-sw2")
    assert {f["host"] for f in report["failures"]} == {"127.0.0.2"}
    time.sleep(3)
    assert not site.stored("acme", "acc-sw2").exists()  # a link change is no config change

    # the same counters, over the listener's own metrics endpoint
    import urllib.request
    body = urllib.request.urlopen(f"http://127.0.0.1:{site.metrics_port}/metrics",
                                  timeout=10).read().decode()
    assert 'netdoc_events_received_total{client="acme",kind="link_changed"} 2' in body
    assert "netdoc_events_unknown_sender_total 2" in body


def test_syslog_over_tcp_rfc5424_is_heard(site: ListenSite) -> None:
    subprocess.run(["logger", "--server", "127.0.0.1", "--port", str(site.syslog_port),
                    "--tcp", "--octet-count", "-t", "core-sw", CISCO_NOTICE],
                   check=True, timeout=10)
    wait_for(lambda: site.stored("acme", "core-sw").exists(), 60, "the backup of core-sw")
    recent = site.events("acme")["recent"]
    assert [(e["via"], e["kind"]) for e in recent] == [("syslog/tcp", CONFIG_CHANGED)]
    config = parse_config(site.config_path.read_text(), site.config_path)
    assert "netdoc_events_received_total" in render(collect(config))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_the_listen_unit_verifies(tmp_path: Path) -> None:
    template = Path(__file__).resolve().parents[2] / "netdoc" / "data" / "systemd" / \
        "netdoc-listen.service"
    unit = tmp_path / "netdoc-listen.service"
    unit.write_text(template.read_text().replace("@NETDOC@", sys.executable)
                    .replace("@CONFIG@", "/etc/netdoc/netdoc.yaml")
                    .replace("@DOCS@", "https://example.invalid/netdoc"))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    text = unit.read_text()
    assert "listen --syslog-port 514 --trap-port 162" in text
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in text and "NoNewPrivileges=yes" in text
