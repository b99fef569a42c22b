"""Identification from sysObjectID/sysDescr (and vendor scalars) with the platform profiles.

One row per platform netdoc promises to recognise: what the device says about
itself, and what netdoc must make of it.
"""
from __future__ import annotations

import pytest

from netdoc.discover.identify import Chassis, Facts, decode_capabilities, identify, snmp_rules
from netdoc.platforms import load_profiles

CASES = [
    # (sysObjectID, sysDescr, platform, vendor, os, version, role)
    ("1.3.6.1.4.1.9.1.1208", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), "
     "Version 15.2(7)E4, RELEASE SOFTWARE (fc2)", "cisco_ios", "Cisco", "IOS", "15.2(7)E4", "switch"),
    ("1.3.6.1.4.1.9.1.1041", "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), "
     "Version 15.7(3)M5, RELEASE SOFTWARE (fc1)", "cisco_ios", "Cisco", "IOS", "15.7(3)M5", "router"),
    ("1.3.6.1.4.1.9.1.2494", "Cisco IOS Software [Bengaluru], Catalyst L3 Switch Software "
     "(CAT9K_LITE_IOSXE), Version 17.6.4, RELEASE SOFTWARE (fc1)", "cisco_xe", "Cisco", "IOS-XE",
     "17.6.4", "switch"),
    ("1.3.6.1.4.1.9.1.1116", "Cisco IOS Software, ASR1000 Software (PPC_LINUX_IOSD-ADVENTERPRISEK9-M),"
     " Version 15.5(3)S1a, RELEASE SOFTWARE (fc1)", "cisco_xe", "Cisco", "IOS-XE", "15.5(3)S1a",
     "router"),
    ("1.3.6.1.4.1.9.12.3.1.3.1084", "Cisco NX-OS(tm) n5000, Software (n5000-uk9), Version "
     "7.3(8)N1(1), RELEASE SOFTWARE", "cisco_nxos", "Cisco", "NX-OS", "7.3(8)N1(1)", "switch"),
    ("1.3.6.1.4.1.9.1.2315", "Cisco Adaptive Security Appliance Version 9.16(4)", "cisco_asa",
     "Cisco", "ASA", "9.16(4)", "firewall"),
    ("1.3.6.1.4.1.9.6.1.95.10.5", "SG350-10 10-Port Gigabit Managed Switch", "cisco_sb", "Cisco",
     "Cisco SB", "", "switch"),
    ("1.3.6.1.4.1.30065.1.3011.7050.3741.48", "Arista Networks EOS version 4.28.3M running on an "
     "Arista Networks DCS-7050SX3-48YC8", "arista_eos", "Arista", "EOS", "4.28.3M", "switch"),
    ("1.3.6.1.4.1.2636.1.1.1.2.133", "Juniper Networks, Inc. srx300 internet router, kernel JUNOS "
     "21.2R3-S2.9, Build date: 2022-06-01", "juniper_junos", "Juniper", "Junos", "21.2R3-S2.9",
     "firewall"),
    ("1.3.6.1.4.1.11.2.3.7.11.181.6", "Aruba JL255A 2930F-24G-4SFP+ Switch, revision WC.16.10.0012, "
     "ROM WC.16.01.0008 (/ws/swbuildm/rel_ukiah_qaoff/code/build/bom(swbuildm_rel_ukiah_qaoff_rel_"
     "ukiah))", "hp_procurve", "HPE", "ProCurve", "WC.16.10.0012", "switch"),
    ("1.3.6.1.4.1.47196.4.1.1.1.100", "Aruba R8N87A 6000 24G CL4 4SFP Swch PL.10.10.1020",
     "aruba_aoscx", "HPE Aruba", "AOS-CX", "PL.10.10.1020", "switch"),
    ("1.3.6.1.4.1.25506.11.1.239", "H3C Comware Platform Software, Software Version 7.1.070, "
     "Release 6126P20\r\nH3C S5130S-28S-EI", "hp_comware", "H3C", "Comware",
     "7.1.070, Release 6126P20", "switch"),
    ("1.3.6.1.4.1.14988.1", "RouterOS CCR2004-16G-2S+", "mikrotik_routeros", "MikroTik",
     "RouterOS", "", "router"),
    ("1.3.6.1.4.1.12356.101.1.10004", "", "fortinet_fortigate", "Fortinet", "FortiOS", "",
     "firewall"),
    ("1.3.6.1.4.1.25461.2.3.18", "Palo Alto Networks PA-440 series firewall", "paloalto_panos",
     "Palo Alto Networks", "PAN-OS", "", "firewall"),
    ("1.3.6.1.4.1.12325.1.1.2.1.1", "pfSense fw.example.net 2.7.2-RELEASE FreeBSD 14.0-CURRENT "
     "amd64", "pfsense", "Netgate", "pfSense", "2.7.2-RELEASE", "firewall"),
    ("1.3.6.1.4.1.8072.3.2.8", "OPNsense.localdomain 24.7.6 FreeBSD 14.1-RELEASE-p5 amd64",
     "opnsense", "Deciso", "OPNsense", "24.7.6", "firewall"),
    ("1.3.6.1.4.1.41112.1.5", "EdgeOS v2.0.9-hotfix.7.5622731.230615.0857", "ubiquiti_edgeos",
     "Ubiquiti", "EdgeOS", "2.0.9", "router"),
    ("1.3.6.1.4.1.4413", "EdgeSwitch 24-Port 250W, 1.9.3.5252324, Linux 3.6.5-f4a26ed5",
     "ubiquiti_edgeswitch", "Ubiquiti", "EdgeSwitch", "1.9.3.5252324", "switch"),
    ("1.3.6.1.4.1.41112.1.6", "Linux 4.4.153 #1 SMP Thu Mar 4 2021 aarch64", "ubiquiti_unifi",
     "Ubiquiti", "UniFi", "", "wireless"),
    ("1.3.6.1.4.1.2011.2.23.291", "S5720-56C-PWR-EI-AC\r\nHuawei Versatile Routing Platform "
     "Software\r\nVRP (R) software,Version 5.170 (S5720 V200R019C10SPC500)", "huawei_vrp",
     "Huawei", "VRP", "5.170 V200R019C10SPC500", "switch"),
    ("1.3.6.1.4.1.674.11000.5000.100.2.1.7", "Dell EMC Networking OS10 Enterprise.\r\nCopyright "
     "(c) 1999-2022 by Dell Inc.\r\nOS Version: 10.5.4.0.\r\nSystem Type: S5248F-ON",
     "dell_os10", "Dell", "OS10", "10.5.4.0", "switch"),
    ("1.3.6.1.4.1.674.10895.3044", "Dell Networking N1548P, 6.6.3.10, Linux 3.6.5",
     "dell_os6", "Dell", "OS6", "6.6.3.10", "switch"),
    ("1.3.6.1.4.1.11863.5.1", "JetStream 24-Port Gigabit L2+ Managed Switch with 4 SFP Slots",
     "tplink_jetstream", "TP-Link", "JetStream", "", "switch"),
    ("1.3.6.1.4.1.4526.100.4.39", "GS724Tv4 ProSafe 24-port Gigabit Ethernet Smart Switch, "
     "6.3.1.16, B1.0.0.4", "netgear", "Netgear", "ProSAFE", "6.3.1.16", "switch"),
    ("1.3.6.1.4.1.8072.3.2.10", "VyOS 1.4.3", "vyos", "VyOS", "VyOS", "1.4.3", "router"),
    ("1.3.6.1.4.1.8072.3.2.10", "Linux web01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian "
     "6.1.76-1 x86_64", "linux", "Linux", "Linux", "6.1.0-18-amd64", "server"),
    ("1.3.6.1.4.1.311.1.1.3.1.2", "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT "
     "COMPATIBLE - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)", "windows",
     "Microsoft", "Windows", "6.3", "server"),
    ("1.3.6.1.4.1.311.1.1.3.1.1", "Hardware: Intel64 Family 6 - Software: Windows Version 6.3 "
     "(Build 19045 Multiprocessor Free)", "windows_workstation", "Microsoft", "Windows", "6.3",
     "endpoint"),
    ("1.3.6.1.4.1.11.2.3.9.1", "HP ETHERNET MULTI-ENVIRONMENT,SN:VNB3K12345,FN:1K91CXP,"
     "SVCID:27123,PID:HP LaserJet MFP M428fdw", "hp_printer", "HPE", "JetDirect", "1K91CXP",
     "printer"),
    ("1.3.6.1.4.1.2435.2.3.9.1", "Brother NC-8300h, Firmware Ver.1.08  (20.08.19),MID 8C5-J06",
     "brother_printer", "Brother", "Brother firmware", "1.08", "printer"),
    ("1.3.6.1.4.1.318.1.3.27", "APC Web/SNMP Management Card (MB:v4.3.3 PF:v2.2.0.3 PN:apc_hw21_"
     "aos_2.2.0.3.bin AF1:v2.2.0.3 AN1:apc_hw21_su_2.2.0.3.bin MN:AP9641 HR:06 SN: 5A2027E12345 "
     "MD:07/02/2020)", "apc_ups", "APC", "AOS", "v2.2.0.3", "ups"),
    ("1.3.6.1.4.1.534.1", "Eaton 5PX 1500", "eaton_ups", "Eaton", "Eaton NMC", "", "ups"),
]


