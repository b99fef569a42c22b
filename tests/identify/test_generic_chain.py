"""The generic identification chain: what netdoc knows of a device no profile describes.

Vendor from the IANA enterprise number (one spelling per vendor), the ENTITY-MIB row that
stands for the device, the common vendor MIB scalars and sysDescr patterns; profiles
override all of it where they know better.
"""
from __future__ import annotations

import asyncio
import gzip
import re
from pathlib import Path

import pytest

from netdoc.discover.collectors.snmp import collect
from netdoc.discover.identify import (Chassis, EntityRow, Facts, PortTable, chassis_candidates,
                             chassis_description_model, decode_capabilities, fill_chassis,
                             generic_rules, identify, identify_neighbor, looks_like_model,
                             parse_snmp_section, pick_chassis, scalar_oids,
                             serial_in_descriptions, usable)
from netdoc.platforms import ProfileError, load_profiles
from netdoc.discover.snmp.recorded import RecordedTransport
from netdoc.discover.vendors import (ENTERPRISES, canonical_vendor, enterprise_name, enterprise_number,
                            vendor_from_sys_object_id, vendor_named_in)

WALKS = Path(__file__).resolve().parents[1] / "fixtures" / "walks"
NO_PROFILE_OID = "1.3.6.1.4.1.37954.5.1"  # Kentix: in the IANA registry, in no profile


# ---------------------------------------------------------------- vendors

@pytest.mark.parametrize("spelling, canonical", [
    ("Hewlett Packard Enterprise", "HPE"), ("HPE", "HPE"), ("Hewlett-Packard", "HPE"), ("HP", "HPE"),
    ("ciscoSystems", "Cisco"), ("Cisco Systems, Inc.", "Cisco"),
    ("Ubiquiti Networks, Inc.", "Ubiquiti"), ("ZyXEL Communications Corp.", "Zyxel"),
    ("American Power Conversion Corp.", "APC"), ("Moxa Technologies Co., Ltd.", "Moxa"),
    ("Nokia\t# formerly 'Alcatel-Lucent'", "Nokia"), ("Check Point Software Technologies Ltd",
                                                       "Check Point"),
])
def test_every_spelling_of_a_vendor_is_one_vendor(spelling: str, canonical: str) -> None:
    assert canonical_vendor(spelling) == canonical


def test_a_vendor_outside_the_alias_table_keeps_its_name_without_the_legal_suffix() -> None:
    assert canonical_vendor("Kentix GmbH") == "Kentix"
    assert canonical_vendor("Janitza electronics GmbH") == "Janitza electronics"


def test_the_registry_ships_with_the_package_and_says_where_it_came_from() -> None:
    with gzip.open(ENTERPRISES, "rt", encoding="utf-8") as lines:
        header = [next(lines) for _ in range(4)]
    assert any(line.startswith("# source: ") for line in header)
    assert any(line.startswith("# generated: ") for line in header)
    assert enterprise_name(9) == "ciscoSystems" and enterprise_name(41112).startswith("Ubiquiti")


def test_the_vendor_of_an_enterprise_number_is_canonical_and_generic_agents_name_none() -> None:
    assert enterprise_number(".1.3.6.1.4.1.2636.1.1.1.2.29") == 2636
    assert enterprise_number("1.3.6.1.2.1.1") is None
    assert vendor_from_sys_object_id("1.3.6.1.4.1.30065.1.3011.7050") == "Arista"
    assert vendor_from_sys_object_id("1.3.6.1.4.1.8072.3.2.10") == ""  # net-snmp: any Linux
    assert vendor_from_sys_object_id("1.3.6.1.4.1.10002.1") == "Ubiquiti"  # borrowed number


def test_a_vendor_named_in_a_description_is_found_as_a_word() -> None:
    assert vendor_named_in("Raritan Dominion PX - Firmware Version 010507") == "Raritan"
    assert vendor_named_in("Switch with Ciscoish firmware") == ""


# ---------------------------------------------------------------- the vendor chain

def test_an_unknown_device_gets_its_vendor_from_the_enterprise_number() -> None:
    found = identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="KentixONE hub"))
    assert (found.platform, found.vendor) == ("", "Kentix")


