"""Masking fails safe: the generic layer finds secrets on every platform, and only secrets.

The generic layer (netdoc.backup.secrets.GENERIC_RULES / GENERIC_BLOCKS) runs under each
platform's own rules. These tables are its specification: each MUST_MASK line names
the value(s) that must disappear behind a placeholder; each MUST_KEEP line must come
out unchanged. The syntaxes are those devices print (Cisco IOS/NX-OS/ASA/WLC, Arista,
Junos, FortiOS, AOS-CX, Comware/VRP, RouterOS, VyOS, pfSense/OPNsense XML, JSON APIs,
wireless controllers), written for these tests.
"""
from __future__ import annotations

import re

import pytest

from netdoc.backup.secrets import GENERIC_RULES, mask_secrets, placeholder
from netdoc.platforms import BackupRecipe, profile_named

KEY = b"m" * 32
NO_RULES = BackupRecipe()  # a platform without secret rules: only the generic layer
MASK = re.compile(r"<masked:[0-9a-f]{10}>")

# (line, the secret values in it)
MUST_MASK: list[tuple[str, list[str]]] = [
    # keywords, Cisco style with encryption types
    ("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", ["$1$mERr$hx5rVt7rPNoS4wqbXKX7m0"]),
    ("enable password 7 0822455D0A16", ["0822455D0A16"]),
    (" password 0 Lin3-Passw0rd", ["Lin3-Passw0rd"]),
    ("username root secret 5 password", ["password"]),  # a typed value is a secret, always
    ("username admin privilege 15 secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM",
     ["$9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM"]),
    ("username netops password 0 N3tOps!", ["N3tOps!"]),
    (" key 7 045802150C2E1D1C5A", ["045802150C2E1D1C5A"]),
    (" tacacs-server host 192.0.2.5 key 7 0822455D0A16", ["0822455D0A16"]),
    ("crypto isakmp key Isakmp-PSK-1 address 198.51.100.1", ["Isakmp-PSK-1"]),
    (" client 192.0.2.10 server-key Rad1usK3y", ["Rad1usK3y"]),
    ("  key-string 7 104D000A0618", ["104D000A0618"]),
    (" ip ospf message-digest-key 1 md5 7 0822455D0A16", ["0822455D0A16"]),
    ("ntp authentication-key 1 md5 NtpK3y 7", ["NtpK3y"]),
    ("key config-key password-encrypt MasterK3y!", ["MasterK3y!"]),
    ("ppp chap password 0 Chap-S3cret", ["Chap-S3cret"]),
    (" key \"quoted key\"", ["quoted key"]),
    # Arista, AOS-CX, Comware, VRP
    ("username admin privilege 15 role network-admin secret sha512 $6$s4lt$hashhashhash",
     ["$6$s4lt$hashhashhash"]),
    ("user admin group administrators password ciphertext AQBapZ0wXyZ", ["AQBapZ0wXyZ"]),
    (" password hash $h$6$abcdefgh$ijklmnop", ["$h$6$abcdefgh$ijklmnop"]),
    ("local-user admin password irreversible-cipher $c$3$abcdef", ["$c$3$abcdef"]),
    ("snmp-agent community read cipher %^%#q1w2 e3r4%^%#", ["%^%#q1w2 e3r4%^%#"]),
    (" radius-server shared-key cipher %$%$Zm9vYmFy%$%$", ["%$%$Zm9vYmFy%$%$"]),
    # SNMP communities and trap hosts (IOS, EOS, NX-OS, AOS-CX, ASA, ProCurve, VOSS, Comware)
    ("snmp-server community Publ1cComm RO", ["Publ1cComm"]),
    ("snmp-server community publiccom ro", ["publiccom"]),
    ("snmp-server host 192.0.2.31 trap version v2c community trapcomm", ["trapcomm"]),
    ("snmp-server host 192.0.2.4 version 2c string456", ["string456"]),
    ("snmp-server host 192.0.2.3 version 1 string123", ["string123"]),
    ("snmp-server host 192.0.2.33 vrf Mgmt-vrf informs version 2c TrapVrfComm tty vtp",
     ["TrapVrfComm"]),
    ("snmp-server host 192.0.2.9 traps version 2c NxTrapComm udp-port 162", ["NxTrapComm"]),
    ("snmp-server host 192.0.2.9 OldStyleComm", ["OldStyleComm"]),
    ("snmp-server host inside 192.0.2.1 community AsaTrapComm version 2c", ["AsaTrapComm"]),
    ("snmp-server host 192.0.2.50 community \"ProCurveComm\" trap-level all", ["ProCurveComm"]),
    ("snmp-server host 192.0.2.50 v2c \"VossComm\" inform", ["VossComm"]),
    ("snmp-agent target-host trap address udp-domain 192.0.2.9 params securityname TrapName v2c",
     ["TrapName"]),
    ("set service snmp trap-target 192.0.2.10 community 'vyosTrap'", ["vyosTrap"]),
    ("set service snmp community snmppublic authorization 'ro'", ["snmppublic"]),
    ("set snmp community JunosComm authorization read-only", ["JunosComm"]),
    ("    community JunosComm2 {", ["JunosComm2"]),
    # SNMPv3 keys
    ("snmp-server user u1 g1 v3 auth sha AuthPass1 priv aes 128 PrivPass1",
     ["AuthPass1", "PrivPass1"]),
    ("snmpv3 user u1 auth sha auth-pass ciphertext AQBauth priv aes priv-pass ciphertext AQBpriv",
     ["AQBauth", "AQBpriv"]),
    ("snmp-agent usm-user v3 u1 g1 cipher authentication-mode sha CmwAuth privacy-mode aes128 "
     "CmwPriv", ["CmwAuth", "CmwPriv"]),
    ("snmp-server user nms nms v3 priv aes256-c auth sha256 7 77fea4aabdfafba68e490caacf31b257 "
     "efa1f375d76194fa51a3556a97e641e6", ["77fea4aabdfafba68e490caacf31b257",
                                          "efa1f375d76194fa51a3556a97e641e6"]),
    ("snmp-server community 7 114f45314d581e RO ACL_SNMP", ["114f45314d581e"]),
    # FortiOS / FortiManager: anything ENC <blob>
    ("    set password ENC SH2nlSm9QL9tapcHPXIqAXvX3Nr3lS8xs4lY=", ["SH2nlSm9QL9tapcHPXIqAXvX3Nr3lS8xs4lY="]),
    ("    set psksecret ENC q3cQUV9Y5zFX8PSKblob", ["q3cQUV9Y5zFX8PSKblob"]),
    ("        set secondary-key ENC AAAABBBBCCCCDDDD", ["AAAABBBBCCCCDDDD"]),
    ("        set auth-pwd ENC Zm9vYmFyYmF6", ["Zm9vYmFyYmF6"]),
    ("        set some-new-field ENC NewBlob123==", ["NewBlob123=="]),
    # Junos
    ("        encrypted-password \"$6$Jd7q$9mVbqX1hF3k\"; ## SECRET-DATA", ["$6$Jd7q$9mVbqX1hF3k"]),
    ("    pre-shared-key ascii-text \"$9$FAKEHASHdata\"; ## SECRET-DATA", ["$9$FAKEHASHdata"]),
    ("    authentication-key \"$9$abcDEF\";", ["$9$abcDEF"]),
    ("set security ike policy P pre-shared-key ascii-text \"$9$xyz123\"", ["$9$xyz123"]),
    # credentials inside URLs: anywhere, quoted, in comments
    ("        \"pasvftp://backup:Ftp-Pw0rd@192.0.2.20/archive/\";", ["Ftp-Pw0rd"]),
    ("# some URL with password: http://user:UrlPass99@host.example/", ["UrlPass99"]),
    ("archive path scp://netops:ScpPw1@192.0.2.30/cfg", ["ScpPw1"]),
    ("set system syslog url 'https://:TokenOnly@logs.example/'", ["TokenOnly"]),
    # wireless PSKs and 802.1X
    (" security wpa psk set-key ascii 0 WlanPsk-2024", ["WlanPsk-2024"]),
    ("config wlan security wpa akm psk set-key ascii AireOsPsk1 1", ["AireOsPsk1"]),
    ("dot1x username supplicant1 password 0 Dot1xPw!", ["Dot1xPw!"]),
    ("mgmtuser username admin password 0 MgmtPw1 secret 0 MgmtSecret1", ["MgmtPw1", "MgmtSecret1"]),
    # a cleartext (type 0) value is the rest of the line, spaces and all (Catalyst 9800)
    (" security wpa psk set-key ascii 0 Wlan Psk With Spaces", ["Wlan Psk With Spaces"]),
    (" dot1x username supplicant password 0 Two Words", ["Two Words"]),
    (" mgmtuser username ap password 0 Mgmt Pw secret 0 Mgmt Secret", ["Mgmt Pw", "Mgmt Secret"]),
    ("wpa-passphrase HostapdPass", ["HostapdPass"]),
    ("      Passphrase = UnleashedPsk", ["UnleashedPsk"]),
    ("set interface wireless security-profiles wpa2-pre-shared-key=RosPsk123", ["RosPsk123"]),
    ("add authentication-types=wpa2-psk,wpa3-psk .passphrase=WifiWave2Pw", ["WifiWave2Pw"]),
    # key=value and quoted values (RouterOS, VyOS, ini files)
    ("add name=vpn1 password=\"two words\" secret=Xyz123 comment=keep",
     ["\"two words\"", "Xyz123"]),
    ("set interfaces wireguard wg0 private-key 'WgPrivKey='", ["WgPrivKey="]),
    ("set interfaces wireguard wg0 peer p1 preshared-key 'WgPsk='", ["WgPsk="]),
    ("set vpn ipsec authentication psk peer1 secret 'IpsecPsk'", ["IpsecPsk"]),
    ("set protocols bgp neighbor 192.0.2.1 password 'BgpMd5'", ["BgpMd5"]),
    ("set high-availability vrrp group G authentication password 'VrrpPw'", ["VrrpPw"]),
    # XML and JSON
    ("\t\t<password>$2y$10$YRVoF4Sgsk</password>", ["$2y$10$YRVoF4Sgsk"]),
    ("\t\t<bcrypt-hash>$2y$11$R998XWJW</bcrypt-hash>", ["$2y$11$R998XWJW"]),
    ("    <rocommunity>XmlComm</rocommunity>", ["XmlComm"]),
    ("      <ldap_bindpw>BindPw</ldap_bindpw>", ["BindPw"]),
    ("      <apikey>ApiKeyValue</apikey>", ["ApiKeyValue"]),
    ("\"password\": \"JsonPw\",", ["JsonPw"]),
    ("{\"radiusSecret\": \"JsonRadius\", \"name\": \"x\"}", ["JsonRadius"]),
    # ArubaOS controllers
    ("masterip 192.0.2.1 ipsec MasterIpsec", ["MasterIpsec"]),
    ("mgmt-user admin root 3b2a9f0c1d", ["3b2a9f0c1d"]),
    # ASA
    ("enable password $sha512$5000$AbCd== pbkdf2", ["$sha512$5000$AbCd=="]),
    # encodings and layouts of other vendors, found without their profile's rules
    ("configure snmp add trapreceiver 192.0.2.50 community encrypted \"#$ZXhvcy10cjRw\" vr V",
     ["#$ZXhvcy10cjRw"]),
    ("users passwd \"admin\" encrypted 7e1a5bd2a2c1f0e99b6f", ["7e1a5bd2a2c1f0e99b6f"]),
    ("radius server key auth 198.51.100.10 encrypted 5d41402abc4b", ["5d41402abc4b"]),
    ("ntp authentication-key 1 Ntp-V0ss-K3y", ["Ntp-V0ss-K3y"]),
    ("snmp-server user nms group \"g\" sha Auth-V3-K3y aes Priv-V3-K3y",
     ["Auth-V3-K3y", "Priv-V3-K3y"]),
    ("snmp-server user \"nms\" remote \"n\" smode v3 cmode SHA authPwd Sh4Auth emode AES128 "
     "privPwd Pr1vP4ss", ["Sh4Auth", "Pr1vP4ss"]),
    ("user.account.0.password={sha256}5e884898da28047151d0", ["{sha256}5e884898da28047151d0"]),
    ("tunnel.ipsec.1.auth.psk.psk={enc2}SVBTRUNQU0tB", ["{enc2}SVBTRUNQU0tB"]),
    ("mgmt.authkey=0a1b2c3d4e5f6071", ["0a1b2c3d4e5f6071"]),
    ("key authentication cipher $c$3$Lm3x8Q0cV7b2Nz==", ["$c$3$Lm3x8Q0cV7b2Nz=="]),
    ("admin-password 2 $4$Zx9Qv3kL$Mn2bV4cX6z", ["$4$Zx9Qv3kL$Mn2bV4cX6z"]),
    ("password manager user-name \"manager\" sha1 \"0c2b2ae4f1a8e9a1b7d3c5e8\"",
     ["0c2b2ae4f1a8e9a1b7d3c5e8"]),
    ("set ike gateway \"gw\" address 198.51.100.7 Main preshare \"9xKqW2mFNrP4t\"",
     ["9xKqW2mFNrP4t"]),
    ("snmp host 198.51.100.40 enable version 2c \"Ng4rTr4p\"", ["Ng4rTr4p"]),
    ("snmp-server host 198.51.100.40 162 Tpl1nkTr4p smode v2c", ["Tpl1nkTr4p"]),
    ("snmptrap \"Qu4ntaTr4p\" ipaddr 198.51.100.40 snmpversion snmpv2", ["Qu4ntaTr4p"]),
    ("snmp-server get-community Zyx3lR0", ["Zyx3lR0"]),
    ("snmp-server trap-community Zyx3lTr4p", ["Zyx3lTr4p"]),
    ("snmp-community-string pAn-r3ad;", ["pAn-r3ad"]),
    ("key -AQ==n0Tr3alK3yQmFzZTY0;", ["-AQ==n0Tr3alK3yQmFzZTY0"]),
    ("tacacs-server key 2 $VGFjNGNzLVNoNHJlZA==", ["$VGFjNGNzLVNoNHJlZA=="]),
    ("RO Community= Ruck4sR0", ["Ruck4sR0"]),
    ("config account admin encrypt sha_1 *@&Zx9Qv3kLm2Np8Rt5Wy7", ["*@&Zx9Qv3kLm2Np8Rt5Wy7"]),
    ("create snmp host 198.51.100.40 v2c Dl1nkTr4p", ["Dl1nkTr4p"]),
    ("Shared Secret= Ruck4s R4dius S3cret", ["Ruck4s R4dius S3cret"]),
    (" ikev2 remote-authentication pre-shared-key IkePsk", ["IkePsk"]),
]

