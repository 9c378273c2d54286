"""The exception mapping: library statuses to the documented Python exceptions."""
from __future__ import annotations

import pytest

import phicrypto
from phicrypto import (
    AuthenticationError,
    FormatError,
    Key,
    KeyNotFoundError,
    PhiCryptoError,
    WrongKekError,
)


def test_hierarchy() -> None:
    for cls in (AuthenticationError, KeyNotFoundError, FormatError, phicrypto.PolicyError, WrongKekError,
                phicrypto.ConflictError, phicrypto.IoError):
        assert issubclass(cls, PhiCryptoError)
    assert issubclass(phicrypto.IoError, OSError)
    assert not issubclass(PhiCryptoError, ValueError)


def test_authentication_error_says_only_that(key: Key) -> None:
    envelope = bytearray(phicrypto.encrypt(b"secret diagnosis F32.1", key))
    envelope[-1] ^= 1
    with pytest.raises(AuthenticationError) as info:
        phicrypto.decrypt(bytes(envelope), key)
    assert str(info.value) == "authentication failed"
    assert info.value.status == -3


def test_wrong_key_wrong_purpose_wrong_ad_are_authentication_errors(key: Key) -> None:
    envelope = phicrypto.encrypt(b"x", key, b"row-1", purpose="a.B.c")
    with pytest.raises(AuthenticationError):
        phicrypto.decrypt(envelope, phicrypto.generate_encryption_key(), b"row-1", purpose="a.B.c")
    with pytest.raises(AuthenticationError):
        phicrypto.decrypt(envelope, key, b"row-2", purpose="a.B.c")
    with pytest.raises(AuthenticationError):
        phicrypto.decrypt(envelope, key, b"row-1", purpose="a.B.d")


@pytest.mark.parametrize("garbage", [b"", b"\x00", b"\x41", b"\xff" * 40, b"\x41" + b"\x00" * 10])
def test_malformed_envelopes_are_format_errors(key: Key, garbage: bytes) -> None:
    with pytest.raises(FormatError):
        phicrypto.decrypt(garbage, key)


def test_other_key_version_is_key_not_found(key: Key) -> None:
    with key.source(phicrypto.DEFAULT_PURPOSE, version=2) as v2:
        envelope = phicrypto.encrypt(b"v2", v2)
    assert phicrypto.field_header(envelope)[1] == 2
    with pytest.raises(KeyNotFoundError):
        phicrypto.decrypt(envelope, key)


def test_caller_mistakes_are_value_and_type_errors(key: Key) -> None:
    with pytest.raises(TypeError):
        phicrypto.encrypt("not bytes", key)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phicrypto.encrypt(b"x", b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phicrypto.encrypt_field(42, key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        phicrypto.encrypt(b"x", key, purpose="")
    with pytest.raises(ValueError):
        phicrypto.encrypt(b"x" * (1024 * 1024 + 1), key)
    with pytest.raises(ValueError):
        Key.from_bytes(b"short")
    with pytest.raises(ValueError):
        phicrypto.generate_key(8)
    with pytest.raises(ValueError):
        phicrypto.key_wrap(key, key, version=0)


def test_closed_key_is_a_value_error() -> None:
    key = phicrypto.generate_encryption_key()
    key.close()
    key.close()  # idempotent
    assert key.closed
    with pytest.raises(ValueError):
        phicrypto.encrypt(b"x", key)


def test_wrong_kek_on_unwrap_is_authentication_error(key: Key) -> None:
    record = phicrypto.key_wrap(phicrypto.generate_data_encryption_key(), key)
    with pytest.raises(AuthenticationError):
        phicrypto.key_unwrap(record, phicrypto.generate_key())
    with pytest.raises(FormatError):
        phicrypto.key_unwrap(b"not a record at all, not at all", key)


def test_last_error_is_per_thread(key: Key) -> None:
    import threading

    from phicrypto._errors import last_error

    with pytest.raises(ValueError):
        phicrypto.encrypt(b"x", key, purpose="p" * 2000)  # the library refuses it (over 1024 bytes)
    mine = last_error()
    other: list[str] = []
    t = threading.Thread(target=lambda: (pytest.raises(FormatError, phicrypto.decrypt, b"", key), other.append(last_error())))
    t.start()
    t.join()
    assert "purpose" in mine
    assert other and other[0] != mine
    assert last_error() == mine
