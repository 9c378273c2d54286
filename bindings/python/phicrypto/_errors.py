"""Exceptions, and the mapping from the C ABI's status codes (phicrypto.h) to them."""
from __future__ import annotations

from typing import NoReturn

from . import _cdef
from ._ffi import ffi, lib

# Status codes: generated from interop/abi.json (PHI_* in phicrypto.h, PhiStatus in the C# core).
OK = _cdef.PHI_OK
ERR_INVALID_ARGUMENT = _cdef.PHI_ERR_INVALID_ARGUMENT
ERR_BUFFER_TOO_SMALL = _cdef.PHI_ERR_BUFFER_TOO_SMALL
ERR_AUTHENTICATION = _cdef.PHI_ERR_AUTHENTICATION
ERR_KEY_NOT_FOUND = _cdef.PHI_ERR_KEY_NOT_FOUND
ERR_MALFORMED = _cdef.PHI_ERR_MALFORMED
ERR_POLICY = _cdef.PHI_ERR_POLICY
ERR_IO = _cdef.PHI_ERR_IO
ERR_WRONG_KEK = _cdef.PHI_ERR_WRONG_KEK
ERR_CONFLICT = _cdef.PHI_ERR_CONFLICT
ERR_CRYPTO_PROVIDER = _cdef.PHI_ERR_CRYPTO_PROVIDER
ERR_INTERNAL = _cdef.PHI_ERR_INTERNAL


class PhiCryptoError(Exception):
    """Base class of every error phicrypto raises on purpose (not of ValueError/TypeError for caller mistakes).

    ``status`` is the C ABI status code (by default the class's ``STATUS``). Messages never contain
    key bytes or plaintext.
    """

    STATUS = ERR_INTERNAL

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = self.STATUS if status is None else status


class AuthenticationError(PhiCryptoError):
    """A tag, key unwrap, key check value or commitment did not verify: wrong key, wrong purpose or
    associated data, or tampered data. No plaintext is released. Nothing else raises it (a failing
    crypto provider is a CryptoProviderError)."""

    STATUS = ERR_AUTHENTICATION


class KeyNotFoundError(PhiCryptoError):
    """The key version (or purpose) that the data names is not available."""

    STATUS = ERR_KEY_NOT_FOUND


class FormatError(PhiCryptoError):
    """Bytes that do not follow the documented format: not an envelope, truncated, unknown version."""

    STATUS = ERR_MALFORMED


class PolicyError(PhiCryptoError):
    """Forbidden by policy: a non-approved algorithm in FIPS mode, a key usage limit, a key state."""

    STATUS = ERR_POLICY


class WrongKekError(PhiCryptoError):
    """The key-encryption key is not the one the key record was wrapped under."""

    STATUS = ERR_WRONG_KEK


class IoError(PhiCryptoError, OSError):
    """Reading or writing a file, descriptor or key store failed."""

    STATUS = ERR_IO


class ConflictError(PhiCryptoError):
    """A concurrent change to the key store won; retry."""

    STATUS = ERR_CONFLICT


class CryptoProviderError(PhiCryptoError):
    """The cryptographic provider (OpenSSL, its FIPS provider) refused or failed an operation: an
    algorithm the configured provider does not offer, a failing random generator. Not a statement
    about the data: fix the provider configuration (openssl.cnf, OPENSSL_CONF) and retry."""

    STATUS = ERR_CRYPTO_PROVIDER


class KeySizeError(ValueError):
    """A key of a size no operation takes, refused where the key is made (not later, where it is used)."""


_BY_STATUS: dict[int, type[PhiCryptoError]] = {
    ERR_AUTHENTICATION: AuthenticationError,
    ERR_KEY_NOT_FOUND: KeyNotFoundError,
    ERR_MALFORMED: FormatError,
    ERR_POLICY: PolicyError,
    ERR_WRONG_KEK: WrongKekError,
    ERR_CONFLICT: ConflictError,
    ERR_CRYPTO_PROVIDER: CryptoProviderError,
    ERR_IO: IoError,
}


def last_error() -> str:
    """The calling thread's last error message from the library."""
    size = ffi.new("size_t *", 256)
    buf = ffi.new("char[]", 256)
    rc = lib.phi_last_error(buf, size)
    if rc == ERR_BUFFER_TOO_SMALL:
        buf = ffi.new("char[]", size[0])
        rc = lib.phi_last_error(buf, size)
    return ffi.string(buf).decode("utf-8", "replace") if rc == OK else ""


def error_for(status: int, message: str | None = None) -> Exception:
    """The exception for a failed call's status (reads the thread's last error unless given)."""
    if message is None:
        message = last_error()
    if status == ERR_INVALID_ARGUMENT:
        return ValueError(message)
    return _BY_STATUS.get(status, PhiCryptoError)(message, status)


def raise_for(status: int) -> NoReturn:
    """Raises the exception for a failed call: call right after it, on the same thread."""
    raise error_for(status)
