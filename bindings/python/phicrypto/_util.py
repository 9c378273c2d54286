"""Argument checks shared by the modules: caller mistakes raise TypeError or ValueError here."""
from __future__ import annotations

from typing import Any

from ._ffi import ffi

Buffer = bytes | bytearray | memoryview


def as_buffer(value: object, name: str) -> Any:
    """bytes pass through (cffi reads them in place); other buffers are passed zero-copy."""
    if type(value) is bytes:
        return value
    if isinstance(value, (bytearray, memoryview)):
        return ffi.from_buffer("uint8_t[]", value)
    if isinstance(value, bytes):
        return bytes(value)
    raise TypeError(f"{name} must be bytes, bytearray or memoryview, not {type(value).__name__}")


def as_optional_buffer(value: object, name: str) -> Any:
    """Like as_buffer; None becomes an empty input."""
    return b"" if value is None else as_buffer(value, name)
