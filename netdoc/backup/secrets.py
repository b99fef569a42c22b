"""Masking secrets in stored configurations.

Each secret the platform's profile points at (the regex group named `secret`)
is replaced by `<masked:XXXXXXXXXX>`, a short HMAC of the secret under a key that
belongs to the client. So:
  - the stored file never reveals the secret (not even a reversible type-7 one);
  - the same secret gives the same placeholder run after run (no false changes);
  - a changed secret gives a different placeholder: `git diff` shows that the
    SNMP community changed, without saying to what;
  - two clients' placeholders cannot be correlated (different keys).
The key lives in the client's state folder (never in a git repository), 0600.
Private keys and other multi-line secrets (`secret_blocks`) are masked as one.

Two layers, so masking fails safe:
  1. the platform's own `secrets:` / `secret_blocks:` rules (netdoc/platforms/*.yaml);
  2. under them, for EVERY platform, the generic rules below (GENERIC_RULES,
     GENERIC_BLOCKS): the value after password/secret/key/psk/passphrase/community/
     auth/priv/ENC/hash keywords in the common syntaxes (`password 7 X`, `key "x"`,
     `community 'x'`, `name=X`, `<password>x</password>`, `"password": "x"`), the
     community of SNMP trap hosts, SNMPv3 keys, crypt hashes, credentials inside URLs,
     PEM private keys and certificates, Cisco certificate hex blocks.
A value the generic layer finds is masked unless it is plainly not a secret: a word
that is part of the syntax (`key chain NAME`, `crypto key generate`, `password
encryption aes`), a BGP community (`set community 65000:100`), a public key, a key
number (`key 1`), a value the device itself printed as `*****`, or prose after
`description`/`remark`.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets as pysecrets
from dataclasses import dataclass
from pathlib import Path

from netdoc.errors import StoreError
from netdoc.fsutil import atomic_write
from netdoc.platforms import BackupRecipe

PLACEHOLDER = "<masked:{}>"
KEY_FILE = "mask.key"


def load_mask_key(state_dir: Path) -> bytes:
    """The client's masking key, created (0600) on first use."""
    path = state_dir / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot read the secret-masking key {path}: {exc.strerror}") from None
    key = pysecrets.token_bytes(32)
    atomic_write(path, key, mode=0o600)
    os.chmod(path, 0o600)
    return key


def placeholder(secret: str, key: bytes) -> str:
    digest = hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
    return PLACEHOLDER.format(digest[:10])


def mask_secrets(text: str, recipe: BackupRecipe, key: bytes) -> str:
    """`text` with every secret the platform rules or the generic rules find masked."""
    lines = _mask_blocks(text.split("\n"), recipe, key)
    sections = _section_rules(lines, recipe)
    return "\n".join(_mask_line(line, recipe, key, sections[index])
                     for index, line in enumerate(lines))


def _section_rules(lines: list[str], recipe: BackupRecipe) -> list[tuple[re.Pattern[str], ...]]:
    """Per line, the extra rules of the `secret_sections` it lies in: a section runs from a
    line matching `begin` to the next line matching `end` that is indented as that begin
    line (FortiOS names an SNMP community `set name` inside `config system snmp community`)."""
    rules: list[tuple[re.Pattern[str], ...]] = [() for _ in lines]
    for begin, end, patterns in recipe.secret_sections:
        index = 0
        while index < len(lines):
            if not begin.search(lines[index]):
                index += 1
                continue
            indent = len(lines[index]) - len(lines[index].lstrip())
            index += 1
            while index < len(lines) and not (
                    end.search(lines[index])
                    and len(lines[index]) - len(lines[index].lstrip()) == indent):
                rules[index] += patterns
                index += 1
    return rules


