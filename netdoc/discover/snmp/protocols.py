"""The SNMPv3 protocol names netdoc speaks: one list for the configuration, the command
line and the USM (netdoc.discover.snmp.usm implements exactly these). Kept free of
imports so that reading netdoc.yaml does not load the cryptography library."""
from __future__ import annotations

AUTH_NAMES: tuple[str, ...] = ("md5", "sha", "sha224", "sha256", "sha384", "sha512")
PRIV_NAMES: tuple[str, ...] = ("des", "3des", "aes", "aes192", "aes256", "aes192c", "aes256c")
