"""Streaming encryption of files, documents and backups.

The format is the AWS Encryption SDK message format, version 2 (a published standard that other
software reads): AES-256-GCM frames with HKDF-SHA-512 and key commitment (suite 0x0478), a fresh data
key per message wrapped under your key source (raw AES keyring form, namespace "phicrypto", name "raw"
for a Key, "purpose/vN" for a Keyring purpose). Decryption unwraps only with the source's own
versions, and checks an ``expected_context`` before any plaintext is released.
Memory stays bounded by a few frames whatever the file size.

Safe defaults on decryption: a message whose suite does not commit to its data key (every format-v1
suite, written by old SDKs) is refused with PolicyError unless ``allow_legacy=True``.
SIGNED MESSAGES (``signed=True``, suite 0x0578): frames are released (written to ``outfile``, or
returned by reads) as soon as their own tag verified, BEFORE the footer signature is checked; a bad
signature then raises only at the end, after plaintext was released. Pass ``verify_first=True`` to
release nothing before the signature verified (the message is read twice: in place when seekable,
else from a temporary copy of the ciphertext in the temp folder).
``compress="zstd"`` compresses before encrypting, in zstd's seekable format (independent frames and a
seek table): the authenticated context says so ("phicrypto:content-encoding": "zstd-seekable"),
``stream_decrypt`` and ``open_encrypted`` decompress (ranges map through the seek table), and other
Encryption SDKs decrypt such a message to a stream that a plain ``zstd -d`` restores.

Real files take the fast path: the native library reads and writes their descriptors itself and
encrypts frames on every core, with the GIL released. Other file objects (BytesIO, sockets wrapped
in Python, S3 bodies) go through push mode: Python reads, the library encrypts, Python writes.
"""
from __future__ import annotations

import io
import json
import os
from typing import IO, Any

from ._cdef import PHI_DECRYPT_ALLOW_LEGACY, PHI_DECRYPT_VERIFY_FIRST, PHI_INSPECT_HEADER_ONLY
from ._cdef import PHI_STREAM_SIGNED as SIGNED
from ._errors import raise_for
from ._ffi import ffi, lib
from ._fields import DEFAULT_PURPOSE
from ._keys import Key
from ._sources import KeySource
from ._util import call_for_text

DEFAULT_CHUNK_SIZE = 64 * 1024
_ENCODING_KEY = "phicrypto:content-encoding"
_PULL = 256 * 1024
_raw_alloc = ffi.new_allocator(should_clear_after_alloc=False)

Context = dict[str, str]


def _context_json(context: Context | None) -> Any:
    if context is None:
        return ffi.NULL
    if not isinstance(context, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in context.items()):
        raise TypeError("context must be a dict of str to str")
    return json.dumps(context, ensure_ascii=False).encode("utf-8")


def _source(key: object) -> Any:
    """The source handle of a Key (its default source: messages name a raw key "raw") or KeySource."""
    if isinstance(key, KeySource):
        return key.handle
    if isinstance(key, Key):
        return key._handle_for(DEFAULT_PURPOSE)
    raise TypeError(f"key must be a phicrypto.Key or KeySource, not {type(key).__name__}")


def _decrypt_flags(allow_legacy: bool, verify_first: bool) -> int:
    if not isinstance(allow_legacy, bool) or not isinstance(verify_first, bool):
        raise TypeError("allow_legacy and verify_first must be bool")
    return (PHI_DECRYPT_ALLOW_LEGACY if allow_legacy else 0) | (PHI_DECRYPT_VERIFY_FIRST if verify_first else 0)


def _check_binary(f: object, name: str) -> None:
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"{name} must be opened in binary mode")


def _descriptor(f: object, reading: bool) -> int | None:
    """The file's descriptor if the native library may use it directly, else None."""
    try:
        fd = f.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    if reading:
        # Python may hold read-ahead bytes; on a seekable file the descriptor is moved to the
        # logical position, on a pipe only an unbuffered FileIO is safe.
        if f.seekable():  # type: ignore[attr-defined]
            os.lseek(fd, f.tell(), os.SEEK_SET)  # type: ignore[attr-defined]
        elif not isinstance(f, io.FileIO):
            return None
    else:
        f.flush()  # type: ignore[attr-defined]
    return int(fd)


def _resync(f: Any, fd: int) -> None:
    """After the library moved the descriptor, make the Python object's position agree."""
    try:
        if f.seekable():
            f.seek(os.lseek(fd, 0, os.SEEK_CUR))
    except OSError:
        pass


