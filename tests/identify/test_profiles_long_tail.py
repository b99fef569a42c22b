"""Identification of the long tail: UPSs, PDUs, printers, cameras, radios, appliances.

Each row is what a device of that family says about itself over SNMP (sysObjectID,
sysDescr and the vendor MIB scalars its profile reads), written by hand in the
shape these products use, and what netdoc must make of it. The values are made up
(serials, versions); the shapes are the families'.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from netdoc.discover.collectors.snmp import collect
from netdoc.discover.identify import Facts, identify, match_profile
from netdoc.discover.snmp.recorded import RecordedTransport
from netdoc.models import ROLES
from netdoc.platforms import load_profiles
from netdoc.discover.snmp.values import SnmpValue
from netdoc.discover.vendors import canonical_vendor


@dataclass(frozen=True)
class Case:
    platform: str
    oid: str
    descr: str
    vendor: str
    role: str
    model: str = ""
    version: str = ""
    serial: str = ""
    scalars: dict[str, str | int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.platform


CASES = [
    # ---------------------------------------------------------------- cameras, printers
    Case("axis_camera", "1.3.6.1.4.1.368.1.1",
         "; AXIS M3106-L Mk II; Network Camera; 9.80.3; Jan 12 2023 10:01; 7A1; 1;",
         "Axis", "camera", model="AXIS M3106-L Mk II", version="9.80.3"),
    Case("brother_printer", "1.3.6.1.4.1.2435.2.3.9.1",
         "Brother NC-8300w, Firmware Ver.1.05  (14.03.20),MID 8CE-F12,FID 2",
         "Brother", "printer", model="MFC-L2750DW", version="1.05", serial="E7Z123456",
         scalars={"1.3.6.1.4.1.2435.2.3.9.1.1.7.0":
                  "MFG:Brother;CMD:PJL,PCL,PCLXL;MDL:MFC-L2750DW series;CLS:PRINTER;",
                  "1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0": "E7Z123456"}),
    Case("canon_printer", "1.3.6.1.4.1.1602.4.8", "Canon iR-ADV C5535 /P",
         "Canon", "printer", model="iR-ADV C5535", version="72.03", serial="QXB01234",
         scalars={"1.3.6.1.4.1.1602.1.1.1.4.0": "72.03",
                  "1.3.6.1.2.1.43.5.1.1.17.1": "QXB01234"}),
    Case("konica_printer", "1.3.6.1.4.1.18334.1.1.1.2.1.181.2.4", "KONICA MINOLTA bizhub C360i",
         "Konica Minolta", "printer", model="bizhub C360i", version="G00-R3",
         scalars={"1.3.6.1.4.1.18334.1.1.1.1.6.1.0": "G00-R3"}),
    Case("kyocera_printer", "1.3.6.1.4.1.1347.41", "KYOCERA Document Solutions Printing System",
         "Kyocera", "printer", model="ECOSYS P3145dn", serial="VCF3Z01234",
         scalars={"1.3.6.1.4.1.1347.43.5.1.1.1.1": "ECOSYS P3145dn",
                  "1.3.6.1.4.1.1347.43.5.1.1.28.1": "VCF3Z01234"}),
    Case("xerox_printer", "1.3.6.1.4.1.253.8.62.1.35.2.3.1.1",
         "Xerox VersaLink C405; SS 72.61.11, NC 72.61.11, UI 72.61.11",
         "Xerox", "printer", model="VersaLink C405", version="72.61.11"),
    Case("sharp_printer", "1.3.6.1.4.1.2385.3.1.112.1.9", "SHARP MX-2651", "Sharp", "printer",
         model="SHARP MX-2651"),
    Case("oki_printer", "1.3.6.1.4.1.2001.1.1.1.1",
         "OKI OkiLAN 8450e Rev.01.12 10/100BASE Ethernet PrintServer: Attached to C532 "
         "Rev.A1.07 : Copyright (c) 2018 Oki Data Corporation.",
         "OKI", "printer", model="C532", version="A1.07"),
    # ---------------------------------------------------------------- UPS, PDU, power
    Case("apc_ups", "1.3.6.1.4.1.318.1.3.27",
         "APC Web/SNMP Management Card (MB:v4.2.1 PF:v7.0.6 PN:apc_hw06_aos_706.bin AF1:v7.0.6 "
         "AN1:apc_hw06_sumx_706.bin MN:AP9641 HR:06 SN: 5A2001X12345 MD:01/12/2020)",
         "APC", "ups", model="Smart-UPS 1500", version="v7.0.6", serial="AS2001123456",
         scalars={"1.3.6.1.4.1.318.1.1.1.1.1.1.0": "Smart-UPS 1500",
                  "1.3.6.1.4.1.318.1.1.1.1.2.3.0": "AS2001123456"}),
    Case("apc_ups", "1.3.6.1.4.1.318.1.3.4.5",
         "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.7.2 PN:apc_hw05_aos_672.bin AF1:v6.7.2 "
         "AN1:apc_hw05_rpdu2g_672.bin MN:AP8853 HR:02 SN: 5A1712E01234 MD:03/20/2017)",
         "APC", "ups", model="AP8853", version="v6.7.2", serial="5A1712E01234",
         scalars={"1.3.6.1.4.1.318.1.1.12.1.5.0": "AP8853",
                  "1.3.6.1.4.1.318.1.1.12.1.6.0": "5A1712E01234"}),
    Case("eaton_ups", "1.3.6.1.4.1.534.1", "Eaton 5PX 1500i RT2U", "Eaton", "ups",
         model="Eaton 5PX 1500i RT2U", version="01.14.0015", serial="G123K45678",
         scalars={"1.3.6.1.4.1.534.1.1.2.0": "Eaton 5PX 1500i RT2U",
                  "1.3.6.1.4.1.534.1.1.3.0": "01.14.0015", "1.3.6.1.4.1.534.1.1.6.0": "G123K45678"}),
    Case("eaton_pdu", "1.3.6.1.4.1.534.6.6.7", "Eaton ePDU MI 1P IN:C20 16A OUT:12xC13",
         "Eaton", "ups", model="EMIH28-10", version="04.00.0002", serial="H123P45678",
         scalars={"1.3.6.1.4.1.534.6.6.7.1.2.1.3.0": "EMIH28-10",
                  "1.3.6.1.4.1.534.6.6.7.1.2.1.5.0": "04.00.0002",
                  "1.3.6.1.4.1.534.6.6.7.1.2.1.4.0": "H123P45678"}),
    Case("cyberpower_ups", "1.3.6.1.4.1.3808.1.1.1", "Power Manager", "CyberPower", "ups",
         model="PR1500ERT2U", version="1.0.3", serial="QBE1234567",
         scalars={"1.3.6.1.4.1.3808.1.1.1.1.1.1.0": "PR1500ERT2U",
                  "1.3.6.1.4.1.3808.1.1.1.1.2.1.0": "1.0.3",
                  "1.3.6.1.4.1.3808.1.1.1.1.2.3.0": "QBE1234567"}),
    Case("raritan_pdu", "1.3.6.1.4.1.13742.6",
         "Raritan PDU, MD:PX3-1493-E5 HW:0x12 FW:3.6.10.5-47925", "Raritan", "ups",
         model="PX3-1493-E5", version="3.6.10.5-47925"),
    Case("servertech_sentry", "1.3.6.1.4.1.1718.4", "Sentry Smart PDU", "Server Technology", "ups",
         model="C2W24XC-DCPC2A1", version="Version 8.0k", serial="ADGV0012345",
         scalars={"1.3.6.1.4.1.1718.4.1.2.2.1.5.1": "C2W24XC-DCPC2A1",
                  "1.3.6.1.4.1.1718.4.1.1.1.3.0": "Version 8.0k",
                  "1.3.6.1.4.1.1718.4.1.2.2.1.6.1": "ADGV0012345"}),
    Case("panduit_pdu", "1.3.6.1.4.1.19536.10.1",
         "SN:PDU Metered PN:Device Model:P24E10M Rating:200-240V, 32A", "Panduit", "ups",
         model="P24E10M"),
    Case("hpe_pdu", "1.3.6.1.4.1.232.165.7", "Assy 4.9kVA 200-240V 24A WW maPDU", "HPE", "ups",
         model="H5M58A", scalars={"1.3.6.1.4.1.232.165.1.2.2.0": "H5M58A"}),
    Case("tripplite_poweralert", "1.3.6.1.4.1.850.1", "PowerAlert v15.5.2", "Tripp Lite", "ups",
         version="15.5.2"),
    Case("socomec_ups", "1.3.6.1.4.1.4555.1.1.7", "NetVision-7", "Socomec", "ups",
         model="MASTERYS BC", version="7.12", serial="2B12345678",
         scalars={"1.3.6.1.4.1.4555.1.1.7.1.1.1.0": "MASTERYS BC",
                  "1.3.6.1.4.1.4555.1.1.7.1.1.5.0": "Net Vision 7 v7.12",
                  "1.3.6.1.4.1.4555.1.1.7.1.1.2.0": "2B12345678"}),
    Case("eltek_enexus", "1.3.6.1.4.1.12148.10", "ELTEK Power System", "Eltek", "ups",
         model="Smartpack2 Master", version="2.9.3",
         scalars={"1.3.6.1.4.1.12148.10.13.8.2.1.2.1": "Smartpack2 Master",
                  "1.3.6.1.4.1.12148.10.13.8.2.1.8.1": "2.9.3"}),
    # ---------------------------------------------------------------- network, wireless
    Case("moxa_etherdevice", "1.3.6.1.4.1.8691.7.85", "EDS-510E-3GTXSFP", "Moxa", "switch",
         model="EDS-510E-3GTXSFP"),
    Case("teltonika_rutos", "1.3.6.1.4.1.8072.3.2.10",
         "Linux Teltonika-RUTX11.com 5.4.147 #0 Tue Oct 3 08:30:21 2023 armv7l", "Teltonika",
         "router", model="RUTX11", version="RUTX_R_00.07.05", serial="1100012345",
         scalars={"1.3.6.1.4.1.48690.1.2.0": "RUTX11",
                  "1.3.6.1.4.1.48690.1.6.0": "RUTX_R_00.07.05",
                  "1.3.6.1.4.1.48690.1.1.0": "1100012345"}),
    Case("aerohive_hiveos", "1.3.6.1.4.1.26928.1", "AP230, HiveOS 10.0r8 build-236132",
         "Aerohive", "wireless", model="AP230", version="10.0r8 build-236132"),
    Case("cambium_pmp", "1.3.6.1.4.1.161.19.250.256", "CANOPY 20.0.1 SM", "Cambium", "wireless",
         model="PMP 450i", version="20.0.1",
         scalars={"1.3.6.1.4.1.161.19.3.3.1.266.0": "PMP 450i"}),
    Case("mimosa", "1.3.6.1.4.1.43356.1.1.3", "Mimosa C5x Firmware v2.8.0", "Mimosa", "wireless",
         model="C5x", version="2.8.0", scalars={"1.3.6.1.4.1.43356.2.1.2.1.3.0": "2.8.0"}),
    Case("siklu_etherhaul", "1.3.6.1.4.1.31926", "EH-8010FX", "Siklu", "wireless",
         model="EH-8010FX"),
    Case("ruckus_smartzone", "1.3.6.1.4.1.25053.3.1.11.1", "SmartZone", "Ruckus", "wireless",
         model="SZ104", version="3.6.2.0.78",
         scalars={"1.3.6.1.4.1.25053.1.8.1.1.1.1.1.1.3": "SZ104",
                  "1.3.6.1.4.1.25053.1.8.1.1.1.1.1.1.9": "3.6.2.0.78"}),
    Case("ruckus_zonedirector", "1.3.6.1.4.1.25053.3.1.5.15", "Ruckus Wireless ZD1200",
         "Ruckus", "wireless", model="ZD1200", version="10.1.2.0 build 275",
         scalars={"1.3.6.1.4.1.25053.1.2.1.1.1.1.18.0": "10.1.2.0 build 275"}),
    Case("lancom_lcos", "1.3.6.1.4.1.2356.11.8.203",
         "LANCOM 1793VA 10.50.0123RU3 / 12.05.2022 4005678901234567", "LANCOM", "router",
         model="LANCOM 1793VA", version="10.50.0123RU3 / 12.05.2022", serial="4005678901234567"),
    Case("nokia_sros", "1.3.6.1.4.1.6527.1.3.17",
         "TiMOS-C-20.10.R7 cpm/hops64 Nokia 7750 SR Copyright (c) 2000-2021 Nokia.",
         "Nokia", "router", model="7750 SR", version="20.10.R7"),
    Case("ipinfusion_ocnos", "1.3.6.1.4.1.36673.100.1.2.1.1.2",
         "Hardware Model:EC_AS5835-54X, Software version: OcNOS,6.4.1.72", "IP Infusion",
         "switch", model="EC_AS5835-54X", version="6.4.1.72"),
    Case("extreme_netiron", "1.3.6.1.4.1.1991.1.3.44.3.2",
         "Brocade NetIron MLX (System Mode: MLX), IronWare Version V5.9.0eT163 Compiled on "
         "Nov 1 2019 labeled as V5.9.00e", "Extreme Networks", "router", version="5.9.0eT163"),
    Case("qtech_qsw", "1.3.6.1.4.1.27514.1.1.1.230",
         "QSW-2850-28T-AC Device, Compiled Mar 01 10:00:00 2019\n SoftWare Version 7.2.3.1\n "
         "BootRom Version 7.2.1\n HardWare Version 1.0\n Device serial number 0003012345678901",
         "QTECH", "switch", model="QSW-2850-28T-AC", version="7.2.3.1",
         serial="0003012345678901"),
    Case("firebrick", "1.3.6.1.4.1.24693.1.2700",
         "FB2700 FB2700 Test+ (V1.60.002 2023-02-01T10:00:00)", "FireBrick", "router",
         model="FB2700", version="V1.60.002"),
    Case("hirschmann", "1.3.6.1.4.1.248.14.10.41", "Hirschmann Railswitch", "Hirschmann",
         "switch", model="RS20-0800M2M2SDAE", version="09.0.08",
         scalars={"1.3.6.1.4.1.248.14.2.16.1.4.0": "RS20-0800M2M2SDAE",
                  "1.3.6.1.4.1.248.14.2.16.1.6.0": "09.0.08"}),
    # ---------------------------------------------------------------- servers, appliances
    Case("dell_idrac", "1.3.6.1.4.1.674.10892.5", "", "Dell", "server",
         model="PowerEdge R750", version="6.10.30.00", serial="ABC1234",
         scalars={"1.3.6.1.4.1.674.10892.5.1.3.12.0": "PowerEdge R750",
                  "1.3.6.1.4.1.674.10892.5.1.1.8.0": "6.10.30.00",
                  "1.3.6.1.4.1.674.10892.5.1.3.2.0": "ABC1234"}),
    Case("vmware_esxi", "1.3.6.1.4.1.6876.4.1", "VMware ESXi 8.0.2 build-22380479 VMware, Inc. "
         "x86_64", "VMware", "server", version="8.0.2"),
    Case("f5_bigip", "1.3.6.1.4.1.3375.2.1.3.4.43",
         "BIG-IP Virtual Edition : Linux 3.10.0-1160.el7.ve.x86_64 : BIG-IP software release "
         "16.1.3, build 0.0.12", "F5", "router", model="BIG-IP Virtual Edition", version="16.1.3"),
    Case("truenas", "1.3.6.1.4.1.50536.3.1",
         "TrueNAS-13.0-U5.3 (b1b3f6b2a1). Hardware: amd64 Intel(R) Xeon(R) CPU E3-1230 v6 @ "
         "3.50GHz running at 3500. Software: FreeBSD 13.1-RELEASE-p7", "iXsystems", "server",
         model="amd64 Intel(R) Xeon(R) CPU E3-1230 v6 @ 3.50GHz running at 3500",
         version="13.0-U5.3"),
    Case("hpe_ilo", "1.3.6.1.4.1.232.9.4.11", "Integrated Lights-Out 5 2.72 Sep 04 2022", "HPE",
         "server", model="ProLiant DL360 Gen10", version="2.72", serial="CZJ1234ABC",
         scalars={"1.3.6.1.4.1.232.2.2.4.2.0": "ProLiant DL360 Gen10",
                  "1.3.6.1.4.1.232.2.2.2.1.0": "CZJ1234ABC"}),
    Case("infoblox_nios", "1.3.6.1.4.1.7779.1.1404",
         "Linux 4.19.128 #1 SMP Tue Mar 1 10:00:00 EST 2022 x86_64", "Infoblox", "server",
         model="IB-1425", version="9.0.1", serial="1234567890123456",
         scalars={"1.3.6.1.4.1.7779.3.1.1.2.1.4.0": "IB-1425",
                  "1.3.6.1.4.1.7779.3.1.1.2.1.7.0": "9.0.1",
                  "1.3.6.1.4.1.7779.3.1.1.2.1.6.0": "1234567890123456"}),
    Case("dahua_nvr", "1.3.6.1.4.1.1004849.3.2.10", "DH-NVR5216-16P-4KS2E", "Dahua", "camera",
         model="DH-NVR5216-16P-4KS2E"),
    Case("peplink", "1.3.6.1.4.1.23695", "Peplink Balance 310X", "Peplink", "router",
         model="Balance 310X", version="8.3.0 build 5234",
         scalars={"1.3.6.1.4.1.23695.200.1.1.1.1.1.0": "Balance 310X",
                  "1.3.6.1.4.1.23695.200.1.1.1.1.3.0": "8.3.0 build 5234"}),
    Case("mikrotik_swos", "1.3.6.1.4.1.14988.2", "CSS326-24G-2S+ SwOS v2.13", "MikroTik",
         "switch", model="CSS326-24G-2S+", version="2.13"),
    Case("siemens_scalance", "1.3.6.1.4.1.4329.6.1.2.1.2",
         "Siemens, SIMATIC NET, SCALANCE XC208, 6GK5 208-0BA00-2AC2, HW: Version 2, FW: Version "
         "V04.03.01, SVPL1234567", "Siemens", "switch", model="XC208", version="V04.03.01"),
    Case("westermo_weos", "1.3.6.1.4.1.16177",
         "Westermo Lynx, primary: v4.31.1, backup: v4.30.0, bootloader: v2021.04", "Westermo",
         "switch", version="4.31.1"),
    Case("zte_zxr10", "1.3.6.1.4.1.3902.3.100.20",
         "ZXR10 ROS Version V4.08.23 ZXR10_5952E Software, Version ZXR10 5900E V2.8.23.C.02, "
         "Copyright (c) 2000-2013 by ZTE Corporation", "ZTE", "switch", model="5952E",
         version="V2.8.23.C.02"),
    Case("fortinet_fortiauthenticator", "1.3.6.1.4.1.12356.113.100.200", "FortiAuthenticator",
         "Fortinet", "server", model="FAC-300F", version="v6.5.3-build1337",
         serial="FAC3HF0000000001",
         scalars={"1.3.6.1.4.1.12356.113.1.1.0": "FAC-300F",
                  "1.3.6.1.4.1.12356.113.1.3.0": "v6.5.3-build1337",
                  "1.3.6.1.4.1.12356.113.1.2.0": "FAC3HF0000000001"}),
    Case("juniper_mss", "1.3.6.1.4.1.14525.3.3.1", "Juniper Networks, Inc WLC2800 9.6.2.5 REL",
         "Juniper", "wireless", model="WLC2800", version="9.6.2.5"),
    # Linux-based appliances: their own enterprise OID beats the generic net-snmp Linux profile
    Case("fireeye", "1.3.6.1.4.1.25597.1",
         "Linux nx01 4.19.71 #1 SMP PREEMPT Fri Jun 10 12:11:13 PDT 2022 x86_64", "FireEye",
         "firewall", model="FireEyeNX2500", version="9.1.5",
         scalars={"1.3.6.1.4.1.25597.11.1.1.2.0": "FireEyeNX2500",
                  "1.3.6.1.4.1.25597.11.5.1.2.0": "9.1.5"}),
    Case("silverpeak_vxoa", "1.3.6.1.4.1.23867.1.2.40",
         "Silver Peak Systems, Inc. EC-S\r\nLinux sdwan01 4.9.0 #1 VXOA 9.1.4.2_90112 SMP",
         "Silver Peak", "router", model="EC-S", version="9.1.4.2_90112",
         scalars={"1.3.6.1.4.1.23867.3.1.1.1.2.0": "EC-S"}),
    Case("docsis_cm", "1.3.6.1.4.1.4115.1.3.4",
         "ARRIS DOCSIS 3.0 Touchstone Cable Modem <<HW_REV: 2; VENDOR: ARRIS Group, Inc.; "
         "BOOTR: 1.2.1.62; SW_REV: 9.1.103AA72; MODEL: CM820A>>", "ARRIS", "router",
         model="CM820A", version="9.1.103AA72"),
    Case("keenetic", "1.3.6.1.4.1", "Keenetic Giga (KeeneticOS 4.1.7): KN-1011", "Keenetic",
         "router", model="KN-1011", version="4.1.7"),
    Case("lexmark_printer", "1.3.6.1.4.1.641.2.1.2.1.139.1",
         "Lexmark CX725 version CXTPC.230.037 kernel 4.11.12-yocto-standard All-N-1", "Lexmark",
         "printer", model="CX725", version="CXTPC.230.037"),
    Case("ricoh_printer", "1.3.6.1.4.1.367.1.1",
         "RICOH IM C4500 1.11 / RICOH Network Printer C model / RICOH Network Scanner C model",
         "Ricoh", "printer", model="IM C4500", version="1.11"),
    # Proxmox VE: its kernel build string names it; it is no plain Linux host
    Case("proxmox_ve", "1.3.6.1.4.1.8072.3.2.10",
         "Linux pve01 6.8.12-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-2 x86_64", "Proxmox",
         "server", version="6.8.12-2-pve", model="Generic x86 64-bit"),  # machine class
    Case("opengear", "1.3.6.1.4.1.25049.1.11",
         "Opengear CM7148-2-DAC, Linux 5.17.0-ac0 armv7l, OpenGear/CM71xx Version 5.2.4 "
         "0a1b2c3d -- Mon Jan 15 10:00:00 UTC 2024", "Opengear", "server",
         model="CM7148-2-DAC", version="5.2.4"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_long_tail_device_is_identified(case: Case) -> None:
    scalars: dict[str, SnmpValue] = {oid: value.encode() if isinstance(value, str) else value
                                     for oid, value in case.scalars.items()}
    found = identify(Facts(sys_object_id=case.oid, sys_descr=case.descr, scalars=scalars))
    assert found.platform == case.platform
    assert canonical_vendor(found.vendor) == canonical_vendor(case.vendor)
    assert found.role == case.role
    assert (found.model, found.version, found.serial) == (case.model, case.version, case.serial)


def test_every_profile_loads_with_a_known_role_and_a_vendor_or_generic_priority() -> None:
    profiles = load_profiles()
    assert len(profiles) >= 150
    for profile in profiles.values():
        assert profile.role in ROLES, f"{profile.name}: role {profile.role!r}"
        for _pattern, role in profile.roles:
            assert role in ROLES, f"{profile.name}: roles -> {role!r}"
        assert profile.vendor or "vendor" in profile.extract or profile.match.priority <= 5, \
            profile.name


@pytest.mark.parametrize("oid, descr, not_platform", [
    # HPE's G2 PDUs run Panduit-built firmware and say "PN:Device Model:" too
    ("1.3.6.1.4.1.232.165.11", "Outlet Metered SN:P9Q42A PN:Device Model:208V, 24A, 8.6kVA",
     "panduit_pdu"),
    # DCN's OEMs (SNR, QTECH ...) keep DCN's "<model> Device, Compiled" sysDescr
    ("1.3.6.1.4.1.40418.7.60", "SNR-S2985G-24T Device, Compiled Mar 15 09:12:44 2021",
     "dcn_dcnos"),
    # a Cisco IOS-XE Catalyst 9300 is not a Meraki-managed one
    ("1.3.6.1.4.1.9.1.2494", "Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software "
     "(CAT9K_IOSXE), Version 17.3.4", "cisco_meraki"),
    # ATEN's own PDUs share enterprise 21317 with the Supermicro BMCs built on ATEN firmware
    ("1.3.6.1.4.1.21317", "Aten PE8216", "supermicro_bmc"),
    # ZyNOS's model shapes (ES-/GS-/MES-...) are also Edgecore's, Eltex's and Comtrol's
    ("1.3.6.1.4.1.259.10.1.22.101", "ES3528MV2", "zyxel_zynos"),
    ("1.3.6.1.4.1.35265.1.43", "MES2124M AC 28-port 1G Managed Switch", "zyxel_zynos"),
    ("1.3.6.1.4.1.35265.1.282", "MES5332A rev.C 32-Port 10G SFP+ Managed Switch",
     "zyxel_zynos"),
    ("1.3.6.1.4.1.2882.2.1.1", "ES8510 Industrial Managed Ethernet Switch", "zyxel_zynos"),
    # the MGE Galaxy line went to APC/Schneider, MGE's small UPSs (same 705.1) to Eaton
    ("1.3.6.1.4.1.705.1", "Eaton 5P 2200", "apc_mge_galaxy"),
    ("1.3.6.1.4.1.705.1.2", "Pulsar M", "apc_mge_galaxy"),
    # LigoWave borrows AirOS's sysObjectID: an AirOS radio is no LigoWave Infinity
    ("1.3.6.1.4.1.10002.1", "Linux 2.6.32.68 #1 Tue Jan 15 2019 mips", "ligowave_infinity"),
    # Dell W-series mobility controllers are ArubaOS, not PowerConnect switches
    ("1.3.6.1.4.1.674.10895.5030", "ArubaOS (MODEL: Dell PowerConnect W-3600), Version 6.2.1.3",
     "dell_powerconnect"),
    # every Dell sysObjectID starts with the PowerVault arrays' bare 674
    ("1.3.6.1.4.1.674.10895.3040", "PowerConnect 6248, 3.3.9.1, VxWorks 6.5", "dell_powervault"),
    # a console server whose host name starts with "TS-" is not a QNAP TS-series NAS
    ("1.3.6.1.4.1.25049.1.61", "Linux TS-ROOM4 4.4.0-uc0 #1 Tue Mar 2 2021 armv5tel", "qnap_nas"),
    # a plain Linux server is not a Teltonika router
    ("1.3.6.1.4.1.8072.3.2.10", "Linux web01 5.15.0-91-generic #101-Ubuntu SMP x86_64",
     "teltonika_rutos"),
])
def test_family_rules_do_not_claim_other_families(oid: str, descr: str, not_platform: str) -> None:
    profile = match_profile(oid, descr)
    assert profile is None or profile.name != not_platform


def test_ios_xr_names_the_chassis_product_not_the_platform_family(tmp_path: Path) -> None:
    walk = tmp_path / "xr.snmprec"  # the chassis row's entPhysicalModelName, then sysDescr
    walk.write_text("\n".join([
        "1.3.6.1.2.1.1.1.0|4|Cisco IOS XR Software (NCS-5500), Version 7.3.2",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.2571",
        "1.3.6.1.2.1.47.1.1.1.1.5.8384513|2|3", "1.3.6.1.2.1.47.1.1.1.1.4.8384513|2|0",
        "1.3.6.1.2.1.47.1.1.1.1.13.8384513|4|NCS-5504",
    ]) + "\n")
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert (device.platform, device.model, device.version) == ("cisco_xr", "NCS-5504", "7.3.2")


def test_d_link_reads_its_running_firmware_from_the_first_port_description(
        tmp_path: Path) -> None:
    walk = tmp_path / "dlink.snmprec"
    walk.write_text("\n".join([
        "1.3.6.1.2.1.1.1.0|4|DGS-3000-28X Gigabit Ethernet Switch",
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.171.10.133.1",
        "1.3.6.1.2.1.2.2.1.1.1|2|1",
        "1.3.6.1.2.1.2.2.1.2.1|4|D-Link DGS-3000-28X R4.04.B005 Port 1",
    ]) + "\n")
    device, _ = asyncio.run(collect(RecordedTransport(walk)))
    assert (device.platform, device.version) == ("dlink", "4.04.B005")
