"""The one door from phicrypto.django to the cryptographic core.

Everything the Django app needs from a keyring goes through the small ``Engine`` class below: a thin
wrapper of the public ``phicrypto`` API (``Keyring`` and its per-purpose ``KeySource``; no cffi here)
over a ``postgresql://`` store. The keyring is never created here: ``manage.py phicrypto keys init``
does that (``create_keyring``), and a store without one is an error saying so. The core does all of it: the key records and their states, DEK
generation and wrapping under the KEK (environment, passphrase with its KDF, or PKCS#11), rotation
(two processes rotating at once make one new version: the store's conditional commit), KEK rewrap,
the hash-chained key audit trail and its verification, and every field encryption, single and batched.
Python only routes: it names the purpose, packs batches and maps errors.

The store's tables (phicrypto_key_records, phicrypto_key_audit, phicrypto_key_settings) are defined once,
in src/PhiCrypto.Postgres/schema.sql; the app's migrations create them from its generated Python copy
(the store creates them itself too when they are missing).

Envelope headers are read by the core (``phicrypto.field_header``); ``header()`` only builds the
prefix an envelope of a version starts with, for SQL filters (docs/field-format.md):
    bits 7-6 format (01), bit 5 mode (0 randomized, 1 deterministic), bits 4-0 key version 1..31,
    or 0 followed by a LEB128 varint of the version (>= 32).
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

import phicrypto
from django.views.decorators.debug import sensitive_variables
from phicrypto import AuthenticationError, FormatError, KeyNotFoundError, PhiCryptoError  # noqa: F401 (re-exported)

NATIVE = True  # every key operation, encryption and decryption below is a native call

RANDOMIZED, DETERMINISTIC = 0, 1
MAX_HEADER = 6  # a header byte and at most five varint bytes (docs/field-format.md; PHI_FIELD_MAX_HEADER): what SQL scans fetch
_TAG_AND_NONCE = {RANDOMIZED: 28, DETERMINISTIC: 16}
NOT_DECRYPTING = ("pre-active", "destroyed")  # the states whose keys cannot decrypt (a state not known here counts as decrypting)


# ---------------------------------------------------------------- envelope header
def header(mode: int, version: int) -> bytes:
    """The header bytes an envelope of ``mode`` under ``version`` starts with (for SQL prefix filters)."""
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
    """(mode, key version, header length) of an envelope, as the core parses it (phi_field_header);
    FormatError when it is not one."""
    mode, version, plaintext_length = phicrypto.field_header(envelope)
    return mode, version, len(envelope) - plaintext_length - _TAG_AND_NONCE[mode]


def header_versions(prefixes: list) -> list:
    """The key version each envelope (or its first ``MAX_HEADER`` bytes, what SQL scans fetch) names,
    read by the core in one call (phicrypto.field_versions); None where a header is malformed."""
    return phicrypto.field_versions(prefixes)


# ---------------------------------------------------------------- the store's tables
# One definition: src/PhiCrypto.Postgres/schema.sql, copied for Python into migrations/_store_schema.py
# (StoreSchemaCopyTests fails when the copy is stale).
from .migrations._store_schema import STORE_DDL, STORE_DROP  # noqa: E402,F401 (re-exported for recovery)

STORE_TABLES = ("phicrypto_key_records", "phicrypto_key_audit", "phicrypto_key_settings")


# ---------------------------------------------------------------- KEK sources
@dataclass(frozen=True)
class KekSource:
    """Where the KEK comes from: ``env:NAME``, ``passphrase-env:NAME``, ``passphrase-file:PATH`` or a
    ``pkcs11:`` URI (RFC 7512; PIN in PHICRYPTO_PKCS11_PIN). The spec names where a secret is, never
    the secret, so settings, ``diffsettings``, error pages, argv and repr() cannot show one."""
    spec: str

    def native(self) -> tuple[str, str | None]:
        """(kek, passphrase) as phicrypto.Keyring takes them."""
        kind, _, rest = self.spec.partition(":")
        if kind == "env" and rest:
            return self.spec, None
        if kind in ("passphrase-env", "passphrase-file") and rest:
            return "passphrase", _passphrase(kind, rest)
        if kind == "pkcs11" and "pin-value" not in rest.lower():
            return self.spec, None
        # The spec may hold a secret here (passphrase:TEXT, a pin-value): never echo it.
        raise ValueError("KEK source must be env:NAME, passphrase-env:NAME, passphrase-file:PATH or a pkcs11: URI "
                         "without pin-value (a passphrase or PIN is never taken from settings or arguments)")


def _passphrase(kind: str, where: str) -> str:
    if kind == "passphrase-env":
        phrase = os.environ.get(where, "")
        if not phrase:
            raise KeyNotFoundError(f"the KEK passphrase variable {where} is not set")
        return phrase
    try:
        with open(where, encoding="utf-8") as f:
            phrase = f.read().rstrip("\r\n")
    except OSError as err:
        raise KeyNotFoundError(f"the KEK passphrase file {where} cannot be read ({err.strerror})") from None
    if not phrase:
        raise KeyNotFoundError(f"the KEK passphrase file {where} is empty")
    return phrase


@dataclass
class VersionInfo:
    purpose: str
    version: int
    state: str
    created: datetime
    kek_id: str


@sensitive_variables()  # error reports (DEBUG off) hide the locals of this frame and every frame below it
def open_keyring(url: str, kek: KekSource) -> phicrypto.Keyring:
    """Opens the keyring of the store; never creates one (a restore that forgot the key tables must
    not start a new keyring whose versions later collide with the real ones)."""
    spec, phrase = kek.native()
    try:
        return phicrypto.Keyring.open(url, spec, phrase)
    except KeyNotFoundError:
        raise KeyNotFoundError("the PostgreSQL key store (PHICRYPTO['STORE']) holds no keyring: create one with "
                               "`manage.py phicrypto keys init`") from None


@sensitive_variables()
def create_keyring(url: str, kek: KekSource) -> None:
    """The explicit act behind `manage.py phicrypto keys init`: starts a keyring in an empty store
    (a store that has one is left as it is). Two processes at once: the loser's initialization is
    refused (the store is no longer empty) and the winner's keyring stands."""
    spec, phrase = kek.native()
    try:
        phicrypto.Keyring.create(url, spec, phrase).close()
    except phicrypto.PolicyError:
        phicrypto.Keyring.open(url, spec, phrase).close()


