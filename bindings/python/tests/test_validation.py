"""The six validation tests of the requirements document, as written there (section "Validation
Tests Required"), each made a test function. Two adjustments the issue asks for: test 1's 1.5x bound
is asserted with encrypt_deterministic (no authenticated randomized scheme meets it for a 35-byte
value: see the README), and the randomized overhead is asserted to be exactly 29 bytes."""
from __future__ import annotations

import hashlib
import os

from phicrypto import (
    AuthenticationError,
    decrypt,
    decrypt_deterministic,
    encrypt,
    encrypt_deterministic,
    encrypt_field,
    generate_data_encryption_key,
    generate_encryption_key,
    generate_key,
    key_unwrap,
    key_wrap,
)


def test_1_encryption_decryption_correctness() -> None:
    # Verify round-trip encryption
    plaintext = b"Sensitive PII data: SSN 123-45-6789"
    key = generate_encryption_key()

    ciphertext = encrypt_deterministic(plaintext, key)
    assert ciphertext != plaintext, "Encryption failed"
    assert len(ciphertext) <= len(plaintext) * 1.5, "Excessive ciphertext expansion"

    decrypted = decrypt_deterministic(ciphertext, key)
    assert decrypted == plaintext, "Decryption failed"


def test_1_randomized_overhead_is_exactly_29_bytes() -> None:
    plaintext = b"Sensitive PII data: SSN 123-45-6789"
    key = generate_encryption_key()

    ciphertext = encrypt(plaintext, key)
    assert ciphertext != plaintext, "Encryption failed"
    assert len(ciphertext) == len(plaintext) + 29

    decrypted = decrypt(ciphertext, key)
    assert decrypted == plaintext, "Decryption failed"


def test_2_authentication_tag_validation() -> None:
    key = generate_encryption_key()
    # Verify tampering detection
    ciphertext = encrypt(b"Original data", key)
    tampered = bytearray(ciphertext)
    tampered[10] ^= 0xFF  # Flip one bit

    try:
        decrypt(bytes(tampered), key)
        assert False, "Tampering not detected"
    except AuthenticationError:
        pass  # Expected


def test_4_key_rotation() -> None:
    # Verify key rotation without data re-encryption
    old_key = generate_key()
    new_key = generate_key()

    # Encrypt DEK with old KEK
    dek = generate_data_encryption_key()
    wrapped_dek_v1 = key_wrap(dek, old_key, version=1)

    # Re-wrap with new KEK
    dek_unwrapped = key_unwrap(wrapped_dek_v1, old_key)
    wrapped_dek_v2 = key_wrap(dek_unwrapped, new_key, version=2)

    # Data encrypted with DEK remains accessible
    ciphertext = encrypt(b"data", dek)
    assert decrypt(ciphertext, dek_unwrapped) == b"data"

    # (beyond the snippet) the re-wrapped DEK opens with the new KEK only
    assert decrypt(ciphertext, key_unwrap(wrapped_dek_v2, new_key)) == b"data"


def test_5_performance_benchmark(capsys) -> None:  # type: ignore[no-untyped-def]
    key = generate_encryption_key()
    # Measure field encryption performance
    import time

    fields = [f"SSN-{i:09d}".encode() for i in range(10000)]
    start = time.perf_counter()

    for field in fields:
        ciphertext = encrypt_field(field, key)

    elapsed = time.perf_counter() - start
    per_field_ms = (elapsed / len(fields)) * 1000

    assert per_field_ms < 1.0, f"Too slow: {per_field_ms}ms per field"
    print(f"Performance: {per_field_ms:.3f}ms per field")
    assert ciphertext is not None


def test_6_deterministic_encryption() -> None:
    key = generate_encryption_key()
    # Verify deterministic mode for searchable encryption
    plaintext = b"123-45-6789"

    ct1 = encrypt_deterministic(plaintext, key)
    ct2 = encrypt_deterministic(plaintext, key)

    assert ct1 == ct2, "Deterministic encryption not consistent"

    # But different plaintexts produce different ciphertexts
    plaintext2 = b"987-65-4321"
    ct3 = encrypt_deterministic(plaintext2, key)
    assert ct3 != ct1, "Collision in deterministic encryption"


def test_3_streaming_encryption(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from phicrypto import stream_decrypt, stream_encrypt

    key = generate_encryption_key()
    large = "/tmp/large_file.bin"
    encrypted_path = "/tmp/encrypted.bin"
    block = os.urandom(1024 * 1024)
    with open(large, "wb") as f:
        for _ in range(500):
            f.write(block)
    try:
        # Verify memory-efficient streaming
        import io
        import psutil

        process = psutil.Process()
        mem_before = process.memory_info().rss

        # Encrypt 500MB file
        with open("/tmp/large_file.bin", "rb") as infile:
            with open("/tmp/encrypted.bin", "wb") as outfile:
                stream_encrypt(infile, outfile, key, chunk_size=64*1024)

        mem_after = process.memory_info().rss
        mem_used_mb = (mem_after - mem_before) / 1024 / 1024

        assert mem_used_mb < 100, f"Excessive memory usage: {mem_used_mb}MB"

        # (beyond the snippet) it decrypts to the same 500 MB, also within the memory bound
        digest = hashlib.sha256()
        with open(encrypted_path, "rb") as infile, open(large, "wb") as outfile:
            stream_decrypt(infile, outfile, key)
        with open(large, "rb") as f:
            for chunk in iter(lambda: f.read(1024 * 1024), b""):
                digest.update(chunk)
        expected = hashlib.sha256()
        for _ in range(500):
            expected.update(block)
        assert digest.digest() == expected.digest()
        assert (process.memory_info().rss - mem_before) / 1024 / 1024 < 100
    finally:
        for path in (large, encrypted_path):
            if os.path.exists(path):
                os.remove(path)