def stream_encrypt(infile: IO[bytes], outfile: IO[bytes], key: Key | KeySource, chunk_size: int = DEFAULT_CHUNK_SIZE,
                   context: Context | None = None, *, signed: bool = False, compress: str | None = None) -> int:
    """Encrypts everything from ``infile`` (read to its end) into ``outfile``; returns the number of
    plaintext bytes. ``key`` is a Key or a KeySource (``keyring.source("files")``).

    ``chunk_size`` is the frame length (4 KiB to 16 MiB; the unit of random access).
    ``context`` is authenticated metadata stored in the clear (file name, content type, patient
    reference: no secrets). ``signed=True`` adds an ECDSA P-384 signature (suite 0x0578).
    ``compress="zstd"`` compresses first (zstd seekable format, 1 MiB frames);
    the return value is still the uncompressed length.
    On failure ``outfile`` holds an incomplete message: discard it.
    """
    source = _source(key)
    _check_binary(infile, "infile")
    _check_binary(outfile, "outfile")
    if not isinstance(chunk_size, int):
        raise TypeError("chunk_size must be an int")
    if compress not in (None, "zstd"):
        raise ValueError('compress must be None or "zstd"')
    ctx = _context_json(dict(context or {}, **{_ENCODING_KEY: "zstd-seekable"}) if compress else context)
    flags = SIGNED if signed else 0
    in_fd, out_fd = _descriptor(infile, True), _descriptor(outfile, False)
    if in_fd is not None and out_fd is not None:
        total = ffi.new("uint64_t *")
        rc = lib.phi_stream_encrypt_fd(source, in_fd, out_fd, chunk_size, ctx, flags, total)
        _resync(infile, in_fd)
        _resync(outfile, out_fd)
        if rc:
            raise_for(rc)
        return int(total[0])
    out = ffi.new("phi_stream **")
    rc = lib.phi_stream_encryptor_new(source, chunk_size, ctx, flags, out)
    if rc:
        raise_for(rc)
    with _PushStream(out[0]) as stream:
        total_in = 0
        while True:
            data = infile.read(max(chunk_size, DEFAULT_CHUNK_SIZE))
            if not data:
                break
            total_in += len(data)
            stream.push(data)
            stream.drain_to(outfile)
        stream.finish()
        stream.drain_to(outfile)
    return total_in


def stream_decrypt(infile: IO[bytes], outfile: IO[bytes], key: Key | KeySource, *,
                   expected_context: Context | None = None, allow_legacy: bool = False,
                   verify_first: bool = False) -> Context:
    """Decrypts the message read from ``infile`` into ``outfile``; returns its authenticated
    encryption context. ``key`` is a Key or a KeySource: a keyring purpose decrypts only messages
    under its own versions (KeyNotFoundError for another purpose's).

    ``expected_context``: pairs the message must carry, checked while the header is read, before any
    plaintext (PolicyError on a mismatch). Every frame is verified before its plaintext is written.
    A truncated, reordered or altered message raises (AuthenticationError or FormatError) and leaves
    ``outfile`` incomplete: discard it.

    ``allow_legacy=True`` also reads suites without key commitment (old SDKs' files; refused with
    PolicyError by default). For a signed message, frames reach ``outfile`` before the footer
    signature is checked unless ``verify_first=True``.
    """
    source = _source(key)
    _check_binary(infile, "infile")
    _check_binary(outfile, "outfile")
    expected = _context_json(expected_context)
    flags = _decrypt_flags(allow_legacy, verify_first)
    in_fd, out_fd = _descriptor(infile, True), _descriptor(outfile, False)
    if in_fd is not None and out_fd is not None:
        # Room for any context: headers are limited to 1 MiB (JSON escaping at most quadruples it).
        capacity = 4 * 1024 * 1024 + 64
        length = ffi.new("size_t *", capacity)
        buf = _raw_alloc("char[]", capacity)
        rc = lib.phi_stream_decrypt_fd(source, in_fd, out_fd, expected, flags, buf, length)
        _resync(infile, in_fd)
        _resync(outfile, out_fd)
        if rc:
            raise_for(rc)
        return json.loads(ffi.string(buf).decode("utf-8"))  # type: ignore[no-any-return]
    out = ffi.new("phi_stream **")
    rc = lib.phi_stream_decryptor_new(source, expected, flags, out)
    if rc:
        raise_for(rc)
    with _PushStream(out[0]) as stream:
        while True:
            data = infile.read(DEFAULT_CHUNK_SIZE)
            if not data:
                break
            stream.push(data)
            stream.drain_to(outfile)
        stream.finish()
        stream.drain_to(outfile)
        return stream.context()


