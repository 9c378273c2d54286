"""Client-side encrypted objects on any S3-compatible store (AWS, MinIO, Swift s3api), on boto3.

The object body is one AWS Encryption SDK message (format v2, suite 0x0478, framed), the same
format `phicrypt encrypt` writes, so `aws s3 cp` + `phicrypt decrypt` also works. The store never
sees plaintext or keys.

* ``upload_encrypted`` encrypts while uploading: ``phicrypto.stream_encrypt`` (frames encrypted in
  parallel by the native core) writes into a multipart upload whose parts go up from a thread pool,
  a bounded number at a time. Memory: ``part_size * (max_concurrency + 1)`` plus the core's frame
  ring, about 50 MB with the defaults, whatever the object size. Any failure aborts the upload: no
  object, no orphaned parts.
* The object keeps its ``Content-Type`` and user metadata (``x-amz-meta-*``) readable by the store,
  and the same values, with bucket and key, go into the message's authenticated encryption context.
  On download they are compared: metadata edited on the server, or an object copied under another
  key, raises ``MetadataMismatchError`` instead of passing silently.
* ``download_decrypted`` streams into a file object; ``open_encrypted_object`` returns a seekable
  file object that issues ranged GETs for the header and the frames a read needs, nothing else.

Thread safety: boto3 clients are thread-safe; every function here may run in many threads at once.
"""
from __future__ import annotations

import inspect
import io
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO, Mapping

import phicrypto

__all__ = ["upload_encrypted", "download_decrypted", "open_encrypted_object", "MetadataMismatchError",
           "DEFAULT_PART_SIZE", "MIN_PART_SIZE"]

MIN_PART_SIZE = 5 * 1024 * 1024          # S3's minimum for every part but the last
DEFAULT_PART_SIZE = 8 * 1024 * 1024
_META_FORMAT = "phicrypto-format"         # x-amz-meta-phicrypto-format: tells tools the body is a message
_FORMAT = "aws-esdk-v2"
_CTX_BUCKET, _CTX_KEY, _CTX_TYPE, _CTX_META = "s3:bucket", "s3:key", "s3:content-type", "s3:meta:"


class MetadataMismatchError(phicrypto.PhiCryptoError):
    """The object's metadata, bucket or key differs from what was authenticated at upload."""


