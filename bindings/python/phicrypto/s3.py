"""Client-side encrypted objects on any S3-compatible store (AWS, MinIO, Swift s3api), on boto3.

The object body is one AWS Encryption SDK message (format v2, suite 0x0478, framed), the same
format `phicrypt encrypt` writes, so `aws s3 cp` + `phicrypt decrypt` also works. The store never
sees plaintext or keys.

* ``upload_encrypted`` encrypts while uploading: ``phicrypto.stream_encrypt`` runs on its descriptor
  fast path (frames encrypted in parallel on every core, GIL released) into an OS pipe, and the
  ciphertext read from the pipe goes to boto3's transfer manager (s3transfer) as a stream: a
  multipart upload whose parts go up in parallel, a bounded number at a time, each retried by the
  client's retry configuration. Memory: about ``part_size * 2 * max_concurrency`` plus the core's
  frame ring, whatever the object size. Any failure (the source, the encryption, the store after
  its retries) aborts the upload: no object, no orphaned parts. ``extra_args`` passes server-side
  encryption and Object Lock settings through to the store.
* The object keeps its ``Content-Type`` and user metadata (``x-amz-meta-*``) readable by the store,
  and the same values, with bucket and key, go into the message's authenticated encryption context.
  On download they are compared: metadata edited on the server, or an object copied under another
  key, raises ``MetadataMismatchError`` instead of passing silently.
* ``download_decrypted`` streams into a file object (parallel decryption through a pipe);
  ``open_encrypted_object`` returns a seekable file object that issues ranged GETs for the header,
  the final frame and the frames a read needs, nothing else. Fetched ciphertext goes into an
  unlinked sparse temporary file that the native seekable reader reads (ciphertext only on disk).
* Streams take a ``phicrypto.Key``, a ``phicrypto.Keyring`` (its source for ``purpose``: the
  object's data key is wrapped under that purpose's active version, and a download decrypts only
  with that purpose's versions) or a ``phicrypto.KeySource``. The ``purpose`` is recorded in the
  object metadata and the encryption context, and checked on download before any plaintext.
* Only the public ``phicrypto`` API is used here (no cffi, no parsing of the message format).

Thread safety: boto3 clients are thread-safe; every function here may run in many threads at once.
"""
from __future__ import annotations

import io
import os
import tempfile
import threading
from typing import Any, BinaryIO, Callable, Mapping

import phicrypto

__all__ = ["upload_encrypted", "download_decrypted", "open_encrypted_object", "MetadataMismatchError",
           "EncryptedObject", "DEFAULT_PART_SIZE", "MIN_PART_SIZE"]

MIN_PART_SIZE = 5 * 1024 * 1024          # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 8 * 1024 * 1024
_META_FORMAT = "phicrypto-format"         # x-amz-meta-phicrypto-format: tells tools the body is a message
_META_PURPOSE = "phicrypto-purpose"
_RESERVED = (_META_FORMAT, _META_PURPOSE)
_FORMAT = "aws-esdk-v2"
_CTX_BUCKET, _CTX_KEY, _CTX_TYPE, _CTX_PURPOSE, _CTX_META = "s3:bucket", "s3:key", "s3:content-type", "s3:purpose", "s3:meta:"
_COPY = 1024 * 1024


class MetadataMismatchError(phicrypto.PhiCryptoError):
    """The object's metadata, bucket or key differs from what was authenticated at upload."""

    def __init__(self, message: str) -> None:
        super().__init__(message, phicrypto.PolicyError.STATUS)


def _key(keyring_or_key: Any, purpose: str) -> Any:
    """What the stream functions take: a Key, or the KeySource of ``purpose`` (a Keyring's, or one given)."""
    if isinstance(keyring_or_key, phicrypto.Key):
        return keyring_or_key
    if isinstance(keyring_or_key, phicrypto.Keyring):
        return keyring_or_key.source(purpose)
    if isinstance(keyring_or_key, phicrypto.KeySource):
        if keyring_or_key.purpose != purpose:
            raise ValueError(f"the key source is for purpose {keyring_or_key.purpose!r}, not {purpose!r}")
        return keyring_or_key
    raise TypeError("keyring_or_key must be a phicrypto.Key, Keyring or KeySource")


def _user_metadata(head: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in head.get("Metadata", {}).items() if k.lower() not in _RESERVED}


def _context(bucket: str, key: str, content_type: str, purpose: str, metadata: Mapping[str, str]) -> dict[str, str]:
    ctx = {_CTX_BUCKET: bucket, _CTX_KEY: key, _CTX_TYPE: content_type, _CTX_PURPOSE: purpose}
    ctx.update({_CTX_META + k.lower(): v for k, v in metadata.items()})
    return ctx


