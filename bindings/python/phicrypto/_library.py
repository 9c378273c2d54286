"""Library information: version and FIPS status."""
from __future__ import annotations

from typing import NamedTuple

from ._errors import raise_for
from ._ffi import ffi, lib


class FipsStatus(NamedTuple):
    """``mode``: FIPS mode is on (OpenSSL only, approved algorithms only). ``provider``: OpenSSL's
    FIPS provider is available (``None`` when OpenSSL could not be asked)."""

    mode: bool
    provider: bool | None


def native_version() -> str:
    """The version of the loaded libphicrypto.so."""
    buf = ffi.new("char[]", 64)
    size = ffi.new("size_t *", 64)
    rc = lib.phi_version(buf, size)
    if rc:
        raise_for(rc)
    return ffi.string(buf).decode()


def fips_status() -> FipsStatus:
    """Whether FIPS mode is on, and whether OpenSSL's FIPS provider is available."""
    mode = ffi.new("int32_t *")
    provider = ffi.new("int32_t *")
    rc = lib.phi_fips_status(mode, provider)
    if rc:
        raise_for(rc)
    return FipsStatus(bool(mode[0]), None if provider[0] < 0 else bool(provider[0]))


def enable_fips() -> None:
    """Turns FIPS mode on for the rest of the process (also: environment PHICRYPTO_FIPS=1 before
    import). Call it before creating keys."""
    rc = lib.phi_fips_enable()
    if rc:
        raise_for(rc)