class _PushStream:
    """A phi_stream handle used from Python: push, drain, finish."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ffi.gc(ptr, lib.phi_stream_free)
        self._buf = _raw_alloc("uint8_t[]", _PULL)
        self._len = ffi.new("size_t *")

    def push(self, data: bytes) -> None:
        rc = lib.phi_stream_push(self._ptr, data, len(data))
        if rc:
            raise_for(rc)

    def finish(self) -> None:
        rc = lib.phi_stream_finish(self._ptr)
        if rc:
            raise_for(rc)

    def drain_to(self, outfile: IO[bytes]) -> None:
        while True:
            self._len[0] = _PULL
            rc = lib.phi_stream_pull(self._ptr, self._buf, self._len)
            if rc:
                raise_for(rc)
            n = self._len[0]
            if n == 0:
                return
            outfile.write(ffi.buffer(self._buf, n)[:])

    def context(self) -> Context:
        return json.loads(call_for_text(lib.phi_stream_context, self._ptr))  # type: ignore[no-any-return]

    def __enter__(self) -> _PushStream:
        return self

    def __exit__(self, *exc: object) -> None:
        ffi.release(self._ptr)


class EncryptedFile(io.RawIOBase):
    """A seekable, read-only file object over the plaintext of an encrypted file.

    Each read decrypts only the frames it touches (each verified by its tag); seeking is arithmetic
    on the frame length. A signed message's signature is not checked by random reads unless it was
    opened with ``verify_first=True`` (then it is checked once, at open). Thread-safe reads are not
    guaranteed by io: one reader per thread.
    """

    def __init__(self, fd: int, owned: bool, source: Any, expected_context: Context | None, fileobj: object = None,
                 flags: int = 0) -> None:
        # Made by open_encrypted(): `source` is a phi_source handle.
        super().__init__()
        self._fd, self._owned, self._fileobj = fd, owned, fileobj
        self._pos = 0
        out = ffi.new("phi_reader **")
        rc = lib.phi_reader_open_fd(source, fd, _context_json(expected_context), flags, out)
        if rc:
            if owned:
                os.close(fd)
            raise_for(rc)
        self._reader = ffi.gc(out[0], lib.phi_reader_free)
        length = ffi.new("uint64_t *")
        rc = lib.phi_reader_length(self._reader, length)
        if rc:
            self.close()
            raise_for(rc)
        self._length = int(length[0])
        self._size = ffi.new("size_t *")

    @property
    def length(self) -> int:
        """The plaintext length in bytes."""
        return self._length

    @property
    def context(self) -> Context:
        """The authenticated encryption context."""
        self._check_open()
        return json.loads(call_for_text(lib.phi_reader_context, self._reader))  # type: ignore[no-any-return]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._length}.get(whence)
        if base is None:
            raise ValueError("whence must be SEEK_SET, SEEK_CUR or SEEK_END")
        position = base + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._pos = position
        return position

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        target = ffi.from_buffer("uint8_t[]", view, require_writable=True)
        self._size[0] = len(view)
        rc = lib.phi_reader_read(self._reader, self._pos, target, self._size)
        if rc:
            raise_for(rc)
        n = int(self._size[0])
        self._pos += n
        return n

    def readall(self) -> bytes:
        return self.read(max(0, self._length - self._pos)) or b""

    def close(self) -> None:
        if not self.closed:
            reader = getattr(self, "_reader", None)
            if reader is not None:
                ffi.release(reader)
            if self._owned:
                os.close(self._fd)
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")


def open_encrypted(path_or_fileobj: str | os.PathLike[str] | IO[bytes], key: Key | KeySource, *,
                   expected_context: Context | None = None, allow_legacy: bool = False,
                   verify_first: bool = False) -> EncryptedFile:
    """Opens an encrypted file for random-access reading of its plaintext: a seekable, read-only
    binary file object. Accepts a path or a seekable binary file object with a descriptor (the
    object must stay open while the returned file is in use). ``expected_context`` is checked
    before any read (PolicyError on a mismatch). ``allow_legacy`` as :func:`stream_decrypt`;
    ``verify_first=True`` walks a signed message once and checks its signature now, at open (random
    reads never check it); the file must not change afterwards."""
    source = _source(key)
    flags = _decrypt_flags(allow_legacy, verify_first)
    if isinstance(path_or_fileobj, (str, bytes, os.PathLike)):
        fd = os.open(path_or_fileobj, os.O_RDONLY | os.O_CLOEXEC)
        return EncryptedFile(fd, True, source, expected_context, flags=flags)
    _check_binary(path_or_fileobj, "file")
    try:
        fd = path_or_fileobj.fileno()
    except (AttributeError, OSError, ValueError):
        raise TypeError("open_encrypted needs a path or a file object with a descriptor (fileno())") from None
    if not path_or_fileobj.seekable():
        raise ValueError("open_encrypted needs a seekable file")
    return EncryptedFile(fd, False, source, expected_context, path_or_fileobj, flags)


def inspect_encrypted(path_or_fileobj: str | os.PathLike[str] | IO[bytes], *, header_only: bool = False) -> dict[str, Any]:
    """Describes an encrypted file WITHOUT a key: suite, frame length and count, plaintext length,
    header length, encryption context, encrypted data keys. Nothing in it is authenticated
    ("authenticated": False). ``header_only=True`` reads the header alone (frame count and plaintext
    length are then -1): enough for a file of which only the first bytes are at hand."""
    flags = PHI_INSPECT_HEADER_ONLY if header_only else 0
    if isinstance(path_or_fileobj, (str, bytes, os.PathLike)):
        fd = os.open(path_or_fileobj, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return json.loads(call_for_text(lib.phi_stream_inspect_fd, fd, flags, guess=64 * 1024))  # type: ignore[no-any-return]
        finally:
            os.close(fd)
    fd = _descriptor(path_or_fileobj, True)
    if fd is None or not path_or_fileobj.seekable():
        raise TypeError("inspect_encrypted needs a path or a seekable file object with a descriptor")
    return json.loads(call_for_text(lib.phi_stream_inspect_fd, fd, flags, guess=64 * 1024))  # type: ignore[no-any-return]