MUST_KEEP: list[str] = [
    # BGP communities and community lists
    "set community 65000:100 additive",
    " set community 65000:100 65000:200",
    "ip community-list standard BLOCK permit 65000:666",
    " neighbor 192.0.2.1 send-community both",
    " match community BLOCK",
    "set policy-options community BLOCK members 65000:666",
    "set policy-options policy-statement X then community add BLOCK",
    "        community delete ALL;",
    # key chains, key numbers, key generation, public keys
    "key chain OSPF-KEYS",
    " key 1",
    "crypto key generate rsa modulus 2048",
    "crypto key zeroize rsa",
    "ip ssh pubkey-chain",
    "  key-hash ssh-rsa 0123456789ABCDEF0123456789ABCDEF",
    "configure ntp key 1 trusted",
    "configure ntp server add 192.0.2.123 key 1 vr VR-Default",
    "set interfaces wireguard wg0 peer p1 public-key 'b7wPxXWRxgB5uzfXa75B6EvhAa2K4w='",
    "<authorizedkeys>c3NoLXJzYSBBQUFB</authorizedkeys>",
    # syntax, not values
    "snmp-server enable traps",
    "snmp-server host 192.0.2.1 use-vrf management",
    "password encryption aes",
    "service password-encryption",
    "password password-history 3",
    "aaa authentication login default group tacacs+ local",
    "set security-level auth-priv",
    "radius server host auth 198.51.100.10 name \"nps1\"",
    "set auth default auth server \"Local\"",
    " port trunk allow-pass vlan 10 99",
    "ssd file passphrase control unrestricted",
    "configure ports 1 display-string \"desk-101\"",
    " authentication-mode scheme",
    " tcp-options md5 clear",
    "set ospf interface eth2 authtype cryptographic key 1 algorithm md5",
    "<passwordauth>1</passwordauth>",
    "radius-server host 192.0.2.1 key ****",
    "set system login user vyos authentication plaintext-password ''",
    "encrypted tacacs-server host 192.0.2.60",
    "create snmp user nms-v3 nms-v3 encrypted by_password",
    "configure snmpv3 add user encrypted \"#$bm1zLXYz\"",
    "set ntp server key-id 1 preshare-key",
    # prose and removals
    " description reset the password of the admin account",
    "banner motd Use your own password, never the shared secret",
    "no snmp-server community public",
    "delete snmp community private",
    "unset key protection enable",
]


