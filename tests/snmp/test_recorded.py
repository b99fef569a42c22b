"""RecordedTransport: snmprec files served in-process, as the agent would serve them."""
from __future__ import annotations

import asyncio
from pathlib import Path

from netdoc.discover.snmp.recorded import RecordedTransport
from netdoc.discover.snmp.values import IPv4, Oid

REC = """\
1.3.6.1.2.1.1.1.0|4|Test agent
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.5.0|4x|6e6574646f63
1.3.6.1.2.1.2.2.1.2.10|4|eth10
1.3.6.1.2.1.2.2.1.2.2|4|eth2
1.3.6.1.2.1.2.2.1.5.2|66|1000000000
1.3.6.1.2.1.2.2.1.6.2|4x|0011223344zz
1.3.6.1.2.1.4.20.1.1.192.0.2.1|64|192.0.2.1
1.3.6.1.2.1.31.1.1.1.6.2|70|18446744073709551615
1.3.6.1.2.1.31.1.1.1.9.2|5|
"""


def transport(tmp_path: Path) -> RecordedTransport:
    path = tmp_path / "agent.snmprec"
    path.write_text(REC)
    return RecordedTransport(path)


def test_values_come_back_as_plain_python(tmp_path: Path) -> None:
    got = asyncio.run(transport(tmp_path).get(["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0",
                                               "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.9.0"]))
    assert got == {"1.3.6.1.2.1.1.1.0": b"Test agent",
                   "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.8072.3.2.10", "1.3.6.1.2.1.1.5.0": b"netdoc"}
    assert isinstance(got["1.3.6.1.2.1.1.2.0"], Oid)


def test_walk_is_in_oid_order_not_text_order_and_stays_in_its_subtree(tmp_path: Path) -> None:
    rows = asyncio.run(transport(tmp_path).walk("1.3.6.1.2.1.2.2.1.2"))
    assert rows == [("1.3.6.1.2.1.2.2.1.2.2", b"eth2"), ("1.3.6.1.2.1.2.2.1.2.10", b"eth10")]


def test_types_and_broken_lines(tmp_path: Path) -> None:
    t = transport(tmp_path)
    everything = dict(asyncio.run(t.walk("1.3.6.1")))
    assert everything["1.3.6.1.2.1.4.20.1.1.192.0.2.1"] == "192.0.2.1"
    assert isinstance(everything["1.3.6.1.2.1.4.20.1.1.192.0.2.1"], IPv4)
    assert everything["1.3.6.1.2.1.31.1.1.1.6.2"] == 2**64 - 1
    assert "1.3.6.1.2.1.31.1.1.1.9.2" not in everything  # NULL: no value
    assert "1.3.6.1.2.1.2.2.1.6.2" not in everything  # bad hex: skipped, like a missing value
    assert len(t.problems) == 1 and "bad value" in t.problems[0]


def test_vlan_views_are_sibling_files(tmp_path: Path) -> None:
    (tmp_path / "agent@10.snmprec").write_text("1.3.6.1.2.1.17.4.3.1.2.0.17.34.51.68.85|2|3\n")
    t = transport(tmp_path)
    assert asyncio.run(t.for_vlan(10).walk("1.3.6.1.2.1.17.4.3.1.2")) == \
        [("1.3.6.1.2.1.17.4.3.1.2.0.17.34.51.68.85", 3)]
    assert asyncio.run(t.for_vlan(20).walk("1.3.6.1")) == []
