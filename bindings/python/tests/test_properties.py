"""Hypothesis properties: round trips in both modes and with the batch API, and tampering."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import phicrypto
from phicrypto import AuthenticationError, PhiCryptoError

KEY = phicrypto.generate_encryption_key()
values = st.one_of(st.none(), st.binary(max_size=200), st.text(max_size=60))
ads = st.one_of(st.none(), st.binary(max_size=40))
purposes = st.text(min_size=1, max_size=30).filter(lambda p: "\0" not in p)


@settings(max_examples=200, deadline=None)
@given(plaintext=st.binary(max_size=2000), ad=ads, purpose=purposes, deterministic=st.booleans())
def test_round_trip(plaintext: bytes, ad: bytes | None, purpose: str, deterministic: bool) -> None:
    enc = phicrypto.encrypt_deterministic if deterministic else phicrypto.encrypt
    envelope = enc(plaintext, KEY, ad, purpose=purpose)
    assert len(envelope) == len(plaintext) + (17 if deterministic else 29)
    assert phicrypto.decrypt(envelope, KEY, ad, purpose=purpose) == plaintext


@settings(max_examples=100, deadline=None)
@given(batch=st.lists(values, max_size=40), ad=ads, deterministic=st.booleans())
def test_batch_round_trip_matches_single_calls(batch: list, ad: bytes | None, deterministic: bool) -> None:
    envelopes = phicrypto.encrypt_fields(batch, KEY, deterministic, ad)
    assert len(envelopes) == len(batch)
    for value, envelope in zip(batch, envelopes):
        assert (envelope is None) == (value is None)
        if value is not None:
            expected = value.encode() if isinstance(value, str) else value
            assert phicrypto.decrypt_field(envelope, KEY, ad) == expected
            if deterministic:
                assert envelope == phicrypto.encrypt_field(value, KEY, True, ad)
    decrypted = phicrypto.decrypt_fields(envelopes, KEY, ad)
    assert decrypted == [v.encode() if isinstance(v, str) else v for v in batch]


@settings(max_examples=200, deadline=None)
@given(plaintext=st.binary(max_size=100), deterministic=st.booleans(), data=st.data())
def test_any_single_bit_flip_is_rejected(plaintext: bytes, deterministic: bool, data: st.DataObject) -> None:
    enc = phicrypto.encrypt_deterministic if deterministic else phicrypto.encrypt
    envelope = bytearray(enc(plaintext, KEY))
    position = data.draw(st.integers(0, len(envelope) - 1))
    envelope[position] ^= 1 << data.draw(st.integers(0, 7))
    # A body change fails authentication; a header change may instead name another format or key version.
    expected = AuthenticationError if position > 0 else PhiCryptoError
    with pytest.raises(expected):
        phicrypto.decrypt(bytes(envelope), KEY)


@settings(max_examples=100, deadline=None)
@given(plaintext=st.binary(max_size=100), cut=st.integers(1, 200))
def test_truncation_is_rejected(plaintext: bytes, cut: int) -> None:
    envelope = phicrypto.encrypt(plaintext, KEY)
    with pytest.raises(PhiCryptoError):
        phicrypto.decrypt(envelope[: max(0, len(envelope) - cut)], KEY)