def test_entity_mib_names_the_maker_when_the_enterprise_says_nothing() -> None:
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.8072.3.2.10", sys_descr="appliance",
                           chassis=Chassis(manufacturer="Hewlett-Packard")))
    assert found.vendor == "HPE"


def test_a_generic_profile_does_not_hide_the_maker_named_by_the_enterprise() -> None:
    linux = load_profiles()["linux"]
    assert linux.match.priority <= 5
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.25049.16", sys_descr="Linux cm7116 "
                           "3.10.0-uc0 #1 Mon Nov 14 2022 armv5tel"))
    if found.platform == "linux":  # unless a profile of the maker's own matched first
        assert found.vendor == "Opengear"


def test_profile_vendors_are_canonical_too() -> None:
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.11.2.3.9.1", sys_descr="HP ETHERNET "
                           "MULTI-ENVIRONMENT,SN:VNB3K12345,FN:1K91CXP"))
    assert found.vendor == "HPE"


# ---------------------------------------------------------------- ENTITY-MIB

def test_the_chassis_at_the_top_is_preferred_then_other_chassis_then_the_lowest_rows() -> None:
    rows = [EntityRow(1, phys_class=9, contained_in=0), EntityRow(7, phys_class=3, contained_in=5),
            EntityRow(5, phys_class=11, contained_in=0), EntityRow(3, phys_class=3, contained_in=0)]
    assert chassis_candidates(rows) == [3, 5, 7]
    assert chassis_candidates([EntityRow(9, 9), EntityRow(4, 10), EntityRow(6, 5)]) == [4, 6, 9]
    assert chassis_candidates([]) == []


def test_the_first_candidate_with_a_serial_or_model_stands_for_the_device() -> None:
    stack = Chassis(descr="Stack", serial="", model="")
    member = Chassis(descr="Member 1", serial="FOC1234X5YZ", model="C9300-48P")
    assert pick_chassis([stack, member]) is member
    assert pick_chassis([stack]) is stack and pick_chassis([]) == Chassis()


@pytest.mark.parametrize("value, model", [
    ("FSP150CC-GE112", "FSP150CC-GE112"), ("EX2300-24P", "EX2300-24P"), ("Chassis", ""),
    ("Slot 1", ""), ("Fan Tray 2", ""), ("Cisco Systems Catalyst 9300 48-port PoE+ switch, "
                                         "with lots of words", ""), ("<private>", ""),
])
def test_entity_name_or_description_counts_as_a_model_only_when_it_reads_like_one(
        value: str, model: str) -> None:
    assert looks_like_model(value) == model


def test_entity_name_fills_the_model_when_model_name_is_empty() -> None:
    found = identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="hub",
                           chassis=Chassis(name="KMS-LAN-2", descr="Main board")))
    assert found.model == "KMS-LAN-2"


# ---------------------------------------------------------------- vendor MIB scalars

def test_the_poller_asks_for_the_scalars_of_the_devices_enterprise_and_standard_mibs() -> None:
    juniper = scalar_oids(None, "1.3.6.1.4.1.2636.1.1.1.2.29")
    assert "1.3.6.1.4.1.2636.3.1.3.0" in juniper  # jnxBoxSerialNo
    assert "1.3.6.1.2.1.33.1.1.2.0" in juniper  # UPS-MIB upsIdentModel: asked of everyone
    assert "1.3.6.1.4.1.9.3.6.3.0" not in juniper  # Cisco's chassisId: not a Juniper's
    assert len(juniper) < 30  # one GET batch, not a crawl


def test_vendor_scalars_fill_model_serial_and_version() -> None:
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.6574.1", sys_descr="Linux nas 4.4.302+",
                           scalars={"1.3.6.1.4.1.6574.1.5.1.0": b"DS920+",
                                    "1.3.6.1.4.1.6574.1.5.2.0": b"2040RQR012345",
                                    "1.3.6.1.4.1.6574.1.5.3.0": b"DSM 7.2-64570"}))
    assert (found.model, found.serial) == ("DS920+", "2040RQR012345")


