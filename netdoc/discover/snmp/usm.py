"""SNMPv3 User-based Security Model: keys, digests and privacy, on vetted primitives.

The protocol steps are netdoc's; every cryptographic primitive (hashes, HMAC,
AES, DES) comes from the `cryptography` package:

- key from password and localisation: RFC 3414 A.2 (MD5, SHA-1), RFC 7860 4.1
  (SHA-224/256/384/512);
- authentication: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414 6, 7), HMAC-SHA-2 with
  128/192/256/384-bit MACs (RFC 7860);
- privacy: DES-CBC (RFC 3414 8), AES-128-CFB (RFC 3826), AES-192/256-CFB with
  the key extension of draft-blumenthal-aes-usm-04 (what net-snmp's AES-192 /
  AES-256 do), AES-192/256-CFB with the key extension of
  draft-reeder-snmpv3-usm-3desede-00 ("aes192c"/"aes256c": what Cisco calls
  AES-192/256), 3DES-EDE-CBC (the same Reeder draft). DES, 3DES and CFB come
  from cryptography's "decrepit" module; if a future cryptography drops DES,
  netdoc refuses des/3des by name.
"""
from __future__ import annotations

import hmac as stdlib_hmac
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from netdoc.discover.snmp.protocols import AUTH_NAMES, PRIV_NAMES
from netdoc.errors import SnmpAuthError

# DES and CFB are old: newer cryptography releases keep them in the "decrepit" module
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - depends on the installed cryptography
    try:
        from cryptography.hazmat.primitives.ciphers.algorithms import (  # type: ignore[attr-defined, no-redef, unused-ignore]
            TripleDES)
    except ImportError:
        TripleDES = None  # type: ignore[assignment, misc, unused-ignore]
try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - depends on the installed cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB  # type: ignore[no-redef, unused-ignore]

PASSWORD_EXPANSION = 1_048_576  # RFC 3414 A.2: the password is stretched to 1 MB, then hashed


class UsmError(SnmpAuthError):
    """A USM key, digest or cipher problem (the client adds the device's name)."""

    def __init__(self, reason: str) -> None:
        Exception.__init__(self, reason)
        self.host = ""
        self.reason = reason


@dataclass(frozen=True)
class AuthProtocol:
    name: str
    hash: type[hashes.HashAlgorithm]
    mac_length: int  # bytes of msgAuthenticationParameters (the truncated HMAC)


AUTH_PROTOCOLS = {protocol.name: protocol for protocol in (
    AuthProtocol("md5", hashes.MD5, 12),
    AuthProtocol("sha", hashes.SHA1, 12),
    AuthProtocol("sha224", hashes.SHA224, 16),
    AuthProtocol("sha256", hashes.SHA256, 24),
    AuthProtocol("sha384", hashes.SHA384, 32),
    AuthProtocol("sha512", hashes.SHA512, 48))}

# privacy protocol -> key bytes needed (cipher key, plus the pre-IV for DES and 3DES)
PRIV_KEY_LENGTH = {"des": 16, "3des": 32, "aes": 16, "aes192": 24, "aes256": 32,
                   "aes192c": 24, "aes256c": 32}
PRIV_PROTOCOLS = tuple(PRIV_KEY_LENGTH)
if tuple(AUTH_PROTOCOLS) != AUTH_NAMES or PRIV_PROTOCOLS != PRIV_NAMES:
    raise ImportError("netdoc.discover.snmp.usm implements other protocols than "
                      "netdoc.discover.snmp.protocols names")
# short keys are extended the Reeder way (re-hash the key as a password) for these
_REEDER_EXTENSION = frozenset(("3des", "aes192c", "aes256c"))


def _hash(protocol: AuthProtocol, data: bytes) -> bytes:
    digest = hashes.Hash(protocol.hash())
    digest.update(data)
    return digest.finalize()


def auth_protocol(name: str) -> AuthProtocol:
    try:
        return AUTH_PROTOCOLS[name]
    except KeyError:
        raise UsmError(f"SNMPv3 auth protocol {name!r} is not supported; use one of "
                       f"{', '.join(AUTH_PROTOCOLS)}") from None


def password_to_key(password: str | bytes, protocol: AuthProtocol) -> bytes:
    """Ku: the password repeated to 1 MB and hashed (RFC 3414 A.2.1, A.2.2; RFC 7860 4.1)."""
    secret = password.encode() if isinstance(password, str) else password
    if len(secret) < 8:
        raise UsmError("SNMPv3 passwords must be at least 8 characters long (RFC 3414 11.2); "
                       "agents refuse shorter ones")
    repeats = PASSWORD_EXPANSION // len(secret) + 1
    return _hash(protocol, (secret * repeats)[:PASSWORD_EXPANSION])


def localize_key(key: bytes, engine_id: bytes, protocol: AuthProtocol) -> bytes:
    """Kul = H(Ku || engineID || Ku) (RFC 3414 A.2)."""
    return _hash(protocol, key + engine_id + key)


def localized_key(password: str | bytes, engine_id: bytes, protocol: AuthProtocol) -> bytes:
    return localize_key(password_to_key(password, protocol), engine_id, protocol)


def privacy_key(password: str | bytes, engine_id: bytes, protocol: AuthProtocol,
                priv: str) -> bytes:
    """The localised privacy key, extended where the hash is shorter than the cipher needs.

    aes192/aes256: Kul || H(Kul) || H(Kul || H(Kul)) ... (draft-blumenthal-aes-usm-04
    3.1.2.1). 3des, aes192c/aes256c: Kul || localize(password_to_key(Kul)) ...
    (draft-reeder-snmpv3-usm-3desede 2.1).
    """
    needed = PRIV_KEY_LENGTH[priv]
    key = localized_key(password, engine_id, protocol)
    while len(key) < needed:
        if priv in _REEDER_EXTENSION:
            key += localized_key(key, engine_id, protocol)
        else:
            key += _hash(protocol, key)
    return key[:needed]


