"""Hostile sizes at the C boundary (issue 12, section 2).

Each attack runs in a child interpreter so that a crash of the host (the old phi_key_unwrap_record
put a caller-sized buffer on the stack: 64 MB killed the process) fails the test instead of the
runner. Every oversize input must come back as a typed phicrypto error, and the process must live.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

import pytest

import phicrypto
from phicrypto._cdef import PHI_CONTEXT_JSON_MAX, PHI_FIELD_BATCH_MAX_COUNT

MB64 = 64 * 1024 * 1024

PRELUDE = textwrap.dedent("""
    import io, struct, phicrypto
    MB64 = 64 * 1024 * 1024
    kek = phicrypto.generate_key()
    def refuses(error, call, *args, **kwargs):
        try:
            call(*args, **kwargs)
        except error:
            return
        raise SystemExit(f"{call.__name__} accepted a hostile input")
""")


def run_child(body: str) -> subprocess.CompletedProcess[str]:
    script = PRELUDE + textwrap.dedent(body) + "\nprint('survived')\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=os.environ.copy())


def assert_survives(body: str) -> None:
    child = run_child(body)
    assert child.returncode == 0, f"child exited with {child.returncode}: {child.stderr[-2000:]}"
    assert child.stdout.strip().endswith("survived")


def test_a_64_mb_wrapped_key_record_is_a_format_error_not_a_crash() -> None:
    assert_survives("""
        record = b"PHWK" + bytes([1]) + struct.pack(">I", 1) + bytes(MB64)
        refuses(phicrypto.FormatError, phicrypto.key_unwrap, record, kek)
        assert phicrypto.wrapped_key_version(record[:57]) == 1
    """)


def test_every_record_length_around_the_limit_is_typed() -> None:
    assert_survives("""
        dek = phicrypto.generate_key(64)
        good = phicrypto.key_wrap(dek, kek, 7)
        assert len(good) == 89
        assert phicrypto.key_unwrap(good, kek).export() == dek.export()
        for extra in (8, 16, 4096, 1 << 20):
            refuses(phicrypto.FormatError, phicrypto.key_unwrap, good + bytes(extra), kek)
    """)


def test_oversize_inputs_to_the_other_byte_parsers_are_typed() -> None:
    assert_survives("""
        huge = bytes(MB64)
        refuses((phicrypto.FormatError, ValueError), phicrypto.aes_key_unwrap, huge, kek)
        refuses((phicrypto.FormatError, ValueError), phicrypto.wrapped_key_version, b"PHWK" + bytes([1, 0, 0, 0, 1]) + huge)
        refuses((phicrypto.FormatError, ValueError), phicrypto.decrypt, huge, kek)
        refuses((phicrypto.FormatError, ValueError), phicrypto.decrypt_deterministic, bytes([0x21]) + huge, kek)
        refuses((phicrypto.PhiCryptoError, ValueError), phicrypto.stream_decrypt, io.BytesIO(huge), io.BytesIO(), kek)
    """)


@pytest.mark.parametrize("size", [1, 17, 4096, MB64])
def test_random_oversize_records_never_crash(size: int) -> None:
    assert_survives(f"""
        import os
        blob = os.urandom({size})
        for candidate in (blob, b"PHWK" + bytes([1]) + blob):
            refuses((phicrypto.FormatError, phicrypto.AuthenticationError), phicrypto.key_unwrap, candidate, kek)
    """)



def test_batches_over_the_count_limit_are_refused_before_any_allocation() -> None:
    key = phicrypto.generate_encryption_key()
    too_many = [b"x"] * (PHI_FIELD_BATCH_MAX_COUNT + 1)
    with pytest.raises(ValueError, match="PHI_FIELD_BATCH_MAX_COUNT"):
        phicrypto.encrypt_fields(too_many, key)
    with pytest.raises(ValueError, match="PHI_FIELD_BATCH_MAX_COUNT"):
        phicrypto.decrypt_fields(too_many, key)


def test_contexts_over_the_json_limit_are_refused() -> None:
    key = phicrypto.generate_encryption_key()
    huge = {"note": "x" * PHI_CONTEXT_JSON_MAX}
    with pytest.raises(ValueError, match="longer than"):
        phicrypto.stream_encrypt(io.BytesIO(b"abc"), io.BytesIO(), key, context=huge)
    message = io.BytesIO()
    phicrypto.stream_encrypt(io.BytesIO(b"abc"), message, key)
    with pytest.raises(ValueError, match="longer than"):
        phicrypto.stream_decrypt(io.BytesIO(message.getvalue()), io.BytesIO(), key, expected_context=huge)