def _mask_line(line: str, recipe: BackupRecipe, key: bytes,
               section_rules: tuple[re.Pattern[str], ...] = ()) -> str:
    spans: list[tuple[int, int]] = []
    for pattern in (*recipe.secrets, *section_rules):  # the platform's rules: trusted
        spans += [m.span("secret") for m in pattern.finditer(line)
                  if m.group("secret")]
    # the generic layer fills in where the platform's rules found nothing, and carries a
    # platform finding on to the end of a longer value (`password 0 two words`)
    for start, end in _merged(secret_spans(line)):
        overlapping = [i for i, (s, e) in enumerate(spans) if s < end and start < e]
        if not overlapping:
            spans.append((start, end))
        for i in overlapping:
            spans[i] = (spans[i][0], max(spans[i][1], end))
    for start, end in reversed(_merged(spans)):  # right to left keeps spans valid
        value = line[start:end]
        if value and "<masked:" not in value:
            line = line[:start] + placeholder(value, key) + line[end:]
    return line


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping findings of several rules become one secret (their union)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def secret_spans(line: str) -> list[tuple[int, int]]:
    """Where the generic rules see secrets in one line: (start, end) of each value."""
    prose = _PROSE.search(line) or _REMOVAL.match(line)
    spans: list[tuple[int, int]] = []
    for rule in GENERIC_RULES:
        if rule.when is not None and not rule.when.search(line):
            continue
        for match in rule.pattern.finditer(line):
            start, end = match.span("secret")
            if start < 0 or start == end:
                continue
            if rule.prose_sensitive and prose is not None and prose.start() < start:
                continue
            typed = "type" in rule.pattern.groupindex and bool(match.group("type"))
            if not _is_secret_value(match.group("secret"), rule, typed):
                continue
            spans.append((start, end))
    return spans


def _is_secret_value(value: str, rule: "SecretRule", typed: bool = False) -> bool:
    word = value.strip("\"'").lower()
    if not word or word.startswith("<masked:") or set(word) <= {"*"}:
        return False  # empty, already masked, or hidden by the device itself
    # after an encryption type (`secret 5 password`) the value is a secret, whatever it says
    if rule.checked and not typed and (word in _NOT_SECRETS or _NOT_SECRET_VALUE.fullmatch(word)):
        return False
    if rule.name == "community" and _BGP_COMMUNITY.fullmatch(word):
        return False
    if rule.checked and not typed and _NEXT_KEYWORD.fullmatch(value.strip("\"'")):
        return False  # the next keyword (`cmode SHA authPwd X`), not a value
    return True


def _mask_blocks(lines: list[str], recipe: BackupRecipe, key: bytes) -> list[str]:
    out: list[str] = []
    blocks = (*recipe.secret_blocks, *GENERIC_BLOCKS)
    index = 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        block = next((b for b in blocks if b[0].search(line)), None)
        if block is None or block[1].search(line):
            continue
        body: list[str] = []
        while index < len(lines) and not block[1].search(lines[index]):
            body.append(lines[index])
            index += 1
        if index >= len(lines):  # no end: not a block after all, leave it to line rules
            out.extend(body)
            continue
        indent = re.match(r"\s*", body[0]).group(0) if body else ""  # type: ignore[union-attr]
        out.append(indent + placeholder("\n".join(body), key))
    return out


# ------------------------------------------------------------------ the generic layer

@dataclass(frozen=True)
class SecretRule:
    """One generic pattern: the regex group named `secret` is the value to mask."""

    name: str
    pattern: re.Pattern[str]
    checked: bool = True          # drop values that are syntax words, key numbers, ...
    prose_sensitive: bool = True  # not after `description`/`remark` on the same line
    when: re.Pattern[str] | None = None  # only on lines this regex finds


# Words that say how the value that follows is written (`password 7 X`, `key ciphertext
# X`, `set password ENC X`, `pre-shared-key ascii-text "X"`): skipped to reach the value.
# Of the digits only Cisco's encryption types (0 4 5 6 7 8 9): `key 1 vr` is a key number.
_TYPE = (r"(?:(?:[0456789]|cipher|simple|plain|plaintext|plain-text|clear|cleartext|hash|"
         r"encrypted|ciphertext|unencrypted|irreversible-cipher|ascii|ascii-text|hex|"
         r"hexadecimal|sha512|sha256|scrypt|ENC|level \d+)\s+)*")
# The value: "quoted", 'quoted' (the quotes stay) or one word.
_VALUE = r"""(?P<quote>["'])?(?P<secret>(?(quote)[^"'\n]++|[^\s"';{}<]++))(?(quote)(?P=quote))"""
# Keywords whose next value is a secret: the word alone or as the last part of a
# hyphenated word (authentication-key, wpa-passphrase, ldap-login-password, set-key);
# pwd/pw only hyphenated (auth-pwd, radius-common-pw).
_KEYWORD = (r"(?<![\w.-])(?!(?:ssh-)?public-|pub-|host-|send-|no-)"
            r"(?!psk\s+\S+\s+(?:secret|id|local-id|remote-id)\b)"  # VyOS: psk NAME secret X
            r"(?:(?:[a-z0-9]+-)*(?:password|passwd|passphrase|passcode|secret|psksecret|psk|"
            r"key|key-string|md5|password-encrypt|preshare|community-string)|"
            r"(?:[a-z0-9]+-)+(?:pwd|pw))(?![\w-])")