def _context(bucket: str, key: str, content_type: str, metadata: Mapping[str, str]) -> dict[str, str]:
    ctx = {_CTX_BUCKET: bucket, _CTX_KEY: key, _CTX_TYPE: content_type}
    ctx.update({_CTX_META + k.lower(): v for k, v in metadata.items()})
    return ctx


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Calls a phicrypto streaming function, passing only the keyword arguments it declares."""
    params = inspect.signature(fn).parameters
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params and v is not None})


class _MultipartWriter(io.RawIOBase):
    """A write-only file object that turns writes into upload parts sent from a thread pool."""

    def __init__(self, client: Any, bucket: str, key: str, upload_id: str, part_size: int,
                 pool: ThreadPoolExecutor, max_concurrency: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self._upload_id = client, bucket, key, upload_id
        self._part_size, self._pool = part_size, pool
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._buffer = bytearray()
        self._futures: list[Future] = []
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        self.bytes_written += len(view)
        while len(self._buffer) >= self._part_size:
            self._send(bytes(self._buffer[:self._part_size]))
            del self._buffer[:self._part_size]
        return len(view)

    def _send(self, body: bytes) -> None:
        for f in self._futures:
            if f.done() and f.exception() is not None:
                raise f.exception()  # type: ignore[misc]
        self._slots.acquire()           # bounds memory: at most max_concurrency parts in flight
        number = len(self._futures) + 1

        def upload() -> dict[str, Any]:
            try:
                r = self._client.upload_part(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                                             PartNumber=number, Body=body)
                return {"PartNumber": number, "ETag": r["ETag"]}
            finally:
                self._slots.release()
        self._futures.append(self._pool.submit(upload))

    def finish(self) -> list[dict[str, Any]]:
        """Sends the last part and waits for all; returns the part list for completion."""
        if self._buffer or not self._futures:
            self._send(bytes(self._buffer))
            self._buffer.clear()
        return [f.result() for f in self._futures]


def upload_encrypted(client: Any, bucket: str, key: str, source: str | os.PathLike | BinaryIO,
                     keyring_or_key: Any, purpose: str = "files", metadata: Mapping[str, str] | None = None,
                     content_type: str | None = None, *, part_size: int = DEFAULT_PART_SIZE,
                     max_concurrency: int = 4) -> dict[str, Any]:
    """Encrypts ``source`` (a path or a readable binary file object) into ``s3://bucket/key``.

    ``keyring_or_key``: a ``phicrypto.Keyring`` (its active key of ``purpose`` is used) or a
    ``phicrypto.Key``. ``metadata`` becomes ``x-amz-meta-*``; both it and ``content_type`` are
    authenticated. Returns the CompleteMultipartUpload response. On any error the multipart upload
    is aborted before the exception propagates.
    """
    if part_size < MIN_PART_SIZE:
        raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    metadata = dict(metadata or {})
    if any(k.lower() == _META_FORMAT for k in metadata):
        raise ValueError(f"metadata key {_META_FORMAT!r} is reserved")
    content_type = content_type or "application/octet-stream"
    context = _context(bucket, key, content_type, metadata)
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type,
                                            Metadata={**metadata, _META_FORMAT: _FORMAT})
    upload_id = upload["UploadId"]
    try:
        with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="phicrypto-s3") as pool:
            writer = _MultipartWriter(client, bucket, key, upload_id, part_size, pool, max_concurrency)
            if isinstance(source, (str, os.PathLike)):
                with open(source, "rb") as f:
                    _call(phicrypto.stream_encrypt, f, writer, keyring_or_key, context=context, purpose=purpose)
            else:
                _call(phicrypto.stream_encrypt, source, writer, keyring_or_key, context=context, purpose=purpose)
            parts = writer.finish()
        return client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                MultipartUpload={"Parts": parts})
    except BaseException:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise


def _check_metadata(bucket: str, key: str, head: Mapping[str, Any], context: Mapping[str, str] | None) -> None:
    meta = {k: v for k, v in head.get("Metadata", {}).items() if k.lower() != _META_FORMAT}
    expected = _context(bucket, key, head.get("ContentType", "application/octet-stream"), meta)
    if context is None:
        raise MetadataMismatchError("the message carries no encryption context to check the object's metadata against")
    authenticated = {k: v for k, v in context.items() if k.startswith("s3:")}
    if authenticated != expected:
        raise MetadataMismatchError(f"s3://{bucket}/{key}: metadata, bucket or key differ from what was authenticated at upload")


def download_decrypted(client: Any, bucket: str, key: str, dest: str | os.PathLike | BinaryIO,
                       keyring_or_key: Any, purpose: str = "files") -> dict[str, Any]:
    """Streams ``s3://bucket/key`` through decryption into ``dest`` (a path or writable file object).

    Every frame is authenticated before its bytes are written. The object's content type and user
    metadata must match the authenticated encryption context (``MetadataMismatchError`` otherwise).
    Returns ``{"content_type": ..., "metadata": {...}}``. A path destination is removed on failure.
    """
    head = client.head_object(Bucket=bucket, Key=key)
    meta = {k: v for k, v in head.get("Metadata", {}).items() if k.lower() != _META_FORMAT}
    expected = _context(bucket, key, head.get("ContentType", "application/octet-stream"), meta)
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        if isinstance(dest, (str, os.PathLike)):
            try:
                with open(dest, "wb") as f:
                    context = _call(phicrypto.stream_decrypt, body, f, keyring_or_key, context=expected, purpose=purpose)
                    _check_metadata(bucket, key, head, context if isinstance(context, Mapping) else expected)
            except BaseException:
                os.unlink(dest)
                raise
        else:
            context = _call(phicrypto.stream_decrypt, body, dest, keyring_or_key, context=expected, purpose=purpose)
            _check_metadata(bucket, key, head, context if isinstance(context, Mapping) else expected)
    finally:
        body.close()
    return {"content_type": head.get("ContentType"), "metadata": meta}


class RangedObject(io.RawIOBase):
    """A seekable read-only view of an S3 object: each read is one ranged GET of just those bytes.

    ``requests`` and ``bytes_fetched`` count what was fetched (to check that random access stays
    random access).
    """

    def __init__(self, client: Any, bucket: str, key: str, size: int | None = None) -> None:
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._size = size if size is not None else client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        self._pos = 0
        self.requests = 0
        self.bytes_fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._size - self._pos)
        if n <= 0:
            return 0
        r = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=f"bytes={self._pos}-{self._pos + n - 1}")
        data = r["Body"].read()
        self.requests += 1
        self.bytes_fetched += len(data)
        view[:len(data)] = data
        self._pos += len(data)
        return len(data)


def open_encrypted_object(client: Any, bucket: str, key: str, keyring_or_key: Any, purpose: str = "files") -> Any:
    """A seekable, read-only file object over the plaintext of ``s3://bucket/key``.

    ``read(n)`` at any offset fetches (ranged GETs) the message header once, then only the frames
    that hold the requested bytes; each frame is authenticated before its bytes are returned. The
    object's metadata is checked against the authenticated context before the first read.
    """
    head = client.head_object(Bucket=bucket, Key=key)
    meta = {k: v for k, v in head.get("Metadata", {}).items() if k.lower() != _META_FORMAT}
    expected = _context(bucket, key, head.get("ContentType", "application/octet-stream"), meta)
    raw = RangedObject(client, bucket, key, head["ContentLength"])
    reader = _call(phicrypto.open_encrypted, raw, keyring_or_key, context=expected, purpose=purpose)
    context = getattr(reader, "context", None) or getattr(reader, "encryption_context", None)
    _check_metadata(bucket, key, head, context if isinstance(context, Mapping) else expected)
    reader.ranged_source = raw
    return reader