def test_a_printers_host_resources_description_is_its_model_only_on_a_printer() -> None:
    printer = {"1.3.6.1.2.1.43.5.1.1.17.1": b"CNB1234567",
               "1.3.6.1.2.1.25.3.2.1.3.1": b"Acme LaserWriter 4000"}
    found = identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="print server",
                           scalars=printer))
    assert (found.model, found.serial) == ("Acme LaserWriter 4000", "CNB1234567")
    server = identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="server",
                            scalars={"1.3.6.1.2.1.25.3.2.1.3.1": b"GenuineIntel: Intel Xeon"}))
    assert server.model == ""


# ---------------------------------------------------------------- sysDescr patterns

@pytest.mark.parametrize("descr, version", [
    ("IPS-3110 Version 1.00.0P", "1.00.0P"),
    ("Acme Switch, SW version: 4.2.1 build 7", "4.2.1"),
    ("Widget firmware V2.3.17", "2.3.17"),
    ("Router R1 3.14.159-rc2", "3.14.159-rc2"),
    ("Gateway appliance, Linux 5.10.0-21-amd64 #1 SMP", ""),  # the kernel is not the firmware
    ("Sensor hub on Linux (none) 2.6.28.9 #1 armv5tejl", ""),  # nor without a host name
    ("CMTS_V08.02.00.97, <<HW_REV: 3.1; BOOTR: V00.01.00>>", "08.02.00.97"),
    ("Acme PDU SN 34260505 HW REV.0404 - SW V7.17.30_1", "7.17.30_1"),
])
def test_sys_descr_versions_without_a_profile(descr: str, version: str) -> None:
    assert identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr=descr)).version == version


def test_sys_descr_serial_and_model_without_a_profile() -> None:
    found = identify(Facts(sys_object_id=NO_PROFILE_OID,
                           sys_descr="Sensor hub Model: KMS-LAN S/N: KX22070042"))
    assert (found.model, found.serial) == ("KMS-LAN", "KX22070042")


@pytest.mark.parametrize("descr, model", [
    ("IPS-3110 Version 1.00.0P", "IPS-3110"), ("MSM765 - Hardware revision 2", "MSM765"),
    ("XG6846_4.12ITT01.99", "XG6846"), ("FNS-SFP-24", "FNS-SFP-24"),
    ("V100R011C00SPC200 agent", ""), ("R6.5.02r NFXS-E", ""), ("SNMP v2 agent", ""),
])
def test_a_sys_descr_that_opens_with_a_model_number_names_the_model(descr: str,
                                                                     model: str) -> None:
    assert identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr=descr)).model == model


@pytest.mark.parametrize("value", ["<private>", "FFFFFFFFFFFF", "0000000000", "To Be Filled By "
                                   "O.E.M.", "N/A", "xxxxxxxx"])
def test_placeholders_are_no_identity(value: str) -> None:
    assert usable(value) == ""


def test_the_generic_tables_load_and_every_scalar_is_numeric() -> None:
    rules = generic_rules()
    assert {"model", "serial", "version"} <= set(rules.scalars)
    assert all(rule.oid.replace(".", "").isdigit() for entries in rules.scalars.values()
               for _e, rule in entries)


# ---------------------------------------------------------------- profile keys

def test_a_profile_can_name_models_by_sys_object_id() -> None:
    rules = parse_snmp_section({"models": {"1.3.6.1.4.1.9.1.359": "WS-C2950T-24"}}, "x.yaml: snmp")
    assert rules.models == {"1.3.6.1.4.1.9.1.359": "WS-C2950T-24"}
    with pytest.raises(ProfileError, match="models"):
        parse_snmp_section({"models": {"not an oid": "X"}}, "x.yaml: snmp")
    with pytest.raises(ProfileError, match="unknown keys"):
        parse_snmp_section({"modles": {}}, "x.yaml: snmp")


# ---------------------------------------------------------------- a whole walk

def test_a_device_no_profile_knows_is_identified_from_its_walk() -> None:
    device, warnings = asyncio.run(collect(RecordedTransport(WALKS / "unknown_vendor.snmprec")))
    assert warnings == [] and device.platform == ""
    assert (device.vendor, device.model, device.serial, device.version) == \
        ("Kentix", "KMS-LAN", "KX-2207-0042", "7.2.4")


# ---------------------------------------------------------------- endpoints seen over LLDP

