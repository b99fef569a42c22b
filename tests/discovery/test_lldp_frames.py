"""The passive listener's own LLDP (IEEE 802.1AB) and CDP parsers, fed frames built here
byte by byte from the standards: what a Cisco-like switch advertises becomes a Neighbor,
and anything a hostile LAN can send (truncated, garbage, lying lengths, huge) yields
nothing or what was intact, never an exception."""
from __future__ import annotations

import os
import random
import socket
import struct
import time

import pytest

from netdoc.discover.collectors import lldp
from netdoc.errors import NetdocError

SWITCH_MAC = bytes.fromhex("00aabbccdd01")
LLDP_MULTICAST = bytes.fromhex("0180c200000e")
CDP_MULTICAST = bytes.fromhex("01000ccccccc")


# ---------------------------------------------------------------- frame builders (802.1AB)

def tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!H", (kind << 9) | len(value)) + value


def lldp_frame(*tlvs: bytes, end: bool = True) -> bytes:
    body = b"".join(tlvs) + (tlv(0, b"") if end else b"")
    return LLDP_MULTICAST + SWITCH_MAC + b"\x88\xcc" + body


def management_address(ipv4: bytes) -> bytes:
    # string length (subtype + address), subtype 1 = IPv4, address, ifIndex subtype 2,
    # ifIndex, OID length 0
    return tlv(8, bytes([5, 1]) + ipv4 + b"\x02" + struct.pack("!I", 1) + b"\x00")


def cisco_switch_lldp() -> bytes:
    return lldp_frame(
        tlv(1, b"\x04" + SWITCH_MAC),                  # chassis ID, subtype 4 = MAC
        tlv(2, b"\x05" + b"Gi1/0/25"),                 # port ID, subtype 5 = interface name
        tlv(3, struct.pack("!H", 120)),                # TTL
        tlv(4, b"GigabitEthernet1/0/25"),              # port description
        tlv(5, b"core-sw.example.net"),                # system name
        tlv(6, b"Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), "
               b"Version 15.2(7)E4\nTechnical Support: http://www.cisco.com/techsupport"),
        tlv(7, struct.pack("!HH", 0x0014, 0x0004)),    # capable bridge+router, enabled bridge
        management_address(bytes([192, 0, 2, 2])),
        tlv(127, bytes.fromhex("0080c2") + b"\x01" + struct.pack("!H", 1)),  # 802.1 PVID
    )


# ------------------------------------------------------------------- frame builders (CDP)

def cdp_tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, len(value) + 4) + value


def cdp_addresses(*ipv4: bytes) -> bytes:
    entries = b"".join(b"\x01\x01\xcc" + struct.pack("!H", 4) + a for a in ipv4)
    return struct.pack("!I", len(ipv4)) + entries


def cdp_frame(*tlvs: bytes) -> bytes:
    payload = bytes.fromhex("aaaa0300000c2000") + bytes([2, 180]) + b"\x00\x00" + b"".join(tlvs)
    return CDP_MULTICAST + SWITCH_MAC + struct.pack("!H", len(payload)) + payload


def cisco_router_cdp() -> bytes:
    return cdp_frame(
        cdp_tlv(0x0001, b"edge-rtr.example.net"),
        cdp_tlv(0x0002, cdp_addresses(bytes([198, 51, 100, 1]))),
        cdp_tlv(0x0003, b"GigabitEthernet0/1"),
        cdp_tlv(0x0004, struct.pack("!I", 0x29)),      # router, switch, IGMP
        cdp_tlv(0x0005, b"Cisco IOS Software, ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M),"
                        b" Version 16.9.4\nCopyright (c) 1986-2019 by Cisco Systems, Inc."),
        cdp_tlv(0x0006, b"cisco ISR4331/K9"),
        cdp_tlv(0x000A, struct.pack("!H", 1)),         # native VLAN
        cdp_tlv(0x0016, cdp_addresses(bytes([203, 0, 113, 9]))),
    )


