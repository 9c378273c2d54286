"""stream_encrypt(compress="zstd"): zstd seekable content, decompressed on decrypt and by range."""
from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

import phicrypto
from phicrypto import Key

FRAME = 1024 * 1024  # the compressed frame size stream_encrypt uses


def records(n: int) -> bytes:
    lines = (f'{{"mrn":"{i * 7919 % 1000003}","dx":"E11.{i % 10}"}}\n' for i in range(n // 20 + 1))
    return "".join(lines).encode()[:n]


def encrypt(tmp_path: Path, key: Key, plain: bytes) -> Path:
    (tmp_path / "in").write_bytes(plain)
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "enc", "wb") as dst:
        assert phicrypto.stream_encrypt(src, dst, key, context={"patient": "P-1"}, compress="zstd") == len(plain)
    return tmp_path / "enc"


@pytest.mark.parametrize("size", [0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME + 5])
def test_round_trip_and_marked_context(tmp_path: Path, key: Key, size: int) -> None:
    plain = records(size)
    enc = encrypt(tmp_path, key, plain)
    if size > FRAME:
        assert enc.stat().st_size < size // 4
    with open(enc, "rb") as src, open(tmp_path / "out", "wb") as dst:
        context = phicrypto.stream_decrypt(src, dst, key)
    assert (tmp_path / "out").read_bytes() == plain
    assert context["phicrypto:content-encoding"] == "zstd-seekable"
    assert context["phicrypto:zstd-frame-size"] == str(FRAME)
    out = io.BytesIO()  # the push path decompresses too
    with open(enc, "rb") as src:
        phicrypto.stream_decrypt(io.BytesIO(src.read()), out, key)
    assert out.getvalue() == plain


def test_open_encrypted_maps_offsets(tmp_path: Path, key: Key) -> None:
    plain = records(3 * FRAME + 17)
    enc = encrypt(tmp_path, key, plain)
    rng = random.Random(5)
    with phicrypto.open_encrypted(enc, key) as f:
        assert f.seek(0, io.SEEK_END) == len(plain)
        for _ in range(30):
            start = rng.randrange(len(plain))
            count = rng.randrange(2 * FRAME)
            f.seek(start)
            assert f.read(count) == plain[start:start + count]


def test_tampering_fails(tmp_path: Path, key: Key) -> None:
    enc = encrypt(tmp_path, key, records(FRAME + 100))
    data = bytearray(enc.read_bytes())
    data[len(data) // 2] ^= 4
    with pytest.raises(phicrypto.AuthenticationError):
        phicrypto.stream_decrypt(io.BytesIO(bytes(data)), io.BytesIO(), key)


@pytest.mark.parametrize("size", [0, 5, FRAME, FRAME + 3])
def test_push_path_writes_the_same_content(tmp_path: Path, key: Key, size: int) -> None:
    plain = records(size)
    pushed = io.BytesIO()
    assert phicrypto.stream_encrypt(io.BytesIO(plain), pushed, key, compress="zstd") == size
    (tmp_path / "pushed").write_bytes(pushed.getvalue())
    with open(tmp_path / "pushed", "rb") as src, open(tmp_path / "out", "wb") as dst:
        assert phicrypto.stream_decrypt(src, dst, key)["phicrypto:zstd-frame-size"] == str(FRAME)
    assert (tmp_path / "out").read_bytes() == plain
    with phicrypto.open_encrypted(tmp_path / "pushed", key) as f:
        f.seek(size // 2)
        assert f.read(100) == plain[size // 2:size // 2 + 100]


def test_compress_needs_a_known_name(key: Key) -> None:
    with pytest.raises(ValueError):
        phicrypto.stream_encrypt(io.BytesIO(b"x"), io.BytesIO(), key, compress="gzip")
