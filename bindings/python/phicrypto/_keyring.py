"""Keyring: versioned data-encryption keys per purpose, wrapped under a key-encryption key (KEK).

A purpose names what a key protects: a column ("clinic.Patient.ssn") or a kind of file ("files").
:meth:`Keyring.source` gives the KeySource of one purpose, which every field and stream call takes:
it encrypts under the purpose's active version and decrypts only that purpose's versions. The
envelope names its version, so after :meth:`Keyring.rotate` old values still decrypt and nothing has
to be re-encrypted. Creating a keyring is an explicit act (:meth:`Keyring.create`); :meth:`open`
of an empty or missing store raises KeyNotFoundError. :meth:`rewrap`
rotates the KEK by re-wrapping the DEK records only. The store is a JSON file or a PostgreSQL
database (``postgresql://`` URL); the KEK comes from the environment, a passphrase or a PKCS#11 token.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import IO, Any

from ._cdef import PHI_KEYRING_CREATE
from ._errors import raise_for
from ._ffi import ffi, lib
from ._fields import Value
from ._sources import KeySource
from ._streams import DEFAULT_CHUNK_SIZE, Context, EncryptedFile, open_encrypted, stream_decrypt, stream_encrypt
from ._util import Buffer, call_for_text


def _text(value: str | None, name: str) -> Any:
    if value is None:
        return ffi.NULL
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str")
    if "\0" in value:
        raise ValueError(f"{name} contains NUL")
    return value.encode("utf-8")


def _purpose_str(purpose: object) -> str:
    # Decryption is bound to one purpose: the purpose comes first (it used to be absent).
    if not isinstance(purpose, str):
        raise TypeError("the purpose (a str) comes first: decryption through a keyring is bound to one purpose")
    return purpose


def _purpose(purpose: str) -> bytes:
    if not isinstance(purpose, str):
        raise TypeError("purpose must be a str")
    if not purpose or "\0" in purpose:
        raise ValueError("purpose must be non-empty and contain no NUL")
    return purpose.encode("utf-8")


class Keyring:
    """A keyring opened from its store. Thread-safe: share one per process.

    ``location``: a JSON file path or ``postgresql://`` URL (default ``$PHICRYPTO_KEYRING`` or
    ``~/.phicrypto/keyring.json``). ``kek``: ``"env"`` (``$PHICRYPTO_MASTER_KEY``, base64 of 32
    bytes), ``"env:VARIABLE"``, ``"passphrase"`` (give ``passphrase=``) or a ``"pkcs11:..."`` URI
    (default ``$PHICRYPTO_KEK`` or ``"env"``). Opening never creates: use :meth:`create`.
    """

    def __init__(self, location: str | None = None, kek: str | None = None, passphrase: str | None = None) -> None:
        self._open(location, kek, passphrase, 0)

    def _open(self, location: str | None, kek: str | None, passphrase: str | None, flags: int) -> None:
        self._ptr = None
        self._sources: dict[str, KeySource] = {}
        out = ffi.new("phi_keyring **")
        rc = lib.phi_keyring_open(_text(location, "location"), _text(kek, "kek"), _text(passphrase, "passphrase"), flags, out)
        if rc:
            raise_for(rc)
        self._ptr = ffi.gc(out[0], lib.phi_keyring_free)

    @classmethod
    def open(cls, location: str | None = None, kek: str | None = None, passphrase: str | None = None) -> Keyring:
        """Opens an existing keyring; an empty or missing store raises KeyNotFoundError (see :meth:`create`)."""
        return cls(location, kek, passphrase)

    @classmethod
    def create(cls, location: str | None = None, kek: str | None = None, passphrase: str | None = None) -> Keyring:
        """Creates a keyring (without purposes) in an empty store, the explicit act; when the store
        already holds one, opens it. Same arguments as :meth:`open`."""
        keyring = cls.__new__(cls)
        keyring._open(location, kek, passphrase, PHI_KEYRING_CREATE)
        return keyring

    @property
    def _handle(self) -> Any:
        if self._ptr is None:
            raise ValueError("the keyring is closed")
        return self._ptr

    def close(self) -> None:
        """Releases the keyring (and the sources it gave) and zeroes its key material. Idempotent."""
        ptr, self._ptr = self._ptr, None
        sources, self._sources = list(self._sources.values()), {}
        for source in sources:
            source.close()
        if ptr is not None:
            ffi.release(ptr)

    def source(self, purpose: str) -> KeySource:
        """The KeySource of ``purpose`` (one per purpose, kept until :meth:`close`): its active version
        encrypts, and only its versions decrypt."""
        source = self._sources.get(purpose)
        if source is None:
            source = self._sources.setdefault(purpose, KeySource._from_keyring(self._handle, purpose, self))
        return source

    def __enter__(self) -> Keyring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- lifecycle

    def add_purpose(self, purpose: str) -> int:
        """Creates ``purpose`` with an active version 1; returns 1."""
        version = ffi.new("uint32_t *")
        rc = lib.phi_keyring_add_purpose(self._handle, _purpose(purpose), version)
        if rc:
            raise_for(rc)
        return int(version[0])

    def rotate(self, purpose: str) -> int:
        """Adds a new active version of ``purpose`` (the previous one still decrypts); returns it."""
        version = ffi.new("uint32_t *")
        rc = lib.phi_keyring_rotate(self._handle, _purpose(purpose), version)
        if rc:
            raise_for(rc)
        return int(version[0])

    def set_state(self, purpose: str, version: int, state: str, reason: str | None = None) -> None:
        """Moves ``version`` of ``purpose`` to ``state`` ("pre-active", "active", "deactivated",
        "compromised", "destroyed") along a NIST SP 800-57 transition; ``reason`` goes into the audit
        event. A forbidden transition (or "destroyed", a deliberate CLI act) raises PolicyError, an
        unknown version KeyNotFoundError. The same state again is a no-op."""
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 0xFFFFFFFF:
            raise ValueError("version must be an int in 1..4294967295")
        rc = lib.phi_keyring_set_state(self._handle, _purpose(purpose), version, _text(state, "state"), _text(reason, "reason"))
        if rc:
            raise_for(rc)

    def rewrap(self, kek: str, passphrase: str | None = None) -> int:
        """Rotates the KEK: re-wraps every DEK record under ``kek`` (same syntax as for opening).
        No data is re-encrypted. Returns the number of records re-wrapped."""
        count = ffi.new("size_t *")
        rc = lib.phi_keyring_rewrap(self._handle, _text(kek, "kek"), _text(passphrase, "passphrase"), count)
        if rc:
            raise_for(rc)
        return int(count[0])

    def reload(self) -> None:
        """Re-reads the store: versions and states changed by other processes. (Decrypting a value of
        an unknown version already reloads once by itself.)"""
        rc = lib.phi_keyring_reload(self._handle)
        if rc:
            raise_for(rc)

    def verify_audit(self) -> dict[str, Any]:
        """Re-reads the store and checks the hash chain of its audit trail: a dict with "valid",
        "count", "broken_at" (sequence number or None) and "message"."""
        return json.loads(call_for_text(lib.phi_keyring_audit_verify, self._handle, guess=512))  # type: ignore[no-any-return]

    def describe(self, purpose: str | None = None) -> dict[str, Any]:
        """The KEK's id and check value and every version of every purpose (or of ``purpose``),
        with states and timestamps. No key bytes."""
        p = ffi.NULL if purpose is None else _purpose(purpose)
        return json.loads(call_for_text(lib.phi_keyring_list, self._handle, p, guess=16384))  # type: ignore[no-any-return]

    @property
    def purposes(self) -> list[str]:
        """The purposes in the keyring."""
        return sorted(self.describe()["purposes"])

    def versions(self, purpose: str) -> list[dict[str, Any]]:
        """The versions of ``purpose``, each a dict with "version", "state", timestamps, "kek_id"."""
        return self.describe(purpose)["purposes"][purpose]  # type: ignore[no-any-return]

    # ---- fields (through the purpose's KeySource)

    def encrypt(self, purpose: str, value: Value | None, deterministic: bool = False, ad: Buffer | str | None = None) -> bytes | None:
        """Encrypts a column value (str as UTF-8, or bytes) under the active version of ``purpose``;
        ``None`` stays ``None``."""
        return self.source(purpose).encrypt(value, deterministic, ad)

    def decrypt(self, purpose: str, ciphertext: Buffer | None, ad: Buffer | str | None = None, *, text: bool = False) -> bytes | str | None:
        """Decrypts with the version the envelope names; ``None`` stays ``None``; ``text=True``
        returns str."""
        return self.source(purpose).decrypt(ciphertext, ad, text=text)

    def encrypt_fields(self, purpose: str, values: Iterable[Value | None], deterministic: bool = False,
                       ad: Buffer | str | None = None) -> list[bytes | None]:
        """Encrypts many values in one native call under the active version; ``None`` stays ``None``."""
        return self.source(purpose).encrypt_fields(values, deterministic, ad)

    def decrypt_fields(self, purpose: str, ciphertexts: Iterable[Buffer | None], ad: Buffer | str | None = None,
                       *, text: bool = False) -> list[Any]:
        """Decrypts many envelopes (of any versions) in one native call; raises for the first bad one."""
        return self.source(purpose).decrypt_fields(ciphertexts, ad, text=text)

    def search_ciphertexts(self, purpose: str, value: Value, ad: Buffer | str | None = None) -> list[bytes]:
        """The deterministic ciphertexts of ``value`` under every version that can still decrypt,
        newest first: filter with ``column__in=...`` to find rows written before a rotation."""
        return self.source(purpose).search_ciphertexts(value, ad)

    # ---- files (through the purpose's KeySource)

    def stream_encrypt(self, purpose: str, infile: IO[bytes], outfile: IO[bytes], chunk_size: int = DEFAULT_CHUNK_SIZE,
                       context: Context | None = None, *, signed: bool = False) -> int:
        """Like :func:`phicrypto.stream_encrypt`, with the message's data key wrapped under the active
        version of ``purpose`` (key name "purpose/vN" in the header). Returns the plaintext bytes."""
        return stream_encrypt(infile, outfile, self.source(_purpose_str(purpose)), chunk_size, context, signed=signed)

    def stream_decrypt(self, purpose: str, infile: IO[bytes], outfile: IO[bytes], *, expected_context: Context | None = None,
                       allow_legacy: bool = False, verify_first: bool = False) -> Context:
        """Like :func:`phicrypto.stream_decrypt`, with the version of ``purpose`` the message names; a
        message under another purpose's key raises KeyNotFoundError."""
        return stream_decrypt(infile, outfile, self.source(_purpose_str(purpose)), expected_context=expected_context,
                              allow_legacy=allow_legacy, verify_first=verify_first)

    def open_encrypted(self, purpose: str, path_or_fileobj: str | os.PathLike[str] | IO[bytes], *,
                       expected_context: Context | None = None, allow_legacy: bool = False,
                       verify_first: bool = False) -> EncryptedFile:
        """Like :func:`phicrypto.open_encrypted`, with the version of ``purpose`` the file names."""
        return open_encrypted(path_or_fileobj, self.source(_purpose_str(purpose)), expected_context=expected_context,
                              allow_legacy=allow_legacy, verify_first=verify_first)

    def __repr__(self) -> str:
        return "<phicrypto.Keyring closed>" if self._ptr is None else "<phicrypto.Keyring>"
