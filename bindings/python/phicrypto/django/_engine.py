"""The one door from phicrypto.django to the cryptographic engine.

Everything the Django app needs from a keyring goes through the small ``Engine`` class below, so that
moving to the final ``phicrypto.Keyring`` (the native core through cffi) is a change to this file only.

INTERIM IMPLEMENTATION. ``phicrypto.Keyring`` (issue 5) was not on main when this app was written, so
this module implements the same field envelope (docs/field-format.md, src/PhiCrypto.Core/Fields) over
Debian's python3-cryptography, and a minimal PostgreSQL key store. The byte layout is the core's:

    header   = 0b01 (format 1) | mode bit (0 randomized, 1 deterministic) | key version 1..31,
               or version bits 0 followed by a LEB128 varint of the version (>= 32)
    AD       = header || uint16_be(len(purpose)) || purpose UTF-8 || caller AD
    random   = header || nonce(12) || AES-256-GCM(ct || tag16)            29 bytes overhead
    determ.  = header || AES-256-SIV(S2V over [AD], plaintext) = SIV16||ct   17 bytes overhead
    subkeys  = HKDF-SHA-256(DEK, salt "", info "phicrypto/field/v1/aes-256-gcm")  32 bytes
               HKDF-SHA-256(DEK, salt "", info "phicrypto/field/v1/aes-256-siv")  64 bytes
DEKs are 32 random bytes wrapped with AES-KWP (RFC 5649) under the KEK.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.keywrap import (InvalidUnwrap, aes_key_wrap_with_padding,
                                                    aes_key_unwrap_with_padding)
from cryptography.exceptions import InvalidTag

NATIVE = False  # True once this module calls phicrypto (the native core) instead of `cryptography`


# ---------------------------------------------------------------- errors (phicrypto's names)
try:  # the real hierarchy once the Python package exists
    from phicrypto import (PhiCryptoError, AuthenticationError,  # type: ignore[attr-defined]
                           KeyNotFoundError, FormatError)
except ImportError:
    class PhiCryptoError(Exception):
        """Base of every phicrypto error."""

    class AuthenticationError(PhiCryptoError):
        """The envelope failed authentication (tampered, wrong column or wrong key)."""

        def __init__(self, message: str = "authentication failed"):
            super().__init__(message)

    class KeyNotFoundError(PhiCryptoError):
        """The key version an envelope names is unknown or may not decrypt."""

    class FormatError(PhiCryptoError):
        """Not a field envelope of a known format."""


RANDOMIZED, DETERMINISTIC = 0, 1
_GCM_INFO = b"phicrypto/field/v1/aes-256-gcm"
_SIV_INFO = b"phicrypto/field/v1/aes-256-siv"
MAX_PLAINTEXT = 1 << 20
PASSPHRASE_ITERATIONS = 600_000


# ---------------------------------------------------------------- envelope header
def header(mode: int, version: int) -> bytes:
    first = (1 << 6) | (mode << 5)
    if version <= 31:
        return bytes([first | version])
    out = bytearray([first])
    while True:
        if version < 0x80:
            out.append(version)
            return bytes(out)
        out.append((version & 0x7F) | 0x80)
        version >>= 7


def read_header(envelope: bytes) -> tuple[int, int, int]:
    """(mode, key version, header length) of an envelope; FormatError when it is not one."""
    if not envelope:
        raise FormatError("empty field envelope")
    first = envelope[0]
    if first >> 6 != 1:
        raise FormatError("unsupported field envelope format")
    mode, version = (first >> 5) & 1, first & 0x1F
    if version:
        return mode, version, 1
    value = 0
    for i in range(1, min(len(envelope), 6)):
        value |= (envelope[i] & 0x7F) << (7 * (i - 1))
        if not envelope[i] & 0x80:
            if value <= 31 or len(header(mode, value)) != i + 1:
                raise FormatError("non-canonical key version in field envelope")
            return mode, value, i + 1
    raise FormatError("truncated key version in field envelope")


def _ad(head: bytes, purpose: bytes, caller_ad: bytes) -> bytes:
    return head + len(purpose).to_bytes(2, "big") + purpose + caller_ad


# ---------------------------------------------------------------- KEK sources
def _hkdf(ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


def _check_value(kek: bytes) -> bytes:
    """Classic key check value: AES(KEK, 0^128), first 3 bytes. Tells a wrong KEK from tampering."""
    enc = Cipher(algorithms.AES(kek), modes.ECB()).encryptor()
    return (enc.update(bytes(16)) + enc.finalize())[:3]


@dataclass(frozen=True)
class KekSource:
    """Where the KEK comes from: ``env:NAME``, ``passphrase:TEXT``, ``passphrase-env:NAME`` or a
    ``pkcs11:`` URI (RFC 7512). Never stored anywhere by this app."""
    spec: str

    def describe(self) -> str:
        kind = self.spec.split(":", 1)[0]
        return f"{kind}:{self.spec.split(':', 1)[1]}" if kind in ("env", "passphrase-env") else kind

    def resolve(self, salt_loader) -> bytes:
        kind, _, rest = self.spec.partition(":")
        if kind == "env":
            raw = os.environ.get(rest)
            if not raw:
                raise KeyNotFoundError(f"the KEK environment variable {rest} is not set")
            try:
                kek = base64.b64decode(raw, validate=True)
            except ValueError:
                raise ValueError(f"{rest} is not base64") from None
            if len(kek) != 32:
                raise ValueError(f"{rest} must hold base64 of 32 bytes")
            return kek
        if kind in ("passphrase", "passphrase-env"):
            phrase = rest if kind == "passphrase" else os.environ.get(rest, "")
            if not phrase:
                raise KeyNotFoundError("empty KEK passphrase")
            kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt_loader(),
                             iterations=PASSPHRASE_ITERATIONS)
            return kdf.derive(phrase.encode())
        if kind == "pkcs11":
            raise PhiCryptoError("pkcs11: KEKs need the native phicrypto package (not available to this interim engine)")
        raise ValueError("KEK source must be env:NAME, passphrase:TEXT, passphrase-env:NAME or a pkcs11: URI")


# ---------------------------------------------------------------- the key store (PostgreSQL)
# The DDL the Django migration runs (the store creates the same tables itself when they are missing).
STORE_DDL = [
    """CREATE TABLE IF NOT EXISTS phicrypto_key (
        purpose     text    NOT NULL,
        version     integer NOT NULL CHECK (version >= 1),
        state       text    NOT NULL CHECK (state IN ('pre-active','active','deactivated','compromised','destroyed')),
        kek_id      text    NOT NULL,
        kek_check   bytea   NOT NULL,
        wrapped     bytea,
        created     timestamptz NOT NULL DEFAULT now(),
        changed     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (purpose, version))""",
    # At most one active version per purpose, enforced by the database.
    "CREATE UNIQUE INDEX IF NOT EXISTS phicrypto_key_one_active ON phicrypto_key (purpose) WHERE state = 'active'",
    """CREATE TABLE IF NOT EXISTS phicrypto_key_audit (
        seq       bigint PRIMARY KEY,
        at        timestamptz NOT NULL,
        event     text NOT NULL,
        purpose   text,
        version   integer,
        detail    text NOT NULL DEFAULT '',
        prev_hash bytea NOT NULL,
        hash      bytea NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS phicrypto_setting (
        name  text PRIMARY KEY,
        value text NOT NULL)""",
]
STORE_DROP = ["DROP TABLE IF EXISTS phicrypto_key_audit", "DROP TABLE IF EXISTS phicrypto_key",
              "DROP TABLE IF EXISTS phicrypto_setting"]

_STORE_LOCK = 0x70686963727970  # advisory lock serialising key-store writers ("phicryp")


def _audit_hash(prev: bytes, seq: int, at: str, event: str, purpose, version, detail: str) -> bytes:
    body = json.dumps([seq, at, event, purpose, version, detail], separators=(",", ":")).encode()
    return hashlib.sha256(prev + body).digest()


@dataclass
class VersionInfo:
    purpose: str
    version: int
    state: str
    created: datetime
    kek_id: str


class _FieldKey:
    __slots__ = ("version", "state", "gcm", "siv", "siv_key")

    def __init__(self, dek: bytes, version: int, state: str):
        self.version, self.state = version, state
        self.gcm = AESGCM(_hkdf(dek, _GCM_INFO, 32))
        siv_key = _hkdf(dek, _SIV_INFO, 64)
        self.siv, self.siv_key = AESSIV(siv_key), siv_key[:32]


def _cmac(key: bytes, data: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def _dbl(block: bytes) -> bytes:
    n = int.from_bytes(block, "big") << 1
    if n >> 128:
        n = (n ^ 0x87) & ((1 << 128) - 1)
    return n.to_bytes(16, "big")


def _s2v_empty(k1: bytes, ad: bytes) -> bytes:
    """RFC 5297 S2V over [ad, empty plaintext]: the synthetic IV, which is the whole ciphertext."""
    d = _cmac(k1, bytes(16))
    d = bytes(a ^ b for a, b in zip(_dbl(d), _cmac(k1, ad)))
    t = bytes(a ^ b for a, b in zip(_dbl(d), b"\x80" + bytes(15)))
    return _cmac(k1, t)


class Engine:
    """A keyring over a PostgreSQL store: encrypt/decrypt by purpose, search, rotate, rewrap.

    Thread-safe: lookups read an immutable snapshot; reload/rotate swap it under a lock."""

    def __init__(self, url: str, kek: KekSource):
        self._url, self._kek_source = url, kek
        self._lock = threading.Lock()
        self._local = threading.local()
        self._kek: bytes | None = None
        self._keys: dict[str, dict[int, _FieldKey]] = {}
        self._active: dict[str, int] = {}
        self._infos: list[VersionInfo] = []
        self._conns: list = []

    # ---- connection (its own, so key changes commit independently of Django's transactions)
    def _conn(self):
        import psycopg2
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg2.connect(self._url)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            if not conn.closed:
                conn.close()

    def create_tables(self) -> None:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_STORE_LOCK,))
            for ddl in STORE_DDL:
                cur.execute(ddl)

    def _salt(self) -> bytes:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO phicrypto_setting (name, value) VALUES ('kek.pbkdf2.salt', %s) ON CONFLICT DO NOTHING",
                        (base64.b64encode(secrets.token_bytes(16)).decode(),))
            cur.execute("SELECT value FROM phicrypto_setting WHERE name = 'kek.pbkdf2.salt'")
            return base64.b64decode(cur.fetchone()[0])

    def _kek_bytes(self) -> bytes:
        if self._kek is None:
            self._kek = self._kek_source.resolve(self._salt)
        return self._kek

    @staticmethod
    def _kek_id(kek: bytes) -> str:
        return hashlib.sha256(b"phicrypto kek id\0" + kek).hexdigest()[:16]

    # ---- loading
    def reload(self) -> None:
        """Re-reads every key version from the store (new versions, state changes)."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT purpose, version, state, kek_check, wrapped, created, kek_id FROM phicrypto_key ORDER BY purpose, version")
            rows = cur.fetchall()
        kek = self._kek_bytes() if rows else None
        keys: dict[str, dict[int, _FieldKey]] = {}
        active: dict[str, int] = {}
        infos = []
        for purpose, version, state, check, wrapped, created, kek_id in rows:
            infos.append(VersionInfo(purpose, version, state, created, kek_id))
            if state in ("active", "deactivated") and wrapped is not None:
                if bytes(check) != _check_value(kek):
                    raise KeyNotFoundError(f"key {purpose}#{version} is wrapped under another KEK (kek id {kek_id})")
                try:
                    dek = aes_key_unwrap_with_padding(kek, bytes(wrapped))
                except InvalidUnwrap:
                    raise AuthenticationError() from None
                keys.setdefault(purpose, {})[version] = _FieldKey(dek, version, state)
            if state == "active":
                active[purpose] = version
        with self._lock:
            self._keys, self._active, self._infos = keys, active, infos

    # ---- queries
    def active_version(self, purpose: str) -> int | None:
        return self._active.get(purpose)

    def versions(self, purpose: str | None = None) -> list[VersionInfo]:
        return [i for i in self._infos if purpose is None or i.purpose == purpose]

    # ---- field crypto
    def _active_key(self, purpose: str) -> _FieldKey:
        version = self._active.get(purpose)
        if version is None:
            raise KeyNotFoundError(f"no active key for purpose {purpose}")
        return self._keys[purpose][version]

    @staticmethod
    def _seal(key: _FieldKey, mode: int, purpose: bytes, plaintext: bytes, caller_ad: bytes) -> bytes:
        if len(plaintext) > MAX_PLAINTEXT:
            raise ValueError("field values are limited to 1 MiB")
        head = header(mode, key.version)
        ad = _ad(head, purpose, caller_ad)
        if mode == RANDOMIZED:
            nonce = os.urandom(12)
            return head + nonce + key.gcm.encrypt(nonce, plaintext, ad)
        if not plaintext:  # python3-cryptography 38 refuses empty AES-SIV input; RFC 5297 allows it
            return head + _s2v_empty(key.siv_key, ad)
        return head + key.siv.encrypt(plaintext, [ad])

    def encrypt(self, purpose: str, plaintext: bytes, deterministic: bool, ad: bytes = b"") -> bytes:
        return self._seal(self._active_key(purpose), int(deterministic), purpose.encode(), plaintext, ad)

    def encrypt_many(self, purpose: str, values: Sequence[bytes], deterministic: bool, ad: bytes = b"") -> list[bytes]:
        key, p, mode = self._active_key(purpose), purpose.encode(), int(deterministic)
        return [self._seal(key, mode, p, v, ad) for v in values]

    def decrypt(self, purpose: str, envelope: bytes, ad: bytes = b"") -> bytes:
        mode, version, hlen = read_header(envelope)
        key = self._keys.get(purpose, {}).get(version)
        if key is None:
            raise KeyNotFoundError(f"key version {version} named by the envelope is not available")
        body = envelope[hlen:]
        if len(body) < (28 if mode == RANDOMIZED else 16):
            raise FormatError("field envelope too short")
        ad_bytes = _ad(envelope[:hlen], purpose.encode(), ad)
        try:
            if mode == RANDOMIZED:
                return key.gcm.decrypt(body[:12], body[12:], ad_bytes)
            if len(body) == 16:
                if not hmac.compare_digest(body, _s2v_empty(key.siv_key, ad_bytes)):
                    raise InvalidTag()
                return b""
            return key.siv.decrypt(body, [ad_bytes])
        except InvalidTag:
            raise AuthenticationError() from None

    def decrypt_many(self, purpose: str, envelopes: Sequence[bytes], ad: bytes = b"") -> list:
        """One result per envelope: the plaintext bytes, or the PhiCryptoError it raised."""
        out: list = []
        for e in envelopes:
            try:
                out.append(self.decrypt(purpose, e, ad))
            except PhiCryptoError as err:
                out.append(err)
        return out

    def search(self, purpose: str, plaintext: bytes, ad: bytes = b"") -> list[bytes]:
        """The deterministic envelopes of ``plaintext`` under every version that can still decrypt,
        oldest first."""
        p = purpose.encode()
        keys = self._keys.get(purpose, {})
        return [self._seal(keys[v], DETERMINISTIC, p, plaintext, ad) for v in sorted(keys)]

    # ---- lifecycle (each change is one transaction with its audit record)
    def _audit(self, cur, event: str, purpose, version, detail: str = "") -> None:
        cur.execute("SELECT seq, hash FROM phicrypto_key_audit ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        seq, prev = (row[0] + 1, bytes(row[1])) if row else (1, bytes(32))
        at = datetime.now(timezone.utc).isoformat()
        h = _audit_hash(prev, seq, at, event, purpose, version, detail)
        cur.execute("INSERT INTO phicrypto_key_audit (seq, at, event, purpose, version, detail, prev_hash, hash) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", (seq, at, event, purpose, version, detail, prev, h))

    def _new_version(self, cur, purpose: str, version: int) -> None:
        kek = self._kek_bytes()
        dek = secrets.token_bytes(32)
        cur.execute("INSERT INTO phicrypto_key (purpose, version, state, kek_id, kek_check, wrapped) VALUES (%s, %s, 'active', %s, %s, %s)",
                    (purpose, version, self._kek_id(kek), _check_value(kek), aes_key_wrap_with_padding(kek, dek)))
        self._audit(cur, "create" if version == 1 else "rotate", purpose, version)

    def ensure(self, purposes: Iterable[str]) -> list[str]:
        """Creates version 1 of each purpose that has no key yet; returns the purposes created."""
        created = []
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_STORE_LOCK,))
            cur.execute("SELECT DISTINCT purpose FROM phicrypto_key")
            have = {r[0] for r in cur.fetchall()}
            for purpose in purposes:
                if purpose not in have:
                    self._new_version(cur, purpose, 1)
                    created.append(purpose)
                    have.add(purpose)
        self.reload()
        return created

    def rotate(self, purpose: str) -> int:
        """Adds a new active version; the previous one is deactivated (still decrypts)."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_STORE_LOCK,))
            cur.execute("SELECT coalesce(max(version), 0) FROM phicrypto_key WHERE purpose = %s", (purpose,))
            version = cur.fetchone()[0] + 1
            cur.execute("UPDATE phicrypto_key SET state = 'deactivated', changed = now() WHERE purpose = %s AND state = 'active'", (purpose,))
            self._new_version(cur, purpose, version)
        self.reload()
        return version

    def rewrap(self, new_kek: KekSource) -> int:
        """Re-wraps every DEK under ``new_kek`` (no data is re-encrypted); returns the count."""
        old = self._kek_bytes()
        new = new_kek.resolve(self._salt)
        count = 0
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_STORE_LOCK,))
            cur.execute("SELECT purpose, version, wrapped FROM phicrypto_key WHERE wrapped IS NOT NULL FOR UPDATE")
            for purpose, version, wrapped in cur.fetchall():
                dek = aes_key_unwrap_with_padding(old, bytes(wrapped))
                cur.execute("UPDATE phicrypto_key SET wrapped = %s, kek_check = %s, kek_id = %s, changed = now() WHERE purpose = %s AND version = %s",
                            (aes_key_wrap_with_padding(new, dek), _check_value(new), self._kek_id(new), purpose, version))
                count += 1
            self._audit(cur, "rewrap", None, None, f"{count} key(s) to kek {self._kek_id(new)}")
        self._kek, self._kek_source = new, new_kek
        self.reload()
        return count

    def verify_audit(self) -> tuple[bool, int, str]:
        """Walks the hash chain of the key audit trail: (intact, records, message)."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT seq, at, event, purpose, version, detail, prev_hash, hash FROM phicrypto_key_audit ORDER BY seq")
            rows = cur.fetchall()
        prev, expected_seq = bytes(32), 1
        for seq, at, event, purpose, version, detail, prev_hash, h in rows:
            if seq != expected_seq:
                return False, len(rows), f"audit record {expected_seq} is missing"
            at_text = at.isoformat() if isinstance(at, datetime) else str(at)
            if bytes(prev_hash) != prev or bytes(h) != _audit_hash(prev, seq, _iso(at_text), event, purpose, version, detail):
                return False, len(rows), f"audit record {seq} was altered"
            prev, expected_seq = bytes(h), seq + 1
        return True, len(rows), f"{len(rows)} audit record(s), chain intact"


def _iso(text: str) -> str:
    """The timestamp as written (UTC isoformat), whatever the session time zone returned."""
    return datetime.fromisoformat(text).astimezone(timezone.utc).isoformat()
