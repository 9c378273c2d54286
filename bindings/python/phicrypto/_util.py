"""Argument checks shared by the modules: caller mistakes raise TypeError or ValueError here."""
from __future__ import annotations

from typing import Any

from ._errors import ERR_BUFFER_TOO_SMALL, raise_for
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


def call_sized(fn: Any, *args: Any, guess: int = 64, ctype: str = "uint8_t[]") -> tuple[Any, int]:
    """Calls a C function with the (out, out_len) convention, growing the buffer once if the library
    says it is too small; returns (buffer, length written)."""
    length = ffi.new("size_t *", guess)
    out = ffi.new(ctype, guess)
    rc = fn(*args, out, length)
    if rc == ERR_BUFFER_TOO_SMALL:
        out = ffi.new(ctype, length[0])
        rc = fn(*args, out, length)
    if rc:
        raise_for(rc)
    return out, int(length[0])


def call_for_bytes(fn: Any, *args: Any, guess: int = 64) -> bytes:
    out, n = call_sized(fn, *args, guess=guess)
    return ffi.buffer(out, n)[:]  # type: ignore[no-any-return]


def call_for_text(fn: Any, *args: Any, guess: int = 1024) -> str:
    out, _ = call_sized(fn, *args, guess=guess, ctype="char[]")
    return ffi.string(out).decode("utf-8")  # type: ignore[no-any-return]