def _expected(bucket: str, key: str, head: Mapping[str, Any]) -> dict[str, str]:
    purpose = head.get("Metadata", {}).get(_META_PURPOSE, "")
    return _context(bucket, key, head.get("ContentType", "application/octet-stream"), purpose, _user_metadata(head))


def _check(bucket: str, key: str, expected: Mapping[str, str], authenticated: Mapping[str, str]) -> None:
    if {k: v for k, v in authenticated.items() if k.startswith("s3:")} != dict(expected):
        raise MetadataMismatchError(f"s3://{bucket}/{key}: metadata, bucket or key differ from what was authenticated at upload")


class _as_mismatch:
    """An expected-context refusal of the core (PolicyError) is a metadata mismatch to the caller."""

    def __init__(self, bucket: str, key: str) -> None:
        self.where = f"s3://{bucket}/{key}"

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if isinstance(error, phicrypto.PolicyError) and not isinstance(error, MetadataMismatchError):
            raise MetadataMismatchError(f"{self.where}: metadata, bucket or key differ from what was authenticated at upload ({error})") from error


class _Thread(threading.Thread):
    """Runs fn, keeping its exception for join_checked()."""

    def __init__(self, fn: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._fn, self.error, self.result = fn, None, None

    def run(self) -> None:
        try:
            self.result = self._fn()
        except BaseException as e:  # re-raised by join_checked in the calling thread
            self.error = e

    def join_checked(self) -> Any:
        self.join()
        if self.error is not None:
            raise self.error
        return self.result


def _pump(source: Any, target_fd: int) -> Callable[[], None]:
    """Copies a Python file object into a pipe, closing the pipe at the end (or on failure)."""
    def run() -> None:
        with open(target_fd, "wb", buffering=0, closefd=True) as out:
            while True:
                data = source.read(_COPY)
                if not data:
                    return
                out.write(data)
    return run


def _has_fd(f: Any) -> bool:
    try:
        f.fileno()
        return isinstance(f, io.FileIO) or f.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _fd_source(source: Any, threads: list[_Thread]) -> Any:
    """A file object the native fast path can read by descriptor: ``source`` itself, or a pipe fed by a thread."""
    if _has_fd(source):
        return source
    r, w = os.pipe()
    t = _Thread(_pump(source, w), "phicrypto-s3-feed")
    threads.append(t)
    t.start()
    return open(r, "rb", buffering=0)


class _Ciphertext(io.RawIOBase):
    """The read end of the encryption pipe, as s3transfer reads it. At end of stream it joins the
    producing threads first, so an encryption that failed part-way raises here, inside the transfer,
    and s3transfer aborts the multipart upload instead of completing a truncated object."""

    def __init__(self, fd: int, threads: list[_Thread]) -> None:
        super().__init__()
        self._pipe = open(fd, "rb")          # buffered: read(n) returns n bytes until the end, as parts need
        self._threads = threads

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._pipe.read(size)
        if size is None or size < 0 or len(data) < size:
            for t in self._threads:
                t.join_checked()
        return data

    def close(self) -> None:
        self._pipe.close()                   # a writer still running gets EPIPE and stops
        super().close()


def _transfer_config(part_size: int, max_concurrency: int) -> Any:
    """s3transfer's settings for a stream: parts of part_size, at most max_concurrency uploading and as
    many read ahead, so memory stays near part_size * 2 * max_concurrency."""
    from boto3.s3.transfer import TransferConfig
    config = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size, max_concurrency=max_concurrency)
    config.max_in_memory_upload_chunks = max_concurrency
    return config


_TRANSFER_OWNED = ("ContentType", "Metadata")