@pytest.mark.parametrize("line,secrets", MUST_MASK, ids=[m[0][:60] for m in MUST_MASK])
def test_generic_layer_masks_the_secret(line: str, secrets: list[str]) -> None:
    masked = mask_secrets(line, NO_RULES, KEY)
    for secret in secrets:
        assert secret not in masked, f"{secret!r} left in {masked!r}"
        assert placeholder(secret, KEY) in masked or placeholder(
            secret.strip('"'), KEY) in masked, masked
    # the rest of the line is untouched: removing the placeholders gives the line's skeleton
    skeleton = line
    for secret in secrets:
        skeleton = skeleton.replace(secret, "")
    assert MASK.sub("", masked).replace('""', "") == skeleton.replace('""', "")


@pytest.mark.parametrize("line", MUST_KEEP)
def test_generic_layer_leaves_non_secrets_alone(line: str) -> None:
    assert mask_secrets(line, NO_RULES, KEY) == line


@pytest.mark.parametrize("platform", ["cisco_ios", "juniper_junos", "fortinet_fortigate",
                                      "mikrotik_routeros", "vyos", "pfsense"])
def test_generic_layer_runs_under_every_platforms_rules(platform: str) -> None:
    profile = profile_named(platform)
    assert profile is not None and profile.backup is not None
    line = "some-vendor-line password 0 Planted-Secret-42 trailing"
    assert "Planted-Secret-42" not in mask_secrets(line, profile.backup, KEY)


