"""Key handles and key wrapping."""
from __future__ import annotations

import pickle
import struct

import pytest

import phicrypto
from phicrypto import Key


def test_generated_keys_are_32_random_bytes() -> None:
    keys = [phicrypto.generate_key(), phicrypto.generate_encryption_key(), phicrypto.generate_data_encryption_key()]
    raw = [k.export() for k in keys]
    assert all(len(r) == 32 for r in raw)
    assert len(set(raw)) == 3
    assert phicrypto.generate_key(64).size == 64


def test_import_export_round_trip() -> None:
    raw = bytes(range(32))
    key = Key.from_bytes(raw)
    assert key.export() == raw
    assert Key.from_bytes(bytearray(raw)).export() == raw
    assert Key.from_bytes(memoryview(raw)).export() == raw


def test_repr_and_pickle_never_show_key_bytes() -> None:
    key = Key.from_bytes(b"\xab" * 32)
    assert "ab" not in repr(key).lower()
    assert repr(key) == "<phicrypto.Key 32 bytes>"
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_key_wrap_round_trip_and_version() -> None:
    kek, dek = phicrypto.generate_key(), phicrypto.generate_data_encryption_key()
    record = phicrypto.key_wrap(dek, kek, version=7)
    assert len(record) == 57
    assert phicrypto.wrapped_key_version(record) == 7
    assert phicrypto.key_unwrap(record, kek).export() == dek.export()
    # the wrapped DEK decrypts what the original encrypted
    assert phicrypto.decrypt(phicrypto.encrypt(b"data", dek), phicrypto.key_unwrap(record, kek)) == b"data"


def test_edited_clear_version_is_detected() -> None:
    kek, dek = phicrypto.generate_key(), phicrypto.generate_data_encryption_key()
    record = bytearray(phicrypto.key_wrap(dek, kek, version=1))
    record[5:9] = struct.pack(">I", 2)
    assert phicrypto.wrapped_key_version(bytes(record)) == 2
    with pytest.raises(phicrypto.AuthenticationError):
        phicrypto.key_unwrap(bytes(record), kek)


def test_key_wrap_argument_checks() -> None:
    kek = phicrypto.generate_key()
    with pytest.raises(TypeError):
        phicrypto.key_wrap(b"\x00" * 32, kek)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phicrypto.key_wrap(kek, kek, version="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        phicrypto.key_wrap(kek, kek, version=2**32)
    with pytest.raises(ValueError):
        phicrypto.aes_key_wrap(Key.for_wrapping(b"\x01" * 20), kek, padded=False)  # KW needs a multiple of 8


def test_context_manager_closes() -> None:
    with phicrypto.generate_key() as key:
        assert not key.closed
    assert key.closed
    assert repr(key) == "<phicrypto.Key closed>"


def test_library_information() -> None:
    assert phicrypto.native_version() == phicrypto.__version__
    status = phicrypto.fips_status()
    assert isinstance(status.mode, bool)
    assert status.provider in (True, False, None)


@pytest.mark.parametrize("size", [0, 15, 17, 31, 33, 48, 63, 65])
def test_a_key_of_an_unusable_size_is_refused_where_it_is_made(size: int) -> None:
    with pytest.raises(phicrypto.KeySizeError, match=rf"^a {size}-byte key: keys are 16, 24, 32 or 64 bytes"):
        Key.from_bytes(b"x" * size)
    with pytest.raises(phicrypto.KeySizeError):
        Key.generate(size)


def test_every_usable_size_is_made_and_wrapping_takes_any_length_it_carries() -> None:
    for size in (16, 24, 32, 64):
        assert Key.from_bytes(b"k" * size).size == size
    kek = phicrypto.generate_key()
    material = Key.for_wrapping(b"m" * 17)  # AES-KWP carries 17 bytes; no cipher takes them
    assert phicrypto.aes_key_unwrap(phicrypto.aes_key_wrap(material, kek), kek).export() == b"m" * 17
    with pytest.raises(phicrypto.KeySizeError):
        Key.for_wrapping(b"m" * 65)