# ------------------------------------------------------------------------------- LLDP

def test_a_cisco_switch_advertisement_becomes_its_neighbour_record() -> None:
    heard = lldp.parse_lldp(cisco_switch_lldp(), "eth0")
    assert heard is not None
    assert (heard.protocol, heard.local_port) == ("lldp", "eth0")
    assert heard.remote_chassis_id == "00:aa:bb:cc:dd:01"
    assert heard.remote_port == "Gi1/0/25"
    assert heard.remote_port_descr == "GigabitEthernet1/0/25"
    assert heard.remote_name == "core-sw.example.net"
    assert heard.remote_platform.startswith("Cisco IOS Software, C2960X Software")
    assert "\n" not in heard.remote_platform
    assert heard.remote_capabilities == ["bridge"]  # enabled, not merely capable
    assert heard.remote_mgmt_ip == "192.0.2.2"


def test_mac_and_network_address_ids_are_spelt_as_addresses() -> None:
    heard = lldp.parse_lldp(lldp_frame(tlv(1, b"\x05\x01" + bytes([192, 0, 2, 7])),
                                       tlv(2, b"\x03" + bytes.fromhex("00aabbccdd02")),
                                       tlv(3, b"\x00\x78")))
    assert heard is not None
    assert (heard.remote_chassis_id, heard.remote_port) == ("192.0.2.7", "00:aa:bb:cc:dd:02")
    assert heard.remote_mgmt_ip == ""


def test_a_phone_without_a_system_name_is_named_by_its_description_and_med_inventory() -> None:
    med = bytes.fromhex("0012bb")
    heard = lldp.parse_lldp(lldp_frame(
        tlv(1, b"\x05" + b"192.0.2.40"),          # chassis: network address in text form
        tlv(2, b"\x07" + b"port-1"),
        tlv(3, b"\x00\x78"),
        tlv(6, b"Yealink SIP-T46S\r\nfirmware 66.86.0.15"),
        tlv(7, struct.pack("!HH", 0x0024, 0x0020)),   # bridge+telephone capable, phone on
        tlv(127, med + b"\x01" + struct.pack("!H", 0x33) + b"\x03"),   # class III
        tlv(127, med + b"\x05" + b"T46S-rev2"),
        tlv(127, med + b"\x06" + b"66.86.0.15"),
        tlv(127, med + b"\x08" + b"3150A9XQ\x00\x00\x00"),   # fixed buffer, NUL-padded
        tlv(127, med + b"\x09" + b"Yealink"),
        tlv(127, med + b"\x0a" + b"SIP-T46S")))
    assert heard is not None
    assert heard.remote_name == "Yealink SIP-T46S"
    assert heard.remote_capabilities == ["telephone"]
    assert (heard.remote_med_class, heard.remote_manufacturer, heard.remote_model,
            heard.remote_serial, heard.remote_hardware, heard.remote_software) == \
        ("endpoint-class-3", "Yealink", "SIP-T46S", "3150A9XQ", "T46S-rev2", "66.86.0.15")


def test_device_text_is_cleaned_of_control_characters_and_bounded() -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07evil\x07-sw\u202e".encode()
    heard = lldp.parse_lldp(lldp_frame(tlv(1, b"\x07" + b"x" * 255), tlv(2, b"\x05p1"),
                                       tlv(3, b"\x00\x78"), tlv(5, hostile),
                                       tlv(6, b"A" * 511)))
    assert heard is not None
    assert heard.remote_name == "evil-sw"
    assert all(ch.isprintable() for ch in heard.remote_chassis_id + heard.remote_platform)


