"""Streaming: descriptor and push paths, random access, inspect, tampering, the GIL."""
from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import phicrypto
from phicrypto import Key

CONTEXT = {"content-type": "application/dicom", "patient": "P-1234", "name": "Müller.dcm"}


def pattern(n: int) -> bytes:
    block = hashlib.sha256(str(n).encode()).digest() * 2048  # 64 KiB
    return (block * (n // len(block) + 1))[:n]


@pytest.mark.parametrize("size", [0, 1, 4096, 65536, 65537, 1_000_003])
def test_file_round_trip_uses_descriptors(tmp_path: Path, key: Key, size: int) -> None:
    plain = pattern(size)
    (tmp_path / "in").write_bytes(plain)
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "enc", "wb") as dst:
        assert phicrypto.stream_encrypt(src, dst, key, context=CONTEXT) == size
        dst.write(b"")  # the Python object still works after the library wrote through its descriptor
    with open(tmp_path / "enc", "rb") as src, open(tmp_path / "out", "wb") as dst:
        assert phicrypto.stream_decrypt(src, dst, key) == CONTEXT
    assert (tmp_path / "out").read_bytes() == plain


def test_push_path_matches_descriptor_path(tmp_path: Path, key: Key) -> None:
    plain = pattern(300_000)
    encrypted = io.BytesIO()
    assert phicrypto.stream_encrypt(io.BytesIO(plain), encrypted, key, chunk_size=4096, context=CONTEXT) == len(plain)
    (tmp_path / "enc").write_bytes(encrypted.getvalue())
    with open(tmp_path / "enc", "rb") as src, open(tmp_path / "out", "wb") as dst:  # fd path reads the push output
        phicrypto.stream_decrypt(src, dst, key)
    assert (tmp_path / "out").read_bytes() == plain
    out = io.BytesIO()
    with open(tmp_path / "enc", "rb") as src:
        assert phicrypto.stream_decrypt(io.BufferedReader(io.BytesIO(src.read())), out, key) == CONTEXT
    assert out.getvalue() == plain


@settings(max_examples=25, deadline=None)
@given(size=st.integers(0, 40_000), chunk=st.sampled_from([4096, 8192]), signed=st.booleans(), data=st.data())
def test_any_flipped_bit_fails(size: int, chunk: int, signed: bool, data: st.DataObject) -> None:
    key = phicrypto.generate_encryption_key()
    encrypted = io.BytesIO()
    phicrypto.stream_encrypt(io.BytesIO(pattern(size)), encrypted, key, chunk_size=chunk, signed=signed)
    message = bytearray(encrypted.getvalue())
    position = data.draw(st.integers(0, len(message) - 1))
    message[position] ^= 1 << data.draw(st.integers(0, 7))
    out = io.BytesIO()
    with pytest.raises(phicrypto.PhiCryptoError):
        phicrypto.stream_decrypt(io.BytesIO(bytes(message)), out, key)


def test_truncation_and_wrong_key_fail(tmp_path: Path, key: Key) -> None:
    encrypted = io.BytesIO()
    phicrypto.stream_encrypt(io.BytesIO(pattern(100_000)), encrypted, key, chunk_size=4096)
    message = encrypted.getvalue()
    with pytest.raises((phicrypto.FormatError, phicrypto.AuthenticationError)):
        phicrypto.stream_decrypt(io.BytesIO(message[:-20]), io.BytesIO(), key)
    with pytest.raises((phicrypto.AuthenticationError, phicrypto.KeyNotFoundError)):
        phicrypto.stream_decrypt(io.BytesIO(message), io.BytesIO(), phicrypto.generate_encryption_key())


def test_open_encrypted_is_a_seekable_file(tmp_path: Path, key: Key) -> None:
    plain = pattern(500_000)
    with open(tmp_path / "enc", "wb") as dst:
        phicrypto.stream_encrypt(io.BytesIO(plain), dst, key, chunk_size=8192, context=CONTEXT)
    with phicrypto.open_encrypted(tmp_path / "enc", key) as f:
        assert f.seekable() and f.readable() and not f.writable()
        assert f.length == len(plain) and f.context == CONTEXT
        f.seek(123_456)
        assert f.read(10_000) == plain[123_456:133_456]
        assert f.tell() == 133_456
        f.seek(-100, io.SEEK_END)
        assert f.read() == plain[-100:]
        assert f.read(10) == b""
        f.seek(0)
        assert f.read() == plain
    with open(tmp_path / "enc", "rb") as raw, phicrypto.open_encrypted(raw, key) as f:
        assert io.BufferedReader(f).read(8192 * 3 + 1) == plain[: 8192 * 3 + 1]
    with pytest.raises(TypeError):
        phicrypto.open_encrypted(io.BytesIO(b"x"), key)


def test_inspect_needs_no_key(tmp_path: Path, key: Key) -> None:
    with open(tmp_path / "enc", "wb") as dst:
        phicrypto.stream_encrypt(io.BytesIO(pattern(200_000)), dst, key, context=CONTEXT)
    info = phicrypto.inspect_encrypted(tmp_path / "enc")
    assert info["authenticated"] is False
    assert info["suite"] == "0x0478" and info["format_version"] == 2
    assert info["frame_count"] == 4 and info["plaintext_length"] == 200_000 and info["frame_length"] == 65536
    assert info["encryption_context"] == CONTEXT
    assert [edk["provider_id"] for edk in info["encrypted_data_keys"]] == ["phicrypto"]
    with open(tmp_path / "enc", "rb") as f:
        assert phicrypto.inspect_encrypted(f) == info
        assert f.read(1) == b"\x02"  # the position was put back


def test_signed_suite(tmp_path: Path, key: Key) -> None:
    encrypted = io.BytesIO()
    phicrypto.stream_encrypt(io.BytesIO(b"signed backup"), encrypted, key, signed=True)
    (tmp_path / "enc").write_bytes(encrypted.getvalue())
    assert phicrypto.inspect_encrypted(tmp_path / "enc")["suite"] == "0x0578"
    out = io.BytesIO()
    context = phicrypto.stream_decrypt(io.BytesIO(encrypted.getvalue()), out, key)
    assert out.getvalue() == b"signed backup" and "aws-crypto-public-key" in context


def test_argument_errors(key: Key) -> None:
    with pytest.raises(TypeError):
        phicrypto.stream_encrypt(io.StringIO("text"), io.BytesIO(), key)
    with pytest.raises(TypeError):
        phicrypto.stream_encrypt(io.BytesIO(b""), io.BytesIO(), key, context={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        phicrypto.stream_encrypt(io.BytesIO(b""), io.BytesIO(), key, chunk_size=100)


def test_native_stream_call_releases_the_gil(key: Key) -> None:
    """The library blocks reading a pipe that only this Python thread fills: with the GIL held
    during the call, this thread could never write and the join would time out."""
    r, w = os.pipe()
    out_r, out_w = os.pipe()
    result: list[int] = []
    reader = open(r, "rb", buffering=0)
    sink = open(out_w, "wb", buffering=0)
    collected = bytearray()

    def drain_output() -> None:
        for chunk in iter(lambda: os.read(out_r, 65536), b""):
            collected.extend(chunk)

    drain = threading.Thread(target=drain_output)
    drain.start()
    worker = threading.Thread(target=lambda: result.append(phicrypto.stream_encrypt(reader, sink, key)))
    worker.start()
    for _ in range(10):
        os.write(w, b"x" * 100_000)  # the native side consumes these while we hold no lock
    os.close(w)
    worker.join(60)
    sink.close()
    drain.join(60)
    reader.close()
    os.close(out_r)
    assert result == [1_000_000]
    out = io.BytesIO()
    phicrypto.stream_decrypt(io.BytesIO(bytes(collected)), out, key)
    assert out.getvalue() == b"x" * 1_000_000
