"""The snmpd pass_persist helper walks BRIDGE-MIB and ENTITY-MIB in SNMP order."""
from __future__ import annotations

import io
import json
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from netdoc.lab import bridge_mib
from netdoc.lab.bridge_mib import (DOT1D_BASE_PORT_ENTRY, DOT1D_TP_FDB_ENTRY, MibView, Value,
                                   bridge_rows, format_oid, parse_oid, serve)

HELPER = Path(bridge_mib.__file__).resolve()


def view(*oids: str) -> MibView:
    return MibView((parse_oid(o), Value("integer", str(i))) for i, o in enumerate(oids))


def test_getnext_orders_numerically_not_as_text() -> None:
    table = view(".1.3.6.1.2.1.17.4.3.1.2.0.27.84.1.0.10", ".1.3.6.1.2.1.17.4.3.1.2.0.27.84.1.0.9",
                 ".1.3.6.1.2.1.17.4.3.1.2.0.27.84.1.0.100")
    walked, oid = [], parse_oid(".1.3.6.1.2.1.17")
    while (found := table.get_next(oid)) is not None:
        oid = found[0]
        walked.append(format_oid(oid).rsplit(".", 1)[1])
    assert walked == ["9", "10", "100"]  # text order would give 10, 100, 9


def test_getnext_from_a_prefix_a_gap_and_the_end() -> None:
    table = view(".1.3.6.1.2.1.17.1.1.0", ".1.3.6.1.2.1.17.1.4.1.1.1", ".1.3.6.1.2.1.17.1.4.1.2.1")
    assert table.get_next(parse_oid(".1.3.6.1.2.1.17"))[0] == parse_oid(".1.3.6.1.2.1.17.1.1.0")  # type: ignore[index]
    # An OID between rows (not itself in the table) continues with the next row.
    assert table.get_next(parse_oid(".1.3.6.1.2.1.17.1.2"))[0] == \
        parse_oid(".1.3.6.1.2.1.17.1.4.1.1.1")  # type: ignore[index]
    # An exact row is skipped: GETNEXT means strictly after.
    assert table.get_next(parse_oid(".1.3.6.1.2.1.17.1.4.1.1.1"))[0] == \
        parse_oid(".1.3.6.1.2.1.17.1.4.1.2.1")  # type: ignore[index]
    assert table.get_next(parse_oid(".1.3.6.1.2.1.17.1.4.1.2.1")) is None
    assert table.get(parse_oid(".1.3.6.1.2.1.17.1.4.1.1")) is None  # a column is no instance


def fake_bridge(root: Path) -> Path:
    """A sysfs tree like the kernel's for br0 with two ports and three FDB entries."""
    net = root / "class-net"
    for name, ifindex in (("Gi1-0-1", 5), ("Gi1-0-25", 7)):
        (net / name).mkdir(parents=True)
        (net / name / "ifindex").write_text(f"{ifindex}\n")
    bridge = net / "br0"
    (bridge / "bridge").mkdir(parents=True)
    (bridge / "address").write_text("00:1e:bd:02:00:00\n")
    (bridge / "bridge" / "ageing_time").write_text("8640000\n")
    for name, number in (("Gi1-0-1", "0x1"), ("Gi1-0-25", "0x2")):
        (bridge / "brif" / name).mkdir(parents=True)
        (bridge / "brif" / name / "port_no").write_text(number + "\n")
    entries = [(bytes.fromhex("f48e380b0001"), 1, 0), (bytes.fromhex("001ebd030000"), 2, 0),
               (bytes.fromhex("001ebd020001"), 1, 1)]  # the last is the port's own MAC
    (bridge / "brforward").write_bytes(b"".join(
        struct.pack("=6sBBIBBH", mac, port, local, 0, 0, 0, 0) for mac, port, local in entries))
    return net