def test_the_first_ipv4_management_address_is_kept_ipv6_skipped() -> None:
    ipv6 = tlv(8, bytes([17, 2]) + bytes(16) + b"\x02" + bytes(4) + b"\x00")
    heard = lldp.parse_lldp(lldp_frame(tlv(1, b"\x04" + SWITCH_MAC), tlv(2, b"\x05p1"),
                                       tlv(3, b"\x00\x78"), ipv6,
                                       management_address(bytes([203, 0, 113, 5])),
                                       management_address(bytes([203, 0, 113, 6]))))
    assert heard is not None and heard.remote_mgmt_ip == "203.0.113.5"


def test_lldp_without_chassis_and_port_ids_first_is_no_neighbour() -> None:
    assert lldp.parse_lldp(lldp_frame(tlv(2, b"\x05p1"), tlv(1, b"\x04" + SWITCH_MAC))) is None
    assert lldp.parse_lldp(lldp_frame(tlv(1, b"\x04" + SWITCH_MAC))) is None
    assert lldp.parse_lldp(lldp_frame(tlv(1, b""), tlv(2, b""))) is None
    assert lldp.parse_lldp(cisco_router_cdp()) is None


# -------------------------------------------------------------------------------- CDP

def test_a_cdp_advertisement_becomes_its_neighbour_record() -> None:
    heard = lldp.parse_cdp(cisco_router_cdp(), "eth1")
    assert heard is not None
    assert (heard.protocol, heard.local_port) == ("cdp", "eth1")
    assert heard.remote_name == "edge-rtr.example.net"
    assert heard.remote_port == "GigabitEthernet0/1"
    assert heard.remote_platform == "cisco ISR4331/K9"
    assert heard.remote_software.startswith("Cisco IOS Software, ISR Software")
    assert heard.remote_capabilities == ["router", "bridge"]
    assert heard.remote_mgmt_ip == "198.51.100.1"  # Addresses first, then Management Address


def test_cdp_management_address_is_used_when_the_address_list_has_no_ipv4() -> None:
    ipv6_only = struct.pack("!I", 1) + b"\x02\x08" + bytes.fromhex("aaaa0300000086dd") + \
        struct.pack("!H", 16) + bytes(16)
    heard = lldp.parse_cdp(cdp_frame(cdp_tlv(1, b"sw9"), cdp_tlv(2, ipv6_only),
                                     cdp_tlv(0x16, cdp_addresses(bytes([192, 0, 2, 99])))))
    assert heard is not None and heard.remote_mgmt_ip == "192.0.2.99"


def test_cdp_needs_the_snap_header_and_a_device_id() -> None:
    frame = cisco_router_cdp()
    assert lldp.parse_cdp(frame[:14] + b"\xaa\xaa\x03\x00\x00\x0c\x20\x04" + frame[22:]) is None
    assert lldp.parse_cdp(cdp_frame(cdp_tlv(3, b"Gi0/1"))) is None
    assert lldp.parse_cdp(cisco_switch_lldp()) is None


def test_parse_frame_tells_the_two_apart() -> None:
    assert lldp.parse_frame(cisco_switch_lldp(), "eth0").protocol == "lldp"  # type: ignore
    assert lldp.parse_frame(cisco_router_cdp(), "eth0").protocol == "cdp"  # type: ignore
    arp = b"\xff" * 6 + SWITCH_MAC + b"\x08\x06" + bytes(28)
    assert lldp.parse_frame(arp, "eth0") is None


# -------------------------------------------------------------- hostile and broken frames

@pytest.mark.parametrize("frame", [cisco_switch_lldp(), cisco_router_cdp()],
                         ids=["lldp", "cdp"])
def test_every_truncation_parses_without_raising(frame: bytes) -> None:
    for cut in range(len(frame)):
        heard = lldp.parse_frame(frame[:cut], "eth0")
        if heard is not None:  # what survives is a prefix of the truth, never invented
            whole = lldp.parse_frame(frame, "eth0")
            assert whole is not None and heard.remote_name in ("", whole.remote_name)