def test_an_endpoint_without_snmp_is_typed_and_named_from_a_switchs_lldp_table() -> None:
    device, _ = asyncio.run(collect(RecordedTransport(WALKS / "neighbours_lldp_med.snmprec")))
    seen = {n.local_port: identify_neighbor(n) for n in device.neighbors}
    phone, ap, switch = seen["1"], seen["2"], seen["3"]
    assert (phone.role, phone.vendor, phone.model, phone.serial, phone.version) == \
        ("phone", "Polycom", "VVX 450", "0004F2ABCDEF", "6.4.3.5018")
    assert (ap.role, ap.vendor, ap.model) == ("wireless", "Ubiquiti", "UAP-AC-Pro")
    assert (switch.role, switch.vendor) == ("switch", "HPE")


def test_a_cdp_neighbours_version_is_read_from_its_version_string() -> None:
    device, _ = asyncio.run(collect(RecordedTransport(WALKS / "neighbours_fdp.snmprec")))
    cisco = next(n for n in device.neighbors if n.remote_name.startswith("ws-c2960x"))
    assert identify_neighbor(cisco).version == "15.2(7)E4"


@pytest.mark.parametrize("raw, names", [
    (bytes([0x28, 0x00]), ["bridge", "router"]), (bytes([0x24]), ["bridge", "telephone"]),
    (b"39 2 3 4 7", ["bridge", "wlan-ap", "router", "station"]),  # as net-snmp prints BITS
    (b"00", []), (b"", []), (None, []),
])
def test_lldp_capabilities_raw_or_as_recorded_by_net_snmp(raw: bytes | None,
                                                          names: list[str]) -> None:
    assert decode_capabilities(raw) == names


def test_a_sys_object_id_sent_as_text_is_still_the_devices_identity(tmp_path: Path) -> None:
    walk = tmp_path / "pdu.snmprec"  # an agent that sends sysObjectID as an OCTET STRING
    walk.write_text("1.3.6.1.2.1.1.1.0|4|Metered PDU\n"
                    "1.3.6.1.2.1.1.2.0|4|.1.3.6.1.4.1.232.165.11\n")
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert (device.sys_object_id, device.vendor) == ("1.3.6.1.4.1.232.165.11", "HPE")


@pytest.mark.parametrize("descr, model", [
    ("Aruba 8325 1-slot Chassis", "Aruba 8325 1-slot"), ("Cisco C8500-20X6C Chassis",
                                                          "Cisco C8500-20X6C"),
    ("Chassis", ""), ("Linux chassis", ""),
    ("A very long description of a chassis with many words 12", ""),
])
def test_a_chassis_description_names_the_model_when_nothing_else_does(descr: str,
                                                                       model: str) -> None:
    assert chassis_description_model(descr) == model


def test_a_stack_without_serials_takes_them_from_its_members_base_board() -> None:
    stack = Chassis(descr="VCStack", name="x930 Stack")
    board = Chassis(descr="Base", name="AT-x930-28GSTX", serial="A04881A151300018")
    filled = fill_chassis(stack, board)
    assert filled.serial == "A04881A151300018"
    found = identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="hub", chassis=filled))
    assert (found.model, found.serial) == ("AT-x930-28GSTX", "A04881A151300018")
    kept = fill_chassis(Chassis(descr="Quidway S5300 Routing Switch"), board)
    assert kept.descr == "Quidway S5300 Routing Switch"


# ---------------------------------------------------------------- trimmed ENTITY-MIB tables

def test_without_entity_classes_the_root_of_the_containment_tree_stands_for_the_device() -> None:
    # rows 2.. are contained in 1, but row 1 has no ContainedIn value (the column was trimmed)
    rows = [EntityRow(2, contained_in=1), EntityRow(3, contained_in=1), EntityRow(5, contained_in=3)]
    assert chassis_candidates(rows)[0] == 1
    assert chassis_candidates([EntityRow(4, contained_in=0), EntityRow(2, contained_in=4)]) == [4, 2]


