"""The one door from phicrypto.django to the cryptographic engine.

Everything the Django app needs from a keyring goes through the small ``Engine`` class below, so that
moving to the final ``phicrypto.Keyring`` (issue 5, once it lands) is a change to this file only.

All cryptography runs in the native core (libphicrypto.so through the ``phicrypto`` cffi package):
field envelopes single and batched (``phi_field_encrypt[_batch]`` / ``phi_field_decrypt[_batch]`` with
the key version named explicitly), DEK generation, AES-KWP wrapping of DEKs under the KEK, and the
KEK check value. What is still Python here, until ``phicrypto.Keyring`` exposes it: the key store
(rows in PostgreSQL, see STORE_DDL), the version bookkeeping, the hash chain of the key audit trail
(SHA-256 via hashlib) and, for passphrase KEKs only, PBKDF2-HMAC-SHA-256 (hashlib, OpenSSL).

Envelope header (parsed here to route a value to its key version; docs/field-format.md):
    bits 7-6 format (01), bit 5 mode (0 randomized, 1 deterministic), bits 4-0 key version 1..31,
    or 0 followed by a LEB128 varint of the version (>= 32).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import phicrypto
from phicrypto import AuthenticationError, FormatError, KeyNotFoundError, PhiCryptoError  # noqa: F401 (re-exported)
from phicrypto._errors import error_for, raise_for
from phicrypto._ffi import ffi, lib

NATIVE = True  # every encryption, decryption, key generation and key wrap below is a native call

RANDOMIZED, DETERMINISTIC = 0, 1
_OVERHEAD = {RANDOMIZED: 29, DETERMINISTIC: 17}
MAX_HEADER = 6
PASSPHRASE_ITERATIONS = 600_000
_KEK_CHECK_PURPOSE = "phicrypto.django/kek-check"


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
    for i in range(1, min(len(envelope), MAX_HEADER)):
        value |= (envelope[i] & 0x7F) << (7 * (i - 1))
        if not envelope[i] & 0x80:
            if value <= 31 or len(header(mode, value)) != i + 1:
                raise FormatError("non-canonical key version in field envelope")
            return mode, value, i + 1
    raise FormatError("truncated key version in field envelope")


# ---------------------------------------------------------------- native field calls with a key version
_SCRATCH = 4096
_tls = threading.local()


def _scratch(need: int):
    """A per-thread output buffer and length cell: a small field call allocates nothing native."""
    s = getattr(_tls, "s", None)
    if s is None:
        s = _tls.s = (ffi.new("uint8_t[]", _SCRATCH), ffi.new("size_t *"))
    out = s[0] if need <= _SCRATCH else ffi.new("uint8_t[]", need)
    s[1][0] = need
    return out, s[1]


def _encrypt_one(key: phicrypto.Key, version: int, mode: int, purpose: bytes, plaintext: bytes) -> bytes:
    need = len(plaintext) + _OVERHEAD[mode] + MAX_HEADER
    out, length = _scratch(need)
    rc = lib.phi_field_encrypt(key.handle, version, mode, purpose, plaintext, len(plaintext), b"", 0, out, length)
    if rc:
        raise_for(rc)
    return ffi.buffer(out, length[0])[:]


def _decrypt_one(key: phicrypto.Key, version: int, purpose: bytes, envelope: bytes) -> bytes:
    n = len(envelope)
    out, length = _scratch(max(n, 1))
    length[0] = n
    rc = lib.phi_field_decrypt(key.handle, version, purpose, envelope, n, b"", 0, out, length)
    try:
        if rc:
            raise_for(rc)
        return ffi.buffer(out, length[0])[:]
    finally:
        ffi.memmove(out, bytes(n), n)  # no plaintext left behind in the buffer


def _encrypt_batch(key: phicrypto.Key, version: int, mode: int, purpose: bytes, values: Sequence[bytes]) -> list[bytes]:
    n = len(values)
    if n == 0:
        return []
    packed = b"".join(values)
    total = len(packed) + n * (_OVERHEAD[mode] + MAX_HEADER)
    out = ffi.new("uint8_t[]", total)
    out_len = ffi.new("size_t *", total)
    out_lens = ffi.new("size_t[]", n)
    rc = lib.phi_field_encrypt_batch(key.handle, version, mode, purpose, packed, ffi.new("size_t[]", [len(v) for v in values]), n,
                                     b"", 0, out, out_len, out_lens)
    if rc:
        raise_for(rc)
    return _split(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n))


def _decrypt_batch(key: phicrypto.Key, version: int, purpose: bytes, envelopes: Sequence[bytes]) -> list:
    """Plaintexts, or the error of each envelope that failed (one bad row does not hide the others)."""
    n = len(envelopes)
    packed = b"".join(envelopes)
    total = len(packed)
    out = ffi.new("uint8_t[]", max(total, 1))
    out_len = ffi.new("size_t *", total)
    out_lens = ffi.new("size_t[]", n)
    statuses = ffi.new("int32_t[]", n)
    rc = lib.phi_field_decrypt_batch(key.handle, version, purpose, packed, ffi.new("size_t[]", [len(e) for e in envelopes]), n,
                                     b"", 0, out, out_len, out_lens, statuses)
    try:
        status = ffi.unpack(statuses, n) if rc else None
        if rc and not any(status):
            raise_for(rc)
        plain = _split(ffi.buffer(out, out_len[0])[:], ffi.unpack(out_lens, n))
    finally:
        ffi.memmove(out, bytes(total), total)
    if not rc:
        return plain
    return [error_for(st, _STATUS_TEXT.get(st, "malformed envelope")) if st else pt for st, pt in zip(status, plain)]


_STATUS_TEXT = {-3: "authentication failed", -4: "the key version it names is not available"}


def _split(buf: bytes, lengths) -> list[bytes]:
    out, offset = [], 0
    for length in lengths:
        out.append(buf[offset:offset + length])
        offset += length
    return out


# ---------------------------------------------------------------- KEK sources
@dataclass(frozen=True)
class KekSource:
    """Where the KEK comes from: ``env:NAME``, ``passphrase:TEXT``, ``passphrase-env:NAME`` or a
    ``pkcs11:`` URI (RFC 7512). Never stored anywhere by this app."""
    spec: str

    def resolve(self, salt_loader) -> phicrypto.Key:
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
            return phicrypto.Key.from_bytes(kek)
        if kind in ("passphrase", "passphrase-env"):
            phrase = rest if kind == "passphrase" else os.environ.get(rest, "")
            if not phrase:
                raise KeyNotFoundError("empty KEK passphrase")
            return phicrypto.Key.from_bytes(hashlib.pbkdf2_hmac("sha256", phrase.encode(), salt_loader(), PASSPHRASE_ITERATIONS))
        if kind == "pkcs11":
            raise PhiCryptoError("pkcs11: KEKs need phicrypto.Keyring (issue 5), not available in this build yet")
        raise ValueError("KEK source must be env:NAME, passphrase:TEXT, passphrase-env:NAME or a pkcs11: URI")


def _kek_fingerprint(kek: phicrypto.Key) -> tuple[bytes, str]:
    """(3-byte check value, key id): from the deterministic envelope of "" under the KEK, computed by
    the core. The check value tells a wrong KEK apart from a damaged record."""
    siv = phicrypto.encrypt_deterministic(b"", kek, purpose=_KEK_CHECK_PURPOSE)[1:]
    return siv[:3], siv[3:11].hex()


# ---------------------------------------------------------------- the key store (PostgreSQL)
# The DDL the Django migration runs (the store creates the same tables itself when they are missing).
STORE_DDL = [
    """CREATE TABLE IF NOT EXISTS phicrypto_django_key (
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
    "CREATE UNIQUE INDEX IF NOT EXISTS phicrypto_django_key_one_active ON phicrypto_django_key (purpose) WHERE state = 'active'",
    """CREATE TABLE IF NOT EXISTS phicrypto_django_key_audit (
        seq       bigint PRIMARY KEY,
        at        timestamptz NOT NULL,
        event     text NOT NULL,
        purpose   text,
        version   integer,
        detail    text NOT NULL DEFAULT '',
        prev_hash bytea NOT NULL,
        hash      bytea NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS phicrypto_django_setting (
        name  text PRIMARY KEY,
        value text NOT NULL)""",
]
STORE_DROP = ["DROP TABLE IF EXISTS phicrypto_django_key_audit", "DROP TABLE IF EXISTS phicrypto_django_key",
              "DROP TABLE IF EXISTS phicrypto_django_setting"]

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
    __slots__ = ("version", "state", "key")

    def __init__(self, key: phicrypto.Key, version: int, state: str):
        self.key, self.version, self.state = key, version, state


