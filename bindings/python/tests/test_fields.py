"""The field API: None and empty values, str and bytes, purposes and AD, batches."""
from __future__ import annotations

import pytest

import phicrypto
from phicrypto import Key


def test_none_passes_through(key: Key) -> None:
    assert phicrypto.encrypt_field(None, key) is None
    assert phicrypto.decrypt_field(None, key) is None
    assert phicrypto.encrypt_fields([None, None], key) == [None, None]
    assert phicrypto.decrypt_fields([None], key) == [None]
    assert phicrypto.encrypt_fields([], key) == []


def test_empty_string_is_a_real_envelope(key: Key) -> None:
    envelope = phicrypto.encrypt_field("", key)
    assert envelope is not None and len(envelope) == 29
    assert phicrypto.decrypt_field(envelope, key, text=True) == ""
    assert phicrypto.decrypt_field(envelope, key) == b""


def test_str_values_are_utf8(key: Key) -> None:
    value = "Müller, José – 患者"
    envelope = phicrypto.encrypt_field(value, key, deterministic=True)
    assert envelope == phicrypto.encrypt_deterministic(value.encode(), key)
    assert phicrypto.decrypt_field(envelope, key, text=True) == value


def test_str_ad_is_utf8(key: Key) -> None:
    envelope = phicrypto.encrypt_field(b"v", key, ad="row-17")
    assert phicrypto.decrypt_field(envelope, key, ad=b"row-17") == b"v"


def test_deterministic_depends_on_purpose_and_ad(key: Key) -> None:
    a = phicrypto.encrypt_deterministic(b"123-45-6789", key, purpose="clinic.Patient.ssn")
    assert a == phicrypto.encrypt_deterministic(b"123-45-6789", key, purpose="clinic.Patient.ssn")
    assert a != phicrypto.encrypt_deterministic(b"123-45-6789", key, purpose="clinic.Staff.ssn")
    assert a != phicrypto.encrypt_deterministic(b"123-45-6789", key, b"x", purpose="clinic.Patient.ssn")


def test_values_larger_than_the_scratch_buffer(key: Key) -> None:
    for size in (4095, 4096, 4097, 100_000, 1024 * 1024):
        value = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
        for enc in (phicrypto.encrypt, phicrypto.encrypt_deterministic):
            assert phicrypto.decrypt(enc(value, key), key) == value


def test_buffer_inputs(key: Key) -> None:
    envelope = phicrypto.encrypt(bytearray(b"abc"), key)
    assert phicrypto.decrypt(memoryview(envelope), key) == b"abc"
    assert phicrypto.decrypt(bytearray(envelope), key) == b"abc"


def test_batch_of_10000_in_one_call(key: Key) -> None:
    values = [f"SSN-{i:09d}" for i in range(10_000)]
    values[17] = None  # type: ignore[call-overload]
    envelopes = phicrypto.encrypt_fields(values, key, deterministic=True)
    assert envelopes[17] is None
    assert envelopes[18] == phicrypto.encrypt_field(values[18], key, deterministic=True)
    assert phicrypto.decrypt_fields(envelopes, key, text=True) == values
    randomized = phicrypto.encrypt_fields(values, key)
    assert len({e for e in randomized if e is not None}) == 9_999  # all distinct
    assert phicrypto.decrypt_fields(randomized, key, text=True) == values


def test_batch_names_the_first_bad_value(key: Key) -> None:
    envelopes = phicrypto.encrypt_fields([b"a", None, b"b", b"c"], key)
    bad = bytearray(envelopes[2])  # type: ignore[arg-type]
    bad[-1] ^= 1
    envelopes[2] = bytes(bad)
    with pytest.raises(phicrypto.AuthenticationError, match="value 2"):
        phicrypto.decrypt_fields(envelopes, key)
    envelopes[3] = b"\x00junk"
    with pytest.raises(phicrypto.AuthenticationError, match="value 2"):
        phicrypto.decrypt_fields(envelopes, key)
    with pytest.raises(TypeError):
        phicrypto.encrypt_fields([b"a", 3], key)  # type: ignore[list-item]


def test_decrypt_field_reads_both_modes(key: Key) -> None:
    for deterministic in (False, True):
        envelope = phicrypto.encrypt_field(b"MRN-1", key, deterministic)
        assert phicrypto.decrypt_field(envelope, key) == b"MRN-1"
        assert phicrypto.decrypt_deterministic(envelope, key) == b"MRN-1"


def test_field_versions_reads_many_headers_in_one_call(key: Key) -> None:
    """Versions 1..31 fit the first byte, later ones a varint: both read from the envelope or from just
    its first PHI_FIELD_MAX_HEADER bytes (what an SQL scan of headers fetches)."""
    envelopes = []
    for version in (1, 31, 32, 300, 2**32 - 1):
        with key.source(phicrypto.DEFAULT_PURPOSE, version=version) as source:
            envelopes.append(phicrypto.encrypt_field(b"v", source, deterministic=version % 2 == 0))
    expected = [1, 31, 32, 300, 2**32 - 1]
    assert phicrypto.field_versions(envelopes) == expected
    assert phicrypto.field_versions([e[:6] for e in envelopes]) == expected
    assert phicrypto.field_versions([memoryview(e) for e in envelopes]) == expected
    assert [phicrypto.field_header(e)[1] for e in envelopes] == expected


@pytest.mark.parametrize("bad", [b"", b"\x00", b"\xff", b"\x40", b"\x40\x80\x80", b"\x40\x05", b"\x40\x80\x00"])
def test_field_versions_gives_none_for_a_malformed_header(key: Key, bad: bytes) -> None:
    good = phicrypto.encrypt_field(b"v", key)
    # no key version is 0; empty, wrong format bits, truncated, small-as-varint, padded varint
    assert phicrypto.field_versions([good, bad, None]) == [1, None, None]
    assert phicrypto.field_versions([]) == []
    with pytest.raises(TypeError):
        phicrypto.field_versions([42])  # type: ignore[list-item]


def test_text_that_is_not_utf8_raises_without_the_plaintext(key: Key) -> None:
    """A UnicodeDecodeError would carry the plaintext (and a batch's every plaintext) in its args."""
    secret = b"\xffsecret-diagnosis"
    one = phicrypto.encrypt_field(secret, key)
    for call in (lambda: phicrypto.decrypt_field(one, key, text=True),
                 lambda: phicrypto.decrypt_fields([phicrypto.encrypt_field(b"fine", key), one], key, text=True)):
        with pytest.raises(phicrypto.FormatError) as caught:
            call()
        error = caught.value
        assert "UTF-8" in str(error) and error.__cause__ is None and error.__suppress_context__
        assert b"secret" not in repr(error.args).encode() and "secret" not in str(error)