def test_the_platforms_own_rule_wins_where_both_find_a_secret() -> None:
    recipe = BackupRecipe(secrets=(re.compile(r"shared-secret \d+,(?P<secret>\S+)"),))
    masked = mask_secrets("shared-secret 1,Sw1tchS3cret", recipe, KEY)
    assert masked == f"shared-secret 1,{placeholder('Sw1tchS3cret', KEY)}"


def test_a_platform_finding_is_carried_on_to_the_end_of_a_longer_value() -> None:
    recipe = BackupRecipe(secrets=(re.compile(r"^ *password (?:\d+ )?(?P<secret>\S+)"),))
    masked = mask_secrets(" password 0 two words", recipe, KEY)
    assert masked == f" password 0 {placeholder('two words', KEY)}"


def test_a_changed_secret_changes_its_placeholder_and_only_that() -> None:
    before = mask_secrets("snmp-server host 192.0.2.4 version 2c OldComm", NO_RULES, KEY)
    after = mask_secrets("snmp-server host 192.0.2.4 version 2c NewComm", NO_RULES, KEY)
    assert before != after
    assert before.rsplit(" ", 1)[0] == after.rsplit(" ", 1)[0]
    again = mask_secrets("snmp-server host 192.0.2.4 version 2c OldComm", NO_RULES, KEY)
    assert again == before


