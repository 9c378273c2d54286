"""Safe decryption defaults (issue 12, section 4): legacy suites need ``allow_legacy=True`` (and the
error says so), and ``verify_first=True`` releases no plaintext of a signed message before its footer
signature verified, on the descriptor path, the push path and the random-access reader."""
from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

import phicrypto

PLAIN = bytes(range(256)) * 40  # 10,240 bytes: two regular frames of 4096 and a final one


def legacy_message() -> bytes:
    """A format-v1 header of suite 0x0178 (no key commitment) with one raw AES EDK of this library."""
    info = b"raw" + struct.pack(">II", 128, 12) + b"\x22" * 12
    edk = struct.pack(">H", 9) + b"phicrypto" + struct.pack(">H", len(info)) + info + struct.pack(">H", 48) + b"\x33" * 48
    header = b"\x01\x80\x01\x78" + b"\x11" * 16 + struct.pack(">HH", 0, 1) + edk + b"\x02" + bytes(4) + b"\x0c" + struct.pack(">I", 4096)
    return header + b"\x44" * (12 + 16 + 64)


def signed_and_forged(source: phicrypto.KeySource, plain: bytes = PLAIN) -> tuple[bytes, bytes]:
    out = io.BytesIO()
    phicrypto.stream_encrypt(io.BytesIO(plain), out, source, 4096, {"kind": "report"}, signed=True)
    good = out.getvalue()
    return good, good[:-1] + bytes([good[-1] ^ 1])  # the signature's last byte: every frame tag still verifies


@pytest.fixture
def source(key: phicrypto.Key) -> phicrypto.KeySource:
    return key.source("files")


def test_a_legacy_message_is_refused_by_default_and_the_error_says_how_to_opt_in(source: phicrypto.KeySource, tmp_path: Path) -> None:
    message = legacy_message()
    with pytest.raises(phicrypto.PolicyError, match="allow_legacy=True"):
        phicrypto.stream_decrypt(io.BytesIO(message), io.BytesIO(), source)
    path = tmp_path / "legacy.enc"
    path.write_bytes(message)
    with pytest.raises(phicrypto.PolicyError, match="allow_legacy=True"):
        phicrypto.open_encrypted(path, source)
    # opted in, the suite is accepted: the made-up data key then fails to unwrap (not a policy error)
    with pytest.raises(phicrypto.PhiCryptoError) as opted_in:
        phicrypto.stream_decrypt(io.BytesIO(message), io.BytesIO(), source, allow_legacy=True)
    assert not isinstance(opted_in.value, phicrypto.PolicyError)
    with pytest.raises(phicrypto.PhiCryptoError) as opened:
        phicrypto.open_encrypted(path, source, allow_legacy=True)
    assert not isinstance(opened.value, phicrypto.PolicyError)


def test_flags_must_be_bool(source: phicrypto.KeySource) -> None:
    with pytest.raises(TypeError):
        phicrypto.stream_decrypt(io.BytesIO(b""), io.BytesIO(), source, allow_legacy="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phicrypto.open_encrypted("/nonexistent", source, verify_first=1)  # type: ignore[arg-type]


def test_by_default_a_signed_message_releases_frames_before_its_signature_fails(source: phicrypto.KeySource) -> None:
    big = PLAIN * 20  # 200 KiB: several pushes of 64 KiB, frames pulled after each
    _, forged = signed_and_forged(source, big)
    out = io.BytesIO()
    with pytest.raises(phicrypto.AuthenticationError):
        phicrypto.stream_decrypt(io.BytesIO(forged), out, source)
    released = out.getvalue()
    assert len(released) >= 64 * 1024 and big.startswith(released)  # documented: the reason verify_first exists
    out = io.BytesIO()
    with pytest.raises(phicrypto.AuthenticationError):
        phicrypto.stream_decrypt(io.BytesIO(forged), out, source, verify_first=True)
    assert out.getvalue() == b""


def test_verify_first_releases_nothing_of_a_forged_signed_message(source: phicrypto.KeySource, tmp_path: Path) -> None:
    good, forged = signed_and_forged(source)
    out = io.BytesIO()
    with pytest.raises(phicrypto.AuthenticationError):
        phicrypto.stream_decrypt(io.BytesIO(forged), out, source, verify_first=True)
    assert out.getvalue() == b""
    path, plain = tmp_path / "forged.enc", tmp_path / "plain"
    path.write_bytes(forged)
    with open(path, "rb") as src, open(plain, "wb") as dst:
        with pytest.raises(phicrypto.AuthenticationError):
            phicrypto.stream_decrypt(src, dst, source, verify_first=True)
    assert plain.read_bytes() == b""
    with pytest.raises(phicrypto.AuthenticationError):
        phicrypto.open_encrypted(path, source, verify_first=True)
    with phicrypto.open_encrypted(path, source) as unverified:  # random reads never check the signature
        assert unverified.read(100) == PLAIN[:100]

    path.write_bytes(good)
    out = io.BytesIO()
    assert phicrypto.stream_decrypt(io.BytesIO(good), out, source, verify_first=True)["kind"] == "report"
    assert out.getvalue() == PLAIN
    with open(path, "rb") as src, open(plain, "wb") as dst:
        phicrypto.stream_decrypt(src, dst, source, verify_first=True)
    assert plain.read_bytes() == PLAIN
    with phicrypto.open_encrypted(path, source, verify_first=True) as f:
        f.seek(9000)
        assert f.read() == PLAIN[9000:]


def test_keyring_methods_pass_the_flags_on(tmp_path: Path) -> None:
    ring = phicrypto.Keyring.create(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_TEST_KEK")
    ring.add_purpose("files")
    good, forged = signed_and_forged(ring.source("files"))
    out = io.BytesIO()
    with pytest.raises(phicrypto.AuthenticationError):
        ring.stream_decrypt("files", io.BytesIO(forged), out, verify_first=True)
    assert out.getvalue() == b""
    path = tmp_path / "forged.enc"
    path.write_bytes(forged)
    with pytest.raises(phicrypto.AuthenticationError):
        ring.open_encrypted("files", path, verify_first=True)
    with pytest.raises(phicrypto.PolicyError, match="allow_legacy=True"):
        ring.stream_decrypt("files", io.BytesIO(legacy_message()), io.BytesIO())
    ring.close()