def _des_available(priv: str) -> None:
    if TripleDES is None:  # pragma: no cover - depends on the installed cryptography
        raise UsmError(f"SNMPv3 privacy protocol {priv!r} needs DES, which the installed "
                       f"'cryptography' no longer provides; use aes/aes192/aes256 on the device")


@dataclass
class UsmKeys:
    """One user's localised keys for one authoritative engine, ready to sign and encrypt."""

    auth: AuthProtocol | None
    auth_key: bytes = b""
    priv: str = ""
    priv_key: bytes = b""
    # salts must never repeat for a key: a random start, then counting (RFC 3414 8.1.1.1,
    # RFC 3826 3.1.2.1)
    _salt: int = field(default_factory=lambda: int.from_bytes(os.urandom(8), "big"))
    _aes_algorithm: algorithms.AES | None = field(default=None, init=False, repr=False)
    _hmac: crypto_hmac.HMAC | None = field(default=None, init=False, repr=False)

    @classmethod
    def for_engine(cls, engine_id: bytes, auth: str = "", auth_password: str | bytes = "",
                   priv: str = "", priv_password: str | bytes = "") -> UsmKeys:
        if not auth:
            if priv:
                raise UsmError("SNMPv3 privacy needs authentication too")
            return cls(None)
        protocol = auth_protocol(auth)
        keys = cls(protocol, localized_key(auth_password, engine_id, protocol))
        if priv:
            if priv not in PRIV_KEY_LENGTH:
                raise UsmError(f"SNMPv3 privacy protocol {priv!r} is not supported; use one of "
                               f"{', '.join(PRIV_PROTOCOLS)}")
            if priv in ("des", "3des"):
                _des_available(priv)
            keys.priv = priv
            keys.priv_key = privacy_key(priv_password, engine_id, protocol, priv)
        return keys

    @property
    def _aes(self) -> algorithms.AES:
        if self._aes_algorithm is None:  # built once per key: every message of a walk uses it
            self._aes_algorithm = algorithms.AES(self.priv_key[:PRIV_KEY_LENGTH[self.priv]])
        return self._aes_algorithm

    @property
    def mac_length(self) -> int:
        return self.auth.mac_length if self.auth else 0

    # -------------------------------------------------------- authentication

    def digest(self, message: bytes) -> bytes:
        """The truncated HMAC of a whole message whose auth parameters are zeros."""
        assert self.auth is not None
        if self._hmac is None:  # keyed once; each message works on a copy
            self._hmac = crypto_hmac.HMAC(self.auth_key, self.auth.hash())
        mac = self._hmac.copy()
        mac.update(message)
        return mac.finalize()[:self.auth.mac_length]

    def sign(self, message: bytes, offset: int) -> bytes:
        """Put the digest into the zeroed auth parameters at `offset`."""
        length = self.mac_length
        return message[:offset] + self.digest(message) + message[offset + length:]

    def verify(self, message: bytes, offset: int, received: bytes) -> bool:
        length = self.mac_length
        if len(received) != length or offset < 0:
            return False
        zeroed = message[:offset] + bytes(length) + message[offset + length:]
        return stdlib_hmac.compare_digest(self.digest(zeroed), received)

    # -------------------------------------------------------- privacy

    def _next_salt(self) -> int:
        self._salt = (self._salt + 1) & 0xFFFF_FFFF_FFFF_FFFF
        return self._salt

    def encrypt(self, plaintext: bytes, boots: int, engine_time: int) -> tuple[bytes, bytes]:
        """(ciphertext, msgPrivacyParameters) of an encoded scoped PDU."""
        if self.priv.startswith("aes"):
            salt = self._next_salt().to_bytes(8, "big")
            iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt
            encryptor = Cipher(self._aes, CFB(iv)).encryptor()
            return encryptor.update(plaintext) + encryptor.finalize(), salt
        salt = boots.to_bytes(4, "big") + (self._next_salt() & 0xFFFF_FFFF).to_bytes(4, "big")
        padded = plaintext + bytes(-len(plaintext) % 8)
        encryptor = self._des_cipher(salt).encryptor()
        return encryptor.update(padded) + encryptor.finalize(), salt

    def decrypt(self, ciphertext: bytes, priv_params: bytes, boots: int,
                engine_time: int) -> bytes:
        """The scoped PDU bytes; for DES/3DES possibly followed by padding."""
        if len(priv_params) != 8:
            raise UsmError(f"msgPrivacyParameters of {len(priv_params)} bytes (must be 8)")
        if self.priv.startswith("aes"):
            iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + priv_params
            decryptor = Cipher(self._aes, CFB(iv)).decryptor()
            return decryptor.update(ciphertext) + decryptor.finalize()
        if len(ciphertext) % 8:
            raise UsmError(f"{self.priv.upper()} ciphertext of {len(ciphertext)} bytes is not a "
                           f"multiple of 8")
        decryptor = self._des_cipher(priv_params).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()

    def _des_cipher(self, salt: bytes) -> Cipher[modes.CBC]:
        _des_available(self.priv)
        if self.priv == "des":
            # single DES = EDE with the same key three times; the last 8 key bytes are the pre-IV
            key, pre_iv = self.priv_key[:8] * 3, self.priv_key[8:16]
        else:
            key, pre_iv = self.priv_key[:24], self.priv_key[24:32]
        iv = bytes(a ^ b for a, b in zip(pre_iv, salt))
        return Cipher(TripleDES(key), modes.CBC(iv))
