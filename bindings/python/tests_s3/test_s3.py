"""phicrypto.s3 against a real S3 API (OpenStack Swift s3api on 127.0.0.1)."""
import hashlib
import io
import os
import threading

import psutil
import pytest

import phicrypto
from phicrypto import s3 as ps3

MiB = 1024 * 1024


class Generated(io.RawIOBase):
    """Deterministic pseudo-random bytes produced on the fly (no file, no memory), hashed as read."""

    def __init__(self, size, seed=b"phi"):
        self.size, self.pos, self.seed = size, 0, seed
        self.sha = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.size - self.pos, 1 * MiB)
        if n <= 0:
            return 0
        block = hashlib.shake_256(self.seed + (self.pos // MiB).to_bytes(8, "big")).digest(MiB)
        off = self.pos % MiB
        n = min(n, MiB - off)
        b[:n] = block[off:off + n]
        self.sha.update(block[off:off + n])
        self.pos += n
        return n


class HashingSink(io.RawIOBase):
    def __init__(self):
        self.sha, self.n = hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, b):
        self.sha.update(b)
        self.n += len(b)
        return len(b)


def test_round_trip_keeps_content_type_and_metadata(s3, bucket, key):
    data = os.urandom(12 * MiB + 123)
    ps3.upload_encrypted(s3, bucket, "scan.dcm", io.BytesIO(data), key,
                         metadata={"patient-ref": "P-1234", "study": "CT chest"}, content_type="application/dicom")
    head = s3.head_object(Bucket=bucket, Key="scan.dcm")
    assert head["ContentType"] == "application/dicom"
    assert head["Metadata"]["patient-ref"] == "P-1234"
    raw = s3.get_object(Bucket=bucket, Key="scan.dcm")["Body"].read()
    assert data[:4096] not in raw and len(raw) > len(data)
    out = io.BytesIO()
    info = ps3.download_decrypted(s3, bucket, "scan.dcm", out, key)
    assert out.getvalue() == data
    assert info["metadata"]["study"] == "CT chest"
    assert info["context"]["s3:content-type"] == "application/dicom"


def test_edited_metadata_or_moved_object_is_refused(s3, bucket, key):
    ps3.upload_encrypted(s3, bucket, "a.pdf", io.BytesIO(b"report" * 1000), key, metadata={"patient-ref": "P-1"})
    s3.copy_object(Bucket=bucket, Key="a.pdf", CopySource={"Bucket": bucket, "Key": "a.pdf"},
                   Metadata={"patient-ref": "P-2", "phicrypto-format": "aws-esdk-v2"}, MetadataDirective="REPLACE")
    with pytest.raises(ps3.MetadataMismatchError):
        ps3.download_decrypted(s3, bucket, "a.pdf", io.BytesIO(), key)
    s3.copy_object(Bucket=bucket, Key="b.pdf", CopySource={"Bucket": bucket, "Key": "a.pdf"})
    with pytest.raises(ps3.MetadataMismatchError):
        ps3.download_decrypted(s3, bucket, "b.pdf", io.BytesIO(), key)


def test_failure_mid_upload_aborts_and_leaves_nothing(s3, bucket, key):
    class Failing(Generated):
        def readinto(self, b):
            if self.pos >= 11 * MiB:
                raise OSError("disk gone")
            return super().readinto(b)

    with pytest.raises(Exception):
        ps3.upload_encrypted(s3, bucket, "partial.bin", Failing(40 * MiB), key)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_tampered_object_fails_authentication(s3, bucket, key):
    data = os.urandom(6 * MiB)
    ps3.upload_encrypted(s3, bucket, "t.bin", io.BytesIO(data), key)
    raw = bytearray(s3.get_object(Bucket=bucket, Key="t.bin")["Body"].read())
    raw[len(raw) // 2] ^= 1
    head = s3.head_object(Bucket=bucket, Key="t.bin")
    s3.put_object(Bucket=bucket, Key="t.bin", Body=bytes(raw), ContentType=head["ContentType"], Metadata=head["Metadata"])
    with pytest.raises(phicrypto.AuthenticationError):
        ps3.download_decrypted(s3, bucket, "t.bin", io.BytesIO(), key)


def test_random_access_fetches_only_needed_frames(s3, bucket, key):
    data = os.urandom(20 * MiB)
    ps3.upload_encrypted(s3, bucket, "big.bin", io.BytesIO(data), key)
    f = ps3.open_encrypted_object(s3, bucket, "big.bin", key)
    for offset in (0, 7 * MiB + 12345, 20 * MiB - 10):
        f.seek(offset)
        assert f.read(1000) == data[offset:offset + 1000]
    # header + final frame + three 64 KiB frames (the middle read spans two), not 20 MiB
    assert f.bytes_fetched < 512 * 1024, f.bytes_fetched
    assert f.requests <= 6, f.requests
    f.seek(7 * MiB + 12345)
    before = f.requests
    assert f.read(100) == data[7 * MiB + 12345:7 * MiB + 12445]
    assert f.requests == before            # frames already fetched are not fetched again
    f.close()


def test_500_MB_upload_stays_under_100_MB_of_memory(s3, bucket, key):
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def watch():
        while not stop.wait(0.05):
            peak[0] = max(peak[0], proc.memory_info().rss)
    t = threading.Thread(target=watch)
    t.start()
    src = Generated(500 * MiB)
    try:
        ps3.upload_encrypted(s3, bucket, "huge.bin", src, key)
        sink = HashingSink()
        ps3.download_decrypted(s3, bucket, "huge.bin", sink, key)
    finally:
        stop.set()
        t.join()
    assert sink.n == 500 * MiB and sink.sha.digest() == src.sha.digest()
    assert peak[0] - base < 100 * MiB, f"RSS grew by {(peak[0] - base) / MiB:.0f} MiB"


def test_32_threads_over_different_objects(s3, bucket, key):
    errors = []

    def worker(i):
        try:
            data = os.urandom(256 * 1024 + i * 4099)
            name = f"clinician-{i}/doc.bin"
            ps3.upload_encrypted(s3, bucket, name, io.BytesIO(data), key, metadata={"clinician": str(i)})
            out = io.BytesIO()
            ps3.download_decrypted(s3, bucket, name, out, key)
            assert out.getvalue() == data
        except BaseException as e:  # collected: asserted below
            errors.append((i, repr(e)))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 32


def test_small_part_size_is_a_caller_mistake(s3, bucket, key):
    with pytest.raises(ValueError):
        ps3.upload_encrypted(s3, bucket, "x", io.BytesIO(b"x"), key, part_size=1024)


def test_paths_take_the_descriptor_fast_path_and_a_refused_download_leaves_no_file(s3, bucket, key, tmp_path):
    src = tmp_path / "report.pdf"
    data = os.urandom(7 * MiB + 3)
    src.write_bytes(data)
    ps3.upload_encrypted(s3, bucket, "r.pdf", str(src), key, purpose="documents", content_type="application/pdf")
    dst = tmp_path / "out.pdf"
    ps3.download_decrypted(s3, bucket, "r.pdf", str(dst), key, purpose="documents")
    assert dst.read_bytes() == data
    dst.unlink()
    with pytest.raises(ps3.MetadataMismatchError):       # uploaded for "documents", asked as "files"
        ps3.download_decrypted(s3, bucket, "r.pdf", str(dst), key)
    assert not dst.exists()
    other = phicrypto.Key.generate()
    with pytest.raises(phicrypto.PhiCryptoError):
        ps3.download_decrypted(s3, bucket, "r.pdf", str(dst), other, purpose="documents")
    assert not dst.exists()


def test_a_keyring_purpose_streams_and_only_its_own_keys_decrypt(s3, bucket, tmp_path):
    """A Keyring is accepted as the key (its source for ``purpose``); rotation needs no re-upload; the
    object's data key is wrapped under "files/vN", so another keyring's "files" cannot read it."""
    ring = phicrypto.Keyring.create(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_S3_TEST_KEK")
    ring.add_purpose("files")
    data = os.urandom(3 * MiB + 17)
    ps3.upload_encrypted(s3, bucket, "doc.pdf", io.BytesIO(data), ring, metadata={"patient-ref": "P-7"})
    ring.rotate("files")
    out = io.BytesIO()
    ps3.download_decrypted(s3, bucket, "doc.pdf", out, ring)
    assert out.getvalue() == data
    with ps3.open_encrypted_object(s3, bucket, "doc.pdf", ring.source("files")) as f:
        f.seek(MiB)
        assert f.read(100) == data[MiB:MiB + 100]
    other = phicrypto.Keyring.create(str(tmp_path / "other.json"), kek="env:PHICRYPTO_S3_TEST_KEK")
    other.add_purpose("files")
    with pytest.raises(phicrypto.KeyNotFoundError):
        ps3.download_decrypted(s3, bucket, "doc.pdf", io.BytesIO(), other)
    with pytest.raises(ValueError):
        ps3.download_decrypted(s3, bucket, "doc.pdf", io.BytesIO(), ring.source("files"), purpose="backups")
    other.close()
    ring.close()


def _nothing_left(s3, bucket):
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_a_server_error_and_a_reset_mid_upload_are_retried(s3, bucket, key, proxied_s3):
    import faultproxy
    error, drop = faultproxy.fail_part(2, 1, faultproxy.SERVER_ERROR), faultproxy.fail_part(3, 1, faultproxy.DROP)

    def rule(line):
        fault = error(line)
        return fault if fault != faultproxy.NONE else drop(line)
    client, proxy = proxied_s3(rule)
    src = Generated(30 * MiB)
    ps3.upload_encrypted(client, bucket, "retried.bin", src, key, part_size=5 * MiB)
    faults = [f for _, f in proxy.seen if f != faultproxy.NONE]
    assert sorted(faults) == [faultproxy.SERVER_ERROR, faultproxy.DROP]
    sink = HashingSink()
    ps3.download_decrypted(s3, bucket, "retried.bin", sink, key)
    assert sink.n == 30 * MiB and sink.sha.digest() == src.sha.digest()
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_a_persistent_server_error_mid_upload_aborts_and_leaves_nothing(s3, bucket, key, proxied_s3):
    import faultproxy
    from botocore.exceptions import ClientError
    client, proxy = proxied_s3(faultproxy.fail_part(3, 1000, faultproxy.SERVER_ERROR), retries=2)
    with pytest.raises(ClientError, match="InternalError"):
        ps3.upload_encrypted(client, bucket, "failed.bin", Generated(40 * MiB), key, part_size=5 * MiB)
    assert sum(1 for _, f in proxy.seen if f == faultproxy.SERVER_ERROR) == 3        # tried, retried twice, gave up
    assert any(line.startswith("DELETE ") and "uploadId=" in line for line, _ in proxy.seen)   # aborted
    _nothing_left(s3, bucket)


def test_server_side_encryption_reaches_the_store_and_a_refusal_leaves_nothing(s3, bucket, key):
    from botocore.exceptions import ClientError
    # Swift's s3api has no server-side encryption: it answers NotImplemented, which must surface.
    with pytest.raises(ClientError, match="NotImplemented"):
        ps3.upload_encrypted(s3, bucket, "sse.bin", Generated(12 * MiB), key, part_size=5 * MiB,
                             extra_args={"ServerSideEncryption": "AES256"})
    _nothing_left(s3, bucket)


def test_extra_args_may_not_override_authenticated_metadata(s3, bucket, key):
    with pytest.raises(ValueError, match="content_type and metadata"):
        ps3.upload_encrypted(s3, bucket, "x", io.BytesIO(b"x"), key, extra_args={"Metadata": {"a": "b"}})
    _nothing_left(s3, bucket)