# camelCase keywords of web-style CLIs and APIs: authPwd, privPwd, radiusSecret, preSharedKey
_CAMEL_KEYWORD = (r"(?<![\w-])[a-z][a-z0-9]*(?:Pwd|Pw|Password|Passwd|Passphrase|Secret|Key|"
                  r"Psk|Community)(?![\w-])")

_GENERIC = [
    # password 0 X / secret 5 $1$.. / key 7 X / key "x" / set psksecret ENC X /
    # authentication-key X / md5 X / wpa-passphrase X / psk set-key ascii 0 X
    ("keyword", _KEYWORD + r"(?=(?:\s+=)?\s+(?P<type>" + _TYPE + ")" + _VALUE
     # `users passwd "admin" encrypted X`: the first value names a user, X is the secret
     + r"(?!\s+(?:encrypted|cipher|hash|sha1|md5)\s+\S))", True, True),
    ("camelCase keyword", _CAMEL_KEYWORD + r"(?=(?:\s+=)?\s+(?P<type>" + _TYPE + ")" + _VALUE
     + ")", True, True),
    # `users passwd "admin" encrypted X`, `radius server key auth H encrypted X`,
    # ExtremeXOS `community encrypted "#$..."`: what follows `encrypted` is a secret
    ("encrypted value", r"(?<=\S\s)(?<!user )encrypt(?:ed)?\s+(?:md5\s+\d+\s+|sha_?1\s+)?\"?"
     r"(?P<secret>[^\s\"]{6,})", True, True),
    # NTP/OSPF key numbers: `ntp authentication-key 1 KEY` (the key number, then the key)
    ("numbered key", r"(?<![\w-])(?:authentication-key|trusted-key|key-id)\s+\d+\s+"
     r"(?!(?:md5|sha\S*|hmac\S*|cmac\S*|trusted|vr|vrf)\b)\"?(?P<secret>[^\s\"]+)", True, True),
    # a hash algorithm then a long hex digest: `sha1 "0c2b..."` (ProCurve), `md5 HEX`
    ("hex digest", r"(?<![\w-])(?:md5|sha\d*)\s+(?:\d\s+)?\"?(?P<secret>[0-9A-Fa-f]{16,})\"?",
     False, True),
    # ExtremeXOS `"#$..."` and Brocade/Ruckus `$...` base64 encodings of secrets
    ("dollar base64", r"(?<![\w$\\#])(?P<secret>\$[A-Za-z0-9+/]{8,}={0,2})(?![\w$/+=])",
     False, False),
    # "Name= value" screens (Ruckus Unleashed, web-style show output): the rest of the line
    ("display field", r"(?i)(?<![\w-])(?:community|pass ?phrase|privacy phrase|shared secret|"
     r"secret|password|psk|key)\s*=\s+(?P<secret>\S.*?)\s*$", True, True),
    # a cleartext (type 0) value runs to the end of the line or the next keyword: Cisco
    # takes the rest of the line (`set-key ascii 0 two words`, `password 0 MGMT PASSW0RD`)
    ("cleartext line", r"(?<![\w-])(?:password|secret|set-key (?:ascii|hex))\s+0\s+"
     r"(?P<secret>[^\s\"'].*?)(?=\s+(?:password|secret)\s+\d\s|\s*$)", True, True),
    # name=X, password="a b" (RouterOS, ini files, URLs' query strings)
    ("key=value", r"(?<![\w-])(?![a-z0-9_.-]*pub)[a-z0-9_.-]*?(?:password|passwd|"
     r"passphrase|secret|psk|key|pre-shared-key|community|pwd|pass|token)="
     r"(?P<secret>\"(?:[^\"\\]|\\.)*\"|[^\s\"]+)", True, True),
    # snmp-server community X / community 'x' / trap version v2c community X /
    # Junos `community public {`; never BGP communities (set/match community 65000:1,
    # community-list, send-community, Junos `community NAME members ...`)
    ("community", r"(?<![\w-])(?<!set )(?<!match )(?<!from )(?<!then )(?<!add )"
     r"(?<!delete )(?<!bgp )(?:(?:get|set|trap|ro|rw|read|write)-)?community(?![\w-])(?=\s+(?:(?:read|write|ro|rw|read-only|"
     r"read-write|view \S+|string|name|community-name)\s+)?(?:(?:cipher|simple|plain|\d)\s+)?"
     + _VALUE + r"(?!\s+members\b))", True, True),
    # snmp-server host H [vrf V] [traps|informs] [version 1|2c|3 auth|noauth|priv] COMMUNITY
    ("snmp trap host", r"^\s*(?:create\s+)?snmp(?:-server)? host \S+(?:\s+\d{2,5})?(?:\s+enable)?"
     r"(?:\s+vrf \S+)?(?:\s+(?:traps|informs))?"
     r"(?:\s+(?:version\s+)?(?:1|2c|3|v1|v2c|v3)(?:\s+(?:auth|noauth|priv))?)?\s+\"?"
     r"(?!(?:vrf|version|traps|informs|community|use-vrf|filter-vrf|source-interface|"
     r"udp-port|port|trap|inform|poll|trap-level)\b)(?![0-9.]+\s|[0-9.]+$)"
     r"(?![0-9a-f]*:[0-9a-f:]*(?:\s|$))(?P<secret>[^\s\"]+)", True, False),
    # snmptrap "COMMUNITY" ipaddr H (FASTPATH, EdgeSwitch, Quanta)
    ("snmptrap", r"^\s*snmptrap\s+\"?(?P<secret>[^\"\s]+)", True, False),
    # snmp-agent target-host ... params securityname X (Comware, VRP)
    ("snmp securityname", r"\bsecurityname\s+(?:(?:cipher|simple)\s+)?(?P<secret>\S+)",
     True, False),
    # SNMPv3 keys: auth sha X priv aes 128 Y, authentication-mode sha X privacy-mode aes128 Y
    ("snmpv3 key", r"(?<![\w-])(?:auth|priv|authentication|privacy|authentication-mode|"
     r"privacy-mode)(?=\s+"
     r"(?:md5|sha\S*|des\S*|3des|aes\S*|hmac\S*)\s+(?:\d{1,3}\s+)?"
     r"(?:(?:cipher|simple|ciphertext|encrypted|localizedkey|auth-pass|priv-pass)\s+)*"
     r"(?P<secret>[^\s\"]+))", True, True),
    # ... priv aes256-c auth sha256 7 AUTHKEY PRIVKEY: the second key right after the first
    ("snmpv3 second key", r"(?<![\w-])auth\s+(?:md5|sha\S*)\s+(?:\d{1,3}\s+)?[0-9A-Fa-fx:]{16,}"
     r"\s+(?P<secret>[0-9A-Fa-fx:]{16,})", False, True),
    # FortiOS/FortiManager: set anything ENC <blob>
    ("ENC blob", r"(?<![\w-])ENC\s+(?P<secret>[^\s\"]+)", False, False),
    # credentials inside URLs, anywhere (also quoted and in comments)
    ("url password", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:(?P<secret>[^\s@/'\"]+)@",
     False, False),
    # crypt(3), Cisco type 8/9, Junos $9$, Comware $h$, ASA $sha512$ hashes, wherever they are
    ("crypt hash", r"(?<![\w$])(?P<secret>\$(?:[0-9a-z]{1,2}|sha512|pbkdf2[\w-]*|md5)"
     r"\$[^\s\"';<]+)", False, False),
    # Huawei VRP / H3C Comware reversible ciphers: %^%#...%^%# and %$%$...%$%$, anywhere
    ("vrp cipher", r"(?P<secret>%\^%#.+?%\^%#|%\$%\$.+?%\$%\$)", False, False),
    # ArubaOS controllers: ... PRE-SHARE X, masterip A ipsec X, mgmt-user NAME ROLE HASH,
    # mobility-manager A user U X
    ("aruba keys", r"(?:\bPRE-SHARE|^\s*masterip \S+ ipsec|^\s*mgmt-user \S+ \S+|"
     r"^\s*mobility-manager \S+ user \S+)\s+(?P<secret>\S+)\s*$", False, False),
    # Junos marks its own: "..."; ## SECRET-DATA
    ("junos secret-data", r"\"(?P<secret>[^\"]+)\";?\s*## SECRET-DATA", False, False),
    # XML (pfSense, OPNsense, PAN-OS): <password>x</password>, <rocommunity>, <prv>, <tls>...
    ("xml element", r"(?i)<(?P<tag>(?![\w.:-]*(?:pub|authorized))[\w.:-]*?(?:password|passwd|"
     r"passphrase|passwordagain|secret|psk|pre-shared-key|key|hash|community|prv|privkey|"
     r"bindpw|_pw|token|seed|tls))(?:\s[^>]*)?>(?P<secret>[^<]+)</(?P=tag)>", True, False),
    # JSON-ish: "password": "x"
    ("json member", r"(?i)\"(?![\w-]*pub)[\w-]*(?:password|passwd|passphrase|secret|psk|key|"
     r"token|community)\"\s*:\s*\"(?P<secret>[^\"]+)\"", True, False),
]
_NEXT_KEYWORD = re.compile(_KEYWORD + "|" + _CAMEL_KEYWORD)

GENERIC_RULES: tuple[SecretRule, ...] = tuple(
    SecretRule(name, re.compile(pattern, re.IGNORECASE if name in (
        "keyword", "key=value", "community") else 0), checked, prose)
    for name, pattern, checked, prose in _GENERIC) + (
    # SNMPv3 users written without auth/priv words: `snmp-server user U group G sha X aes Y`
    SecretRule("snmp user key", re.compile(r"(?i)(?<![\w-])(?:md5|sha\d*|aes\d*|des|3des)"
                                           r"(?=\s+(?P<secret>[^\s\"]+))"),
               when=re.compile(r"(?i)^\s*snmp(?:-server)?\s+user\b")),
)

# Multi-line secrets, (begin, end): the lines between are masked as one placeholder.
GENERIC_BLOCKS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    # PEM private keys (also ENCRYPTED, RSA, EC, OPENSSH) and certificates, quoted or not
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"),
     re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")),
    (re.compile(r"-----BEGIN [A-Z0-9 ]*CERTIFICATE-----"),
     re.compile(r"-----END [A-Z0-9 ]*CERTIFICATE-----")),
    # Cisco IOS/ASA: certificate [self-signed|ca] SERIAL, hex lines, quit
    (re.compile(r"^\s*certificate (?:self-signed |ca |rollover )?[0-9A-Fa-f]+\s*$"),
     re.compile(r"^\s*quit\s*$")),
)

# Values at a secret position that are syntax, not secrets.
_NOT_SECRETS = frozenset("""
    chain generate zeroize import export encryption encrypt encrypted required none prompt
    recovery policy config configuration authentication auth priv noauth set-key enable
    disable enabled disabled history expired expiration aging lifetime length type mode
    change complexity min-length max-length minimum-length retry retries local default
    add delete set list members invert-match read write ro rw read-only read-write string
    name view cipher simple plain hash ascii hex md5 sha sha1 sha256 sha512 des 3des aes
    aes128 aes256 password secret key psk community keystring key-string storage timeout
    on off yes no true false null nil unset inherit auto manual dynamic static ssh-rsa
    rsa dsa ecdsa ed25519 pubkey-chain config-key password-encrypt algorithm allow clear
    drop acct accounting authorization manager operator port-access vlan user user-name
    control create accessmode ipaddr ipv6addr status community-name security-name key-id
    by_password by_key
    = :
""".split())
_NOT_SECRET_VALUE = re.compile(r"\d{1,3}|.*(?:pubkey|chain)|[<{(\[]|<.*>|-[a-z-]{0,20}|"
                               r"\.?[\w-]+=[^=].*|"
                               r"(?:password|secret|key|community|passphrase)-.*|"
                               r".*-(?:key|password|secret|community|passphrase)|"
                               r".*-(?:history|policy|length|age|attempts|expiry|expiration|"
                               r"complexity|lockout|retries|timeout|encryption|id)",
                               re.IGNORECASE)  # (a `name=value` of its own is no value)
_BGP_COMMUNITY = re.compile(r"\d+:\d+(?::\d+)?|no-export|no-advertise|local-as|internet|"
                            r"additive|gshut|graceful-shutdown|accept-own|blackhole|"
                            r"llgr-stale|no-llgr|no-peer|(?:target|origin|large):\S+",
                            re.IGNORECASE)
# A line that removes or unsets something names it; it sets no secret.
_REMOVAL = re.compile(r"\s*(?:no|delete|unset|undo)\s")
# Words after which the rest of the line is prose (a keyword there is not a secret's).
_PROSE = re.compile(r"(?i)(?<![\w-])(?:description|remark|comments?|banner|motd|alias|"
                    r"title|contact|location)\s")  # (not `comment=`: a value may follow)