def test_bridge_rows_map_macs_to_bridge_ports_and_ports_to_ifindex(tmp_path: Path) -> None:
    table = MibView(bridge_rows("br0", fake_bridge(tmp_path)))
    mac_index = (0xf4, 0x8e, 0x38, 0x0b, 0x00, 0x01)
    assert table.get(DOT1D_TP_FDB_ENTRY + (2,) + mac_index)[1].value == "1"  # type: ignore[index]
    assert table.get(DOT1D_TP_FDB_ENTRY + (3,) + mac_index)[1].value == "3"  # type: ignore[index]
    own = (0x00, 0x1e, 0xbd, 0x02, 0x00, 0x01)
    assert table.get(DOT1D_TP_FDB_ENTRY + (2,) + own)[1].value == "0"  # type: ignore[index]
    assert table.get(DOT1D_TP_FDB_ENTRY + (3,) + own)[1].value == "4"  # type: ignore[index]
    assert table.get(DOT1D_BASE_PORT_ENTRY + (2, 2))[1].value == "7"  # type: ignore[index]
    assert table.get(parse_oid(".1.3.6.1.2.1.17.1.1.0"))[1] == \
        Value("octet", "00 1e bd 02 00 00")  # type: ignore[index]
    # A walk visits each OID once and in increasing order.
    walked, oid = [], parse_oid(".1.3.6.1.2.1.17")
    while (found := table.get_next(oid)) is not None:
        assert found[0] > oid
        oid = found[0]
        walked.append(oid)
    assert walked == sorted(set(walked)) and len(walked) == len(table.oids)


def test_the_pass_persist_conversation(tmp_path: Path) -> None:
    table = MibView(bridge_rows("br0", fake_bridge(tmp_path)))
    requests = "PING\nget\n.1.3.6.1.2.1.17.1.2.0\ngetnext\n.1.3.6.1.2.1.17.1.2.0\n" \
               "get\n.1.3.6.1.2.1.17.9.9\nset\n.1.3.6.1.2.1.17.1.2.0\ninteger 5\n"
    out = io.StringIO()
    serve(lambda: table, io.StringIO(requests), out)
    assert out.getvalue().splitlines() == [
        "PONG",
        ".1.3.6.1.2.1.17.1.2.0", "integer", "2",
        ".1.3.6.1.2.1.17.1.3.0", "integer", "2",
        "NONE",
        "not-writable",
    ]


@pytest.fixture()
def snmpd_with_entity_helper(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real snmpd on loopback whose ENTITY-MIB subtree is served by the helper."""
    if shutil.which("snmpd") is None and not Path("/usr/sbin/snmpd").exists():
        pytest.skip("snmpd is not installed (run scripts/setup.sh)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entity = tmp_path / "entity.json"
    entity.write_text(json.dumps([{"index": 1, "model": "WS-C2960X-24TS-L",
                                   "serial": "FOC2133X001", "class": 3},
                                  {"index": 10, "model": "GLC-T", "serial": "AGM1", "class": 10},
                                  {"index": 2, "model": "PWR-C2-250WAC", "serial": "LIT1",
                                   "class": 6}]))
    conf = tmp_path / "snmpd.conf"
    conf.write_text(f"agentAddress udp:127.0.0.1:{port}\nrocommunity test 127.0.0.1\n"
                    f"master off\npass_persist .1.3.6.1.2.1.47 {sys.executable} {HELPER} "
                    f"entity {entity}\n")
    (tmp_path / "persist").mkdir()
    proc = subprocess.Popen(["/usr/sbin/snmpd", "-f", "-C", "-c", str(conf), "-Lf",
                             str(tmp_path / "snmpd.log"), "-m", "", "-M", str(tmp_path)],
                            env={"SNMP_PERSISTENT_DIR": str(tmp_path / "persist"), "PATH": ""},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        log = tmp_path / "snmpd.log"
        deadline = time.monotonic() + 5
        while not (log.exists() and b"NET-SNMP version" in log.read_bytes()):
            assert time.monotonic() < deadline and proc.poll() is None, "snmpd did not start"
            time.sleep(0.05)
        yield port, tmp_path
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_snmpd_walks_the_helper_in_order(snmpd_with_entity_helper: tuple[int, Path]) -> None:
    port, _ = snmpd_with_entity_helper
    done = subprocess.run(["snmpwalk", "-v2c", "-c", "test", "-On", "-m", "", "-t", "1",
                           f"127.0.0.1:{port}", ".1.3.6.1.2.1.47.1.1.1.1.13"],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        '.1.3.6.1.2.1.47.1.1.1.1.13.1 = STRING: "WS-C2960X-24TS-L"',
        '.1.3.6.1.2.1.47.1.1.1.1.13.2 = STRING: "PWR-C2-250WAC"',
        '.1.3.6.1.2.1.47.1.1.1.1.13.10 = STRING: "GLC-T"',
    ]