class Engine:
    """The keyring over a PostgreSQL store: encrypt/decrypt by purpose, search, rotate, rewrap.

    Thread-safe (the native keyring reads an immutable snapshot). Version bookkeeping for the app
    (which versions exist, which is active) is a copy of ``Keyring.describe()`` refreshed by reload."""

    def __init__(self, url: str, kek: KekSource):
        self._ring = open_keyring(url, kek)
        self._active: dict[str, int] = {}
        self._infos: list[VersionInfo] = []
        self._describe()

    def close(self) -> None:
        self._ring.close()

    def _describe(self) -> None:
        infos, active = [], {}
        for purpose, versions in sorted(self._ring.describe()["purposes"].items()):
            for v in versions:
                infos.append(VersionInfo(purpose, v["version"], v["state"], datetime.fromisoformat(v["created"].replace("Z", "+00:00")), v["kek_id"]))
                if v["state"] == "active":
                    active[purpose] = v["version"]
        self._infos, self._active = infos, active
        self._may_decrypt = Counter(i.purpose for i in infos if i.state not in NOT_DECRYPTING)

    # ---- loading
    def reload(self) -> None:
        """Re-reads the store (versions and states changed by other processes)."""
        self._ring.reload()
        self._describe()

    # ---- queries
    def active_version(self, purpose: str) -> int | None:
        return self._active.get(purpose)

    def decrypting_versions(self, purpose: str) -> int:
        """At most how many versions can decrypt (compromised ones counted: some keyrings allow them)."""
        return self._may_decrypt[purpose]

    def versions(self, purpose: str | None = None) -> list[VersionInfo]:
        return [i for i in self._infos if purpose is None or i.purpose == purpose]

    def source(self, purpose: str) -> phicrypto.KeySource:
        """The purpose's key source (blind indexes and FF1: phicrypto.django.search, fpe)."""
        return self._ring.source(purpose)

    # ---- field crypto: the purpose's key source (the key version is its active one, or the one the envelope names)
    def encrypt(self, purpose: str, plaintext: bytes, deterministic: bool) -> bytes:
        return self._ring.source(purpose).encrypt(plaintext, deterministic)

    def decrypt(self, purpose: str, envelope: bytes) -> bytes:
        return self._ring.source(purpose).decrypt(envelope)

    def encrypt_many(self, purpose: str, values: Sequence[bytes], deterministic: bool) -> list[bytes]:
        """One native call for the whole batch (the core spreads big batches over the cores)."""
        return self._ring.source(purpose).encrypt_fields(values, deterministic) if values else []

    def decrypt_many(self, purpose: str, envelopes: Sequence[bytes]) -> list:
        """One result per envelope, of any key versions: the plaintext bytes, or the PhiCryptoError it
        raised (one bad row does not hide the others). One native call."""
        return self._ring.source(purpose).decrypt_fields(envelopes, errors="return") if envelopes else []

    # ---- row-bound field crypto (randomized; ``ad`` names the row: phicrypto.django.binding)
    def encrypt_bound(self, purpose: str, plaintext: bytes, ad: bytes) -> bytes:
        return self._ring.encrypt(purpose, plaintext, False, ad)

    def decrypt_bound(self, purpose: str, envelope: bytes, ad: bytes) -> bytes:
        return self._ring.decrypt(purpose, envelope, ad)

    def search(self, purpose: str, plaintext: bytes) -> list[bytes]:
        """The deterministic envelopes of ``plaintext`` under every version that can still decrypt."""
        try:
            return self._ring.search_ciphertexts(purpose, plaintext)
        except KeyNotFoundError:  # no key for the purpose yet: nothing can match
            return []

    # ---- lifecycle (each change is one commit of the store, with its audit events)
    def ensure(self, purposes: Iterable[str]) -> list[str]:
        """Creates version 1 of each purpose that has no key yet; returns the purposes created."""
        self.reload()
        have = {i.purpose for i in self._infos}
        created = []
        for purpose in purposes:
            if purpose in have:
                continue
            try:
                self._ring.add_purpose(purpose)
                created.append(purpose)
            except ValueError:  # another process created it since the reload
                pass
            have.add(purpose)
        self.reload()
        return created

    def rotate(self, purpose: str) -> int:
        """Adds a new active version; the previous one is deactivated (still decrypts). When another
        process rotated at the same moment, its new version is the answer (no second one is made)."""
        version = self._ring.rotate(purpose)
        self._describe()
        return version

    def set_state(self, purpose: str, version: int, state: str, reason: str) -> None:
        """Moves a version along the SP 800-57 lifecycle (the core refuses a forbidden transition)."""
        self._ring.set_state(purpose, version, state, reason)
        self.reload()

    @sensitive_variables()
    def rewrap(self, new_kek: KekSource) -> int:
        """Re-wraps every DEK under ``new_kek`` (no data is re-encrypted); returns the count."""
        count = self._ring.rewrap(*new_kek.native())
        self._describe()
        return count

    def verify_audit(self) -> tuple[bool, int, str]:
        """Checks the hash chain of the key audit trail: (intact, records, message)."""
        v = self._ring.verify_audit()
        return v["valid"], v["count"], v["message"]