class Engine:
    """A keyring over a PostgreSQL store: encrypt/decrypt by purpose, search, rotate, rewrap.

    Thread-safe: lookups read an immutable snapshot; reload/rotate swap it under a lock."""

    def __init__(self, url: str, kek: KekSource):
        self._url, self._kek_source = url, kek
        self._lock = threading.Lock()
        self._local = threading.local()
        self._kek: phicrypto.Key | None = None
        self._kek_check, self._kek_id = b"", ""
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
            cur.execute("INSERT INTO phicrypto_django_setting (name, value) VALUES ('kek.pbkdf2.salt', %s) ON CONFLICT DO NOTHING",
                        (base64.b64encode(phicrypto.generate_key(16).export()).decode(),))
            cur.execute("SELECT value FROM phicrypto_django_setting WHERE name = 'kek.pbkdf2.salt'")
            return base64.b64decode(cur.fetchone()[0])

    def _kek_key(self) -> phicrypto.Key:
        if self._kek is None:
            self._kek = self._kek_source.resolve(self._salt)
            self._kek_check, self._kek_id = _kek_fingerprint(self._kek)
        return self._kek

    # ---- loading
    def reload(self) -> None:
        """Re-reads every key version from the store (new versions, state changes)."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT purpose, version, state, kek_check, wrapped, created, kek_id FROM phicrypto_django_key ORDER BY purpose, version")
            rows = cur.fetchall()
        kek = self._kek_key() if rows else None
        old = {p: {v: k for v, k in versions.items()} for p, versions in self._keys.items()}
        keys: dict[str, dict[int, _FieldKey]] = {}
        active: dict[str, int] = {}
        infos = []
        for purpose, version, state, check, wrapped, created, kek_id in rows:
            infos.append(VersionInfo(purpose, version, state, created, kek_id))
            if state in ("active", "deactivated") and wrapped is not None:
                known = old.get(purpose, {}).get(version)
                if known is not None and known.state == state:
                    keys.setdefault(purpose, {})[version] = known  # already unwrapped
                else:
                    if bytes(check) != self._kek_check:
                        raise phicrypto.WrongKekError(f"key {purpose}#{version} is wrapped under another KEK (kek id {kek_id})")
                    dek = phicrypto.aes_key_unwrap(bytes(wrapped), kek, padded=True)
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

    def _key(self, purpose: str, version: int) -> _FieldKey:
        key = self._keys.get(purpose, {}).get(version)
        if key is None:
            raise KeyNotFoundError(f"key version {version} named by the envelope is not available")
        return key

    def encrypt(self, purpose: str, plaintext: bytes, deterministic: bool) -> bytes:
        k = self._active_key(purpose)
        return _encrypt_one(k.key, k.version, int(deterministic), purpose.encode(), plaintext)

    def encrypt_many(self, purpose: str, values: Sequence[bytes], deterministic: bool) -> list[bytes]:
        """One native call for the whole batch (the core spreads big batches over the cores)."""
        k = self._active_key(purpose)
        return _encrypt_batch(k.key, k.version, int(deterministic), purpose.encode(), values)

    def decrypt(self, purpose: str, envelope: bytes) -> bytes:
        _, version, _ = read_header(envelope)
        k = self._key(purpose, version)
        return _decrypt_one(k.key, version, purpose.encode(), envelope)

    def decrypt_many(self, purpose: str, envelopes: Sequence[bytes]) -> list:
        """One result per envelope: the plaintext bytes, or the PhiCryptoError it raised. One native
        batch call per key version present."""
        out: list = [None] * len(envelopes)
        groups: dict[int, list[int]] = {}
        for i, e in enumerate(envelopes):
            first = e[0] if e else 0
            if first >> 6 == 1 and first & 0x1F:  # versions 1..31: the header is one byte
                version = first & 0x1F
            else:
                try:
                    version = read_header(e)[1]
                except FormatError as err:
                    out[i] = err
                    continue
            group = groups.get(version)
            if group is None:
                group = groups[version] = []
            group.append(i)
        p = purpose.encode()
        for version, idx in groups.items():
            k = self._keys.get(purpose, {}).get(version)
            if k is None:
                for i in idx:
                    out[i] = KeyNotFoundError(f"key version {version} named by the envelope is not available")
                continue
            for i, r in zip(idx, _decrypt_batch(k.key, version, p, [envelopes[i] for i in idx])):
                out[i] = r
        return out

    def search(self, purpose: str, plaintext: bytes) -> list[bytes]:
        """The deterministic envelopes of ``plaintext`` under every version that can still decrypt,
        oldest first."""
        p = purpose.encode()
        keys = self._keys.get(purpose, {})
        return [_encrypt_one(keys[v].key, v, DETERMINISTIC, p, plaintext) for v in sorted(keys)]

    # ---- lifecycle (each change is one transaction with its audit record)
    def _audit(self, cur, event: str, purpose, version, detail: str = "") -> None:
        cur.execute("SELECT seq, hash FROM phicrypto_django_key_audit ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
        seq, prev = (row[0] + 1, bytes(row[1])) if row else (1, bytes(32))
        at = datetime.now(timezone.utc).isoformat()
        h = _audit_hash(prev, seq, at, event, purpose, version, detail)
        cur.execute("INSERT INTO phicrypto_django_key_audit (seq, at, event, purpose, version, detail, prev_hash, hash) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", (seq, at, event, purpose, version, detail, prev, h))

    def _new_version(self, cur, purpose: str, version: int) -> None:
        kek = self._kek_key()
        dek = phicrypto.generate_data_encryption_key()
        cur.execute("INSERT INTO phicrypto_django_key (purpose, version, state, kek_id, kek_check, wrapped) VALUES (%s, %s, 'active', %s, %s, %s)",
                    (purpose, version, self._kek_id, self._kek_check, phicrypto.aes_key_wrap(dek, kek, padded=True)))
        self._audit(cur, "create" if version == 1 else "rotate", purpose, version)

    def ensure(self, purposes: Iterable[str]) -> list[str]:
        """Creates version 1 of each purpose that has no key yet; returns the purposes created."""
        created = []
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_STORE_LOCK,))
            cur.execute("SELECT DISTINCT purpose FROM phicrypto_django_key")
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
            cur.execute("SELECT coalesce(max(version), 0) FROM phicrypto_django_key WHERE purpose = %s", (purpose,))
            version = cur.fetchone()[0] + 1
            cur.execute("UPDATE phicrypto_django_key SET state = 'deactivated', changed = now() WHERE purpose = %s AND state = 'active'", (purpose,))
            self._new_version(cur, purpose, version)
        self.reload()
        return version

    def rewrap(self, new_kek: KekSource) -> int:
        """Re-wraps every DEK under ``new_kek`` (no data is re-encrypted); returns the count."""
        old = self._kek_key()
        new = new_kek.resolve(self._salt)
        new_check, new_id = _kek_fingerprint(new)
        count = 0
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_STORE_LOCK,))
            cur.execute("SELECT purpose, version, wrapped FROM phicrypto_django_key WHERE wrapped IS NOT NULL FOR UPDATE")
            for purpose, version, wrapped in cur.fetchall():
                dek = phicrypto.aes_key_unwrap(bytes(wrapped), old, padded=True)
                cur.execute("UPDATE phicrypto_django_key SET wrapped = %s, kek_check = %s, kek_id = %s, changed = now() WHERE purpose = %s AND version = %s",
                            (phicrypto.aes_key_wrap(dek, new, padded=True), new_check, new_id, purpose, version))
                count += 1
            self._audit(cur, "rewrap", None, None, f"{count} key(s) to kek {new_id}")
        self._kek, self._kek_check, self._kek_id, self._kek_source = new, new_check, new_id, new_kek
        self.reload()
        return count

    def verify_audit(self) -> tuple[bool, int, str]:
        """Walks the hash chain of the key audit trail: (intact, records, message)."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT seq, at, event, purpose, version, detail, prev_hash, hash FROM phicrypto_django_key_audit ORDER BY seq")
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