@pytest.mark.parametrize("begin,end", [
    ("-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----"),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "-----END ENCRYPTED PRIVATE KEY-----"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "-----END OPENSSH PRIVATE KEY-----"),
    ("    set private-key \"-----BEGIN ENCRYPTED PRIVATE KEY-----",
     "-----END ENCRYPTED PRIVATE KEY-----\""),
    ("    set certificate \"-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----\""),
    (" certificate self-signed 01", "  \tquit"),
    (" certificate ca 3B0F2A", "  quit"),
])
def test_key_and_certificate_blocks_become_one_placeholder(begin: str, end: str) -> None:
    body = ["  3082022B 30820194 A0030201 02020101", "  300D0609 2A864886 F70D0101 05050030"]
    text = "\n".join(["before", begin, *body, end, "after"])
    masked = mask_secrets(text, NO_RULES, KEY).split("\n")
    assert masked == ["before", begin, "  " + placeholder("\n".join(body), KEY), end, "after"]


def test_a_block_without_its_end_is_left_to_the_line_rules() -> None:
    text = "-----BEGIN CERTIFICATE-----\nMIIBIjAN\nend of output"
    assert mask_secrets(text, NO_RULES, KEY) == text


def test_every_generic_rule_has_a_secret_group() -> None:
    for rule in GENERIC_RULES:
        assert "secret" in rule.pattern.groupindex, rule.name