def _walk(tmp_path: Path, name: str, lines: list[str]) -> Path:
    walk = tmp_path / f"{name}.snmprec"
    walk.write_text("\n".join(["1.3.6.1.2.1.1.1.0|4|Optical shelf",
                               f"1.3.6.1.2.1.1.2.0|6|{NO_PROFILE_OID}", *lines]) + "\n")
    return walk


ENT = "1.3.6.1.2.1.47.1.1.1.1"


def test_a_walk_without_entity_classes_takes_the_serial_of_the_shelf_not_of_a_slot(
        tmp_path: Path) -> None:
    walk = _walk(tmp_path, "trimmed", [
        f"{ENT}.4.2|2|1", f"{ENT}.4.3|2|1", f"{ENT}.4.4|2|3",
        f"{ENT}.7.1|4|sh1", f"{ENT}.7.2|4|Generic Slot", f"{ENT}.7.3|4|PSU Slot",
        f"{ENT}.11.1|4|SHELF0000017", f"{ENT}.11.2|4|CARD00000042", f"{ENT}.11.4|4|PSU00000099",
    ])
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert device.serial == "SHELF0000017"


def test_a_serial_written_into_an_entity_description_is_found(tmp_path: Path) -> None:
    assert serial_in_descriptions([Chassis(descr="Serial Interface 0/1"),
                                   Chassis(descr="XR 20 backplane SN:AB12345678 Rev:R3L")]) == \
        "AB12345678"
    assert serial_in_descriptions([Chassis(descr="Serial Number: none"), Chassis()]) == ""
    walk = _walk(tmp_path, "described", [f"{ENT}.2.1|4|XR 20 chassis",
                                         f"{ENT}.2.2|4|XR 20 backplane SN:AB12345678 Rev:R3L"])
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert (device.model, device.serial) == ("XR 20", "AB12345678")


def test_a_part_and_its_number_is_no_model() -> None:
    assert chassis_description_model("Unit 1") == ""
    assert chassis_description_model("Port 3 Unit 1") == ""
    assert chassis_description_model("6500 7-Slot Shelf") == "6500 7-Slot Shelf"


def test_generic_agent_scalars_are_asked_only_of_devices_behind_a_generic_agent() -> None:
    nmu_serial = "1.3.6.1.4.1.40989.10.16.20.15.0"  # OAP-NMU::serialNumber in identify.yaml
    assert nmu_serial in scalar_oids(None, "1.3.6.1.4.1.8072.3.2.10")  # net-snmp
    assert nmu_serial not in scalar_oids(None, "1.3.6.1.4.1.2636.1.1.1.2.29")  # Juniper
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.8072.3.2.10", sys_descr="NMU",
                           scalars={nmu_serial: b"3021000000000001"}))
    assert found.serial == "3021000000000001"


# ---------------------------------------------------------------- vendor port tables

def test_ports_only_a_vendor_table_lists_are_interfaces_numbered_as_the_profile_says(
        tmp_path: Path) -> None:
    walk = tmp_path / "radio.snmprec"  # tachyon.yaml: wirelessPeersTable names, offset 1000
    walk.write_text("\n".join([
        "1.3.6.1.2.1.1.1.0|4|Linux radio", "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.57344.1",
        "1.3.6.1.2.1.2.2.1.1.1|2|1", "1.3.6.1.2.1.2.2.1.2.1|4|lo",
        "1.3.6.1.4.1.57344.1.2.6.1.20.1|4|link-north", "1.3.6.1.4.1.57344.1.2.6.1.20.2|4|link-south",
    ]) + "\n")
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert [(i.index, i.name) for i in device.interfaces] == \
        [(1, "lo"), (1001, "link-north"), (1002, "link-south")]


def test_a_vendor_table_indexed_by_slot_and_port_is_numbered_by_row(tmp_path: Path) -> None:
    walk = tmp_path / "sensor.snmprec"  # mcafee_mlos.yaml: slot.port rows, numbered from 0
    column = "1.3.6.1.4.1.8962.2.1.2.1.11.1.1.1"
    walk.write_text("\n".join([
        "1.3.6.1.2.1.1.1.0|4|Linux sensor", "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8962.2.1",
        f"{column}.2.1|4|G0/1", f"{column}.2.2|4|G0/2", f"{column}.3.1|4|G1/1",
        "1.3.6.1.4.1.8962.2.1.2.1.11.1.1.10.2.1|2|1",
    ]) + "\n")
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert [(i.index, i.name, i.oper_up) for i in device.interfaces] == \
        [(0, "G0/1", True), (1, "G0/2", False), (2, "G1/1", False)]