@pytest.mark.parametrize("oid, descr, platform, vendor, os, version, role", CASES,
                         ids=[c[2] + "-" + c[0].rsplit(".", 1)[-1] for c in CASES])
def test_platform_is_recognised(oid: str, descr: str, platform: str, vendor: str, os: str,
                                version: str, role: str) -> None:
    found = identify(Facts(sys_object_id=oid, sys_descr=descr))
    assert (found.platform, found.vendor, found.os, found.version, found.role) == \
        (platform, vendor, os, version, role)


def test_every_promised_platform_has_a_profile_and_a_case() -> None:
    covered = {case[2] for case in CASES} | {"cisco_ios"}
    assert covered <= set(load_profiles())
    assert len(covered) >= 30


def test_vendor_scalars_beat_sysdescr_and_entity_mib() -> None:
    facts = Facts(sys_object_id="1.3.6.1.4.1.2636.1.1.1.2.132",
                  sys_descr="Juniper Networks, Inc. ex2300-24p Ethernet Switch, kernel JUNOS 20.4R3",
                  chassis=Chassis(model="EX2300-24P-ENTITY", serial="ENTITY-SERIAL"),
                  scalars={"1.3.6.1.4.1.2636.3.1.2.0": b"Juniper EX2300-24P Switch",
                           "1.3.6.1.4.1.2636.3.1.3.0": b"JW3619AB1234"})
    found = identify(facts)
    assert (found.model, found.serial) == ("EX2300-24P", "JW3619AB1234")