def upload_encrypted(client: Any, bucket: str, key: str, source: str | os.PathLike | BinaryIO,
                     keyring_or_key: Any, purpose: str = "files", metadata: Mapping[str, str] | None = None,
                     content_type: str | None = None, *, part_size: int = DEFAULT_PART_SIZE,
                     max_concurrency: int = 4, frame_length: int = 64 * 1024,
                     extra_args: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Encrypts ``source`` (a path or a readable binary file object) into ``s3://bucket/key``.

    ``keyring_or_key`` is a ``phicrypto.Key``, a ``Keyring`` (its ``purpose``) or a ``KeySource``. ``metadata`` becomes ``x-amz-meta-*``; it, the
    ``content_type``, ``purpose``, bucket and key are authenticated in the message's encryption
    context. ``extra_args`` go to the store as boto3's upload ExtraArgs: e.g. ``ServerSideEncryption``,
    ``SSEKMSKeyId``, ``ObjectLockMode`` with ``ObjectLockRetainUntilDate``. The ciphertext streams
    through boto3's transfer manager (s3transfer): parallel multipart upload, each part retried by the
    client's retry configuration. Returns the stored object's HeadObject response. On any error the
    multipart upload is aborted before the exception propagates: no object, no orphaned parts.
    """
    key_obj = _key(keyring_or_key, purpose)
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    metadata = dict(metadata or {})
    if any(k.lower() in _RESERVED for k in metadata):
        raise ValueError(f"metadata keys {_RESERVED} are reserved")
    extra = dict(extra_args or {})
    if any(k in extra for k in _TRANSFER_OWNED):
        raise ValueError(f"extra_args may not set {_TRANSFER_OWNED}: pass content_type and metadata, which are authenticated")
    content_type = content_type or "application/octet-stream"
    context = _context(bucket, key, content_type, purpose, metadata)
    extra.update(ContentType=content_type, Metadata={**metadata, _META_FORMAT: _FORMAT, _META_PURPOSE: purpose})
    threads: list[_Thread] = []
    with (open(source, "rb") if isinstance(source, (str, os.PathLike)) else _nullcontext(source)) as src:
        r, w = os.pipe()
        ciphertext = _Ciphertext(r, threads)
        try:
            plain = _fd_source(src, threads)

            def encrypt() -> None:
                try:
                    with open(w, "wb", buffering=0) as out:
                        phicrypto.stream_encrypt(plain, out, key_obj, frame_length, context)
                finally:
                    if plain is not src:
                        plain.close()
            enc = _Thread(encrypt, "phicrypto-s3-encrypt")
            threads.append(enc)
            enc.start()
            client.upload_fileobj(ciphertext, bucket, key, ExtraArgs=extra, Config=_transfer_config(part_size, max_concurrency))
        finally:
            ciphertext.close()
            for t in threads:
                t.join()
    for t in threads:
        t.join_checked()
    return client.head_object(Bucket=bucket, Key=key)  # type: ignore[no-any-return]


class _nullcontext:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __enter__(self) -> Any:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


def download_decrypted(client: Any, bucket: str, key: str, dest: str | os.PathLike | BinaryIO,
                       keyring_or_key: Any, purpose: str = "files") -> dict[str, Any]:
    """Streams ``s3://bucket/key`` through decryption into ``dest`` (a path or writable file object).

    Every frame is authenticated before its bytes are written. Then the object's content type, user
    metadata, purpose, bucket and key must equal the authenticated encryption context, else
    ``MetadataMismatchError`` (a path destination is removed on any failure; a file object then
    holds bytes to discard). Returns ``{"content_type": ..., "metadata": {...}, "context": {...}}``.
    """
    key_obj = _key(keyring_or_key, purpose)
    head = client.head_object(Bucket=bucket, Key=key)
    expected = _expected(bucket, key, head)
    if expected[_CTX_PURPOSE] != purpose:
        raise MetadataMismatchError(f"s3://{bucket}/{key} was uploaded for purpose {expected[_CTX_PURPOSE]!r}, not {purpose!r}")
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    path = dest if isinstance(dest, (str, os.PathLike)) else None
    try:
        with (open(path, "wb") if path is not None else _nullcontext(dest)) as out, _as_mismatch(bucket, key):
            context = _decrypt_to(body, out, key_obj, expected)
        _check(bucket, key, expected, context)
    except BaseException:
        if path is not None and os.path.exists(path):
            os.unlink(path)
        raise
    finally:
        body.close()
    return {"content_type": head.get("ContentType"), "metadata": _user_metadata(head), "context": context}


def _decrypt_to(body: Any, out: Any, key: Any, expected: Mapping[str, str]) -> Mapping[str, str]:
    """stream_decrypt on its descriptor fast path: pipes and threads stand in for objects without one.
    The expected context (object metadata, bucket, key, purpose) is checked before any plaintext."""
    threads: list[_Thread] = []
    src = _fd_source(body, threads)
    if _has_fd(out):
        try:
            return phicrypto.stream_decrypt(src, out, key, expected_context=dict(expected))
        finally:
            src.close()
            for t in threads:
                t.join()
    r, w = os.pipe()

    def drain() -> None:
        with open(r, "rb", buffering=0) as plain:
            while True:
                data = plain.read(_COPY)
                if not data:
                    return
                out.write(data)
    drainer = _Thread(drain, "phicrypto-s3-drain")
    drainer.start()
    try:
        with open(w, "wb", buffering=0) as pipe_out:
            context = phicrypto.stream_decrypt(src, pipe_out, key, expected_context=dict(expected))
    finally:
        src.close()
        drainer.join()
        for t in threads:
            t.join()
    drainer.join_checked()
    return context


class EncryptedObject(io.RawIOBase):
    """A seekable, read-only file object over the plaintext of an encrypted S3 object.

    Ciphertext is fetched with ranged GETs into an unlinked sparse temporary file, only where a read
    needs it (the header, the final frame, the frames holding the requested bytes), and decrypted
    there by the native seekable reader, each frame verified by its tag. ``requests`` and
    ``bytes_fetched`` count the GETs. Unsigned messages (suite 0x0478, what ``upload_encrypted``
    writes) only.
    """

    _HEAD = 64 * 1024
    _MAX_HEADER = 1024 * 1024

    def __init__(self, client: Any, bucket: str, key: str, size: int, key_obj: Any, expected: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self._size = client, bucket, key, size
        self.requests = 0
        self.bytes_fetched = 0
        self._fetched: set[int] = set()
        fd, name = tempfile.mkstemp(prefix="phicrypto-s3-")
        os.unlink(name)                       # nothing to clean up, whatever happens
        self._file = open(fd, "r+b", buffering=0)
        self._file.truncate(size)             # sparse: only fetched ranges take space
        self._inner: Any = None
        self._pos = 0
        self._header_length, self._frame_length = self._fetch_header()
        body = size - self._header_length
        self._regular = max(0, (body - 40) // (self._frame_length + 32))
        final_start = self._header_length + self._regular * (self._frame_length + 32)
        self._get(final_start, size - final_start)
        with _as_mismatch(bucket, key):
            self._inner = phicrypto.open_encrypted(self._file, key_obj, expected_context=dict(expected) if expected else None)

    @property
    def context(self) -> dict[str, str]:
        """The authenticated encryption context."""
        return self._inner.context  # type: ignore[no-any-return]

    @property
    def length(self) -> int:
        return self._inner.length  # type: ignore[no-any-return]

    def _get(self, start: int, count: int) -> None:
        if count <= 0:
            return
        r = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{start + count - 1}")
        data = r["Body"].read()
        if len(data) != count:
            raise phicrypto.FormatError("the object changed or is shorter than its length")
        os.pwrite(self._file.fileno(), data, start)
        self.requests += 1
        self.bytes_fetched += count

    def _fetch_header(self) -> tuple[int, int]:
        """Fetches the header; returns (header length, frame length) as the core reads them (unauthenticated
        here; the native reader authenticates the header before any plaintext)."""
        have = min(self._size, self._HEAD)
        self._get(0, have)
        while True:
            try:
                header = phicrypto.inspect_encrypted(self._file, header_only=True)
                break
            except phicrypto.FormatError:
                if have >= min(self._size, self._MAX_HEADER):
                    raise
                more = min(self._size, self._MAX_HEADER)
                self._get(have, more - have)
                have = more
        if header["suite"] != "0x0478" or header["content_type"] != "framed":
            raise phicrypto.FormatError(f"ranged reads support framed messages of suite 0x0478 only, not {header['suite']} {header['content_type']}")
        return int(header["header_length"]), int(header["frame_length"])

    def _ensure(self, start: int, count: int) -> None:
        """Fetches the regular frames holding plaintext [start, start + count), contiguous ones in one GET."""
        f = self._frame_length
        first, last = start // f, min((start + count - 1) // f, self._regular - 1)
        missing = [k for k in range(first, last + 1) if k not in self._fetched]
        while missing:
            run = [missing.pop(0)]
            while missing and missing[0] == run[-1] + 1:
                run.append(missing.pop(0))
            self._get(self._header_length + run[0] * (f + 32), len(run) * (f + 32))
            self._fetched.update(run)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self.length - self._pos)
        if n <= 0:
            return 0
        self._ensure(self._pos, n)
        self._inner.seek(self._pos)
        got = self._inner.readinto(view[:n])
        self._pos += got
        return got

    def close(self) -> None:
        if not self.closed:
            if self._inner is not None:
                self._inner.close()
            self._file.close()
        super().close()


def open_encrypted_object(client: Any, bucket: str, key: str, keyring_or_key: Any, purpose: str = "files") -> EncryptedObject:
    """A seekable, read-only file object over the plaintext of ``s3://bucket/key`` (see EncryptedObject).

    The object's metadata is checked against the authenticated context before it is returned.
    """
    key_obj = _key(keyring_or_key, purpose)
    head = client.head_object(Bucket=bucket, Key=key)
    expected = _expected(bucket, key, head)
    if expected[_CTX_PURPOSE] != purpose:
        raise MetadataMismatchError(f"s3://{bucket}/{key} was uploaded for purpose {expected[_CTX_PURPOSE]!r}, not {purpose!r}")
    obj = EncryptedObject(client, bucket, key, head["ContentLength"], key_obj)
    try:
        _check(bucket, key, expected, obj.context)
    except BaseException:
        obj.close()
        raise
    return obj