def test_lying_lengths_and_random_garbage_never_raise_or_hang() -> None:
    rng = random.Random(18)
    base = [cisco_switch_lldp(), cisco_router_cdp()]
    begun = time.monotonic()
    for _ in range(3000):
        frame = bytearray(rng.choice(base))
        for _ in range(rng.randint(1, 8)):
            frame[rng.randrange(14, len(frame))] = rng.randrange(256)
        heard = lldp.parse_frame(bytes(frame), "eth0")
        assert heard is None or heard.protocol in ("lldp", "cdp")
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
        for head in (LLDP_MULTICAST + SWITCH_MAC + b"\x88\xcc",
                     CDP_MULTICAST + SWITCH_MAC + b"\x00\x80" + bytes.fromhex("aaaa0300000c2000")):
            lldp.parse_frame(head + junk, "eth0")  # must not raise
    assert time.monotonic() - begun < 20


def test_a_cdp_address_count_that_lies_is_bounded() -> None:
    lying = struct.pack("!I", 0xFFFFFFFF) + b"\x01\x01\xcc\x00\x04" + bytes([192, 0, 2, 1])
    heard = lldp.parse_cdp(cdp_frame(cdp_tlv(1, b"sw"), cdp_tlv(2, lying)))
    assert heard is not None and heard.remote_mgmt_ip == "192.0.2.1"
    overlong = struct.pack("!I", 1) + b"\x01\x01\xcc\xff\xff" + bytes([192, 0, 2, 1])
    heard = lldp.parse_cdp(cdp_frame(cdp_tlv(1, b"sw"), cdp_tlv(2, overlong)))
    assert heard is not None and heard.remote_mgmt_ip == ""


def test_a_cdp_tlv_with_length_below_its_header_ends_the_walk() -> None:
    frame = cdp_frame(cdp_tlv(1, b"sw1"), struct.pack("!HH", 3, 0), cdp_tlv(6, b"never read"))
    heard = lldp.parse_cdp(frame)
    assert heard is not None and (heard.remote_name, heard.remote_platform) == ("sw1", "")


def test_a_frame_longer_than_jumbo_is_ignored() -> None:
    big = lldp_frame(tlv(1, b"\x04" + SWITCH_MAC), tlv(2, b"\x05p1"), tlv(3, b"\x00\x78"),
                     *[tlv(127, b"\x00\x00\x00\x00" + bytes(507))] * 18)
    assert len(big) > lldp.MAX_FRAME
    assert lldp.parse_frame(big, "eth0") is None
    assert lldp.parse_lldp(big) is None


# ---------------------------------------------------------------------------- listening

def test_no_time_or_no_interface_listens_to_nothing() -> None:
    assert lldp.listen(["lo"], 0) == []
    assert lldp.listen([], 5) == []


def test_probe_interfaces_are_ethernet_interfaces_that_are_up() -> None:
    names = lldp.probe_interfaces()
    assert "lo" not in names
    for name in names:
        with open(f"/sys/class/net/{name}/type") as handle:
            assert handle.read().strip() == "1"


@pytest.mark.skipif(not hasattr(socket, "AF_PACKET") or os.geteuid() != 0,
                    reason="raw sockets need Linux and root")
def test_listening_on_loopback_hears_nothing_and_ends_on_time() -> None:
    begun = time.monotonic()
    assert lldp.listen(["lo"], 0.3) == []
    assert 0.25 < time.monotonic() - begun < 2


@pytest.mark.skipif(not hasattr(socket, "AF_PACKET") or os.geteuid() != 0,
                    reason="raw sockets need Linux and root")
def test_an_interface_that_does_not_exist_is_an_error_a_technician_can_act_on() -> None:
    with pytest.raises(NetdocError, match="cannot listen for LLDP/CDP on nd-no-such0"):
        lldp.listen(["nd-no-such0"], 0.1)
    assert lldp.listen(["nd-no-such0", "lo"], 0.1) == []  # the others still listened