def test_entity_mib_fills_what_the_profile_does_not_say() -> None:
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.9.1.1208",
                           sys_descr="Cisco IOS Software, C2960X Software, Version 15.2(7)E4,",
                           chassis=Chassis(model="WS-C2960X-48FPD-L", serial="FOC1234X5YZ")))
    assert (found.model, found.serial) == ("WS-C2960X-48FPD-L", "FOC1234X5YZ")


def test_placeholder_values_do_not_count_as_identity() -> None:
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.30065.1", sys_descr="Arista Networks EOS "
                           "version 4.28.3M running on an Arista Networks DCS-7050SX3-48YC8",
                           chassis=Chassis(serial="<private>")))
    assert found.serial == ""


def test_unknown_device_falls_back_to_lldp_capabilities_for_its_role() -> None:
    found = identify(Facts(sys_object_id="1.3.6.1.4.1.99999.1", sys_descr="Acme Widget 3000",
                           lldp_capabilities=decode_capabilities(bytes([0x24, 0x00]))))
    assert found.platform == "" and found.vendor == ""
    assert found.role == "phone"  # bridge + telephone: a phone, which bridges its PC port


def test_cisco_profiles_ask_for_per_vlan_bridge_tables_others_do_not() -> None:
    assert snmp_rules("cisco_ios").fdb_per_vlan and snmp_rules("cisco_xe").fdb_per_vlan
    assert not snmp_rules("arista_eos").fdb_per_vlan


def test_every_profile_names_a_real_netmiko_driver_or_none() -> None:
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    for profile in load_profiles().values():
        snmp_rules(profile.name)  # parses
        assert profile.netmiko == "" or profile.netmiko in CLASS_MAPPER, profile.name