def test_an_if_mib_row_wins_over_a_vendor_row_of_the_same_index() -> None:
    table = PortTable(name="1.3.6.1.4.1.99999.1", number="index", offset=0)
    assert table.if_index((3,), 0) == 3 and table.if_index((1, 3), 0) is None
    assert PortTable(name="1.3.6.1.4.1.99999.1", number="rows", offset=1).if_index((7, 2), 4) == 5


def test_a_shelf_slot_port_index_is_packed_into_one_number_and_named_by_a_label() -> None:
    table = PortTable(name="1.3.6.1.4.1.99999.1", number="packed", label="100gbe-{1}/{2}/{4}")
    assert table.if_index((1, 1, 0, 3, 0), 0) == 1001000003000
    assert table.if_index((1, 1000), 0) is None  # a part that does not fit three digits
    assert table.port_name((1, 1, 0, 3, 0), "1") == "100gbe-1/1/3"
    assert PortTable(name="1.3.6.1.4.1.99999.1").port_name((4,), "eth4") == "eth4"


@pytest.mark.parametrize("ports, complaint", [
    ({"name": "1.3.6.1.4.1.1.1"}, "expected a list"),
    ([{"descr": "1.3.6.1.4.1.1.2"}], "expected {name:"),
    ([{"name": "1.3.6.1.4.1.1.1", "numbering": "rows"}], "unknown keys"),
    ([{"name": "1.3.6.1.4.1.1.1", "number": "slots"}], "number must be"),
    ([{"name": "1.3.6.1.4.1.1.1", "labels": "x-{1}"}], "unknown keys"),
    ([{"name": "ifName"}], "not a numeric OID"),
])
def test_a_broken_ports_section_names_what_is_wrong(ports: object, complaint: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(complaint)):
        parse_snmp_section({"ports": ports}, "x.yaml: snmp")


def test_a_walk_trimmed_to_the_model_column_still_names_the_chassis(tmp_path: Path) -> None:
    walk = _walk(tmp_path, "models", [f"{ENT}.13.8384513|4|NCS-5504",
                                      f"{ENT}.13.8384518|4|NCS-5504-FC"])
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert device.model == "NCS-5504"


def test_a_release_number_in_the_model_column_is_no_model() -> None:
    found = identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="hub",
                           chassis=Chassis(descr="Networks VX Chassis", model="4.4.2")))
    assert found.model == ""
    assert identify(Facts(sys_object_id=NO_PROFILE_OID, sys_descr="hub",
                          chassis=Chassis(model="7050"))).model == "7050"


def test_a_cluster_member_table_gives_the_serial_of_the_member_that_answers(
        tmp_path: Path) -> None:
    walk = tmp_path / "iap.snmprec"  # aruba_instant.yaml: aiAPSerialNum, row: own
    serial = "1.3.6.1.4.1.14823.2.3.3.1.2.1.1.4"
    walk.write_text("\n".join([
        "1.3.6.1.2.1.1.1.0|4|ArubaOS (MODEL: 225), Version 8.4.0.0-8.4.0.0",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.14823.1.2.59",
        "1.3.6.1.2.1.2.2.1.1.1|2|1", "1.3.6.1.2.1.2.2.1.2.1|4|eth0",
        "1.3.6.1.2.1.2.2.1.6.1|4x|020000000002",
        f"{serial}.2.0.0.0.0.1|4|FIRSTAP0001",     # another member of the cluster, listed first
        f"{serial}.2.0.0.0.0.2|4|THISAP00002",     # the AP whose interface MAC is 02:..:02
    ]) + "\n")
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert (device.platform, device.serial) == ("aruba_instant", "THISAP00002")


def test_row_own_is_for_columns_only() -> None:
    with pytest.raises(ProfileError, match="row: own"):
        parse_snmp_section({"get": {"serial": {"oid": "1.3.6.1.4.1.1.1.0", "row": "own"}}},
                           "x.yaml: snmp")
