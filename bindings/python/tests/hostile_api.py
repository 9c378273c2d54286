"""The hostile-input pass of the public API (issue 12, "Must show"), run in a child interpreter by
test_hostile_inputs.py so that a crash of the process fails the test instead of killing pytest.

    python hostile_api.py mutations N    N hypothesis examples of mutated envelopes, records, messages
    python hostile_api.py large          every input grown to 64 MiB, each through every function

Every mutated input goes through every public decrypt / unwrap / open function. Three properties:
no crash (the parent sees the exit status), no untyped exception (only PhiCryptoError subclasses, and
ValueError/TypeError, escape a call), no forgery (a call that succeeds on a mutated input returns
exactly what the original held). Prints "survived" at the end.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
from typing import Any, Callable

import phicrypto

TYPED = (phicrypto.PhiCryptoError, ValueError, TypeError)
MiB = 1024 * 1024

KEY = phicrypto.generate_encryption_key()
KEK = phicrypto.generate_key()
SOURCE = KEY.source("files", 3)
DEK = phicrypto.generate_key(32)
PLAIN = bytes((i * 37 + (i >> 7)) & 0xFF for i in range(10_000))  # 3 frames of 4 KiB
FIELD = b"123-45-6789"
WORK = tempfile.mkdtemp(prefix="phicrypto-hostile-")


def _message(signed: bool) -> bytes:
    out = io.BytesIO()
    phicrypto.stream_encrypt(io.BytesIO(PLAIN), out, SOURCE, 4096, {"patient": "P-1"}, signed=signed)
    return out.getvalue()


# name -> (original bytes, the checks every mutated variant goes through)
ORIGINALS: dict[str, bytes] = {
    "randomized": phicrypto.encrypt(FIELD, SOURCE, b"row-1"),
    "deterministic": phicrypto.encrypt_deterministic(FIELD, SOURCE, b"row-1"),
    "record": phicrypto.key_wrap(DEK, KEK, version=5),
    "kwp": phicrypto.aes_key_wrap(DEK, KEK, padded=True),
    "kw": phicrypto.aes_key_wrap(DEK, KEK, padded=False),
    "message": _message(False),
    "signed": _message(True),
}


class Forgery(AssertionError):
    pass


def expect(result: Any, original: Any, what: str) -> None:
    if result != original:
        raise Forgery(f"{what} accepted a mutated input and returned something else")


def typed(call: Callable[[], Any]) -> Any:
    """The call's result, or None when it raised a typed error; anything else propagates."""
    try:
        return call()
    except TYPED:
        return None


def fields(data: bytes) -> None:
    for fn in (phicrypto.decrypt, phicrypto.decrypt_deterministic):
        r = typed(lambda: fn(data, SOURCE, b"row-1"))
        if r is not None:
            expect(r, FIELD, fn.__name__)
    r = typed(lambda: phicrypto.decrypt_field(data, SOURCE, b"row-1"))
    if r is not None:
        expect(r, FIELD, "decrypt_field")
    r = typed(lambda: phicrypto.decrypt_fields([data, None, data], SOURCE, b"row-1"))
    if r is not None:
        expect(r, [FIELD, None, FIELD], "decrypt_fields")
    typed(lambda: phicrypto.field_header(data))
    versions = typed(lambda: phicrypto.field_versions([data, None, data[:6]]))  # malformed: None, not raised
    if versions is not None and (versions[1] is not None or versions[0] != versions[2]):
        raise AssertionError(f"field_versions: {versions}")


def keys(data: bytes) -> None:
    dek = DEK.export()
    for call, what in ((lambda: phicrypto.key_unwrap(data, KEK), "key_unwrap"),
                       (lambda: phicrypto.aes_key_unwrap(data, KEK, padded=True), "aes_key_unwrap(padded)"),
                       (lambda: phicrypto.aes_key_unwrap(data, KEK, padded=False), "aes_key_unwrap")):
        k = typed(call)
        if k is not None:
            expect(k.export(), dek, what)
    typed(lambda: phicrypto.wrapped_key_version(data))


def streams(data: bytes) -> None:
    path = os.path.join(WORK, "message")
    with open(path, "wb") as f:
        f.write(data)
    for flags in ({}, {"verify_first": True}, {"allow_legacy": True}):
        out = io.BytesIO()  # push mode
        if typed(lambda: phicrypto.stream_decrypt(io.BytesIO(data), out, SOURCE, **flags)) is not None:
            expect(out.getvalue(), PLAIN, "stream_decrypt (push)")
        with open(path, "rb") as src, open(os.path.join(WORK, "plain"), "wb+") as dst:  # descriptor path
            if typed(lambda: phicrypto.stream_decrypt(src, dst, SOURCE, **flags)) is not None:
                dst.seek(0)
                expect(dst.read(), PLAIN, "stream_decrypt (fd)")
        r = typed(lambda: _read_encrypted(path, flags))
        if r is not None:
            expect(r, PLAIN, "open_encrypted")
    typed(lambda: phicrypto.inspect_encrypted(path))
    typed(lambda: phicrypto.inspect_encrypted(path, header_only=True))


def _read_encrypted(path: str, flags: dict[str, bool]) -> bytes:
    with phicrypto.open_encrypted(path, SOURCE, **flags) as f:
        tail = (f.seek(max(0, f.length - 100)), f.read())[1]
        f.seek(0)
        whole = f.read()
        if tail != whole[-100:]:
            raise Forgery("open_encrypted: a random read differs from the sequential one")
        return whole


def every_function(data: bytes) -> None:
    fields(data)
    keys(data)
    streams(data)


def mutations(examples: int) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @st.composite
    def mutated(draw: Any) -> bytes:
        data = bytearray(ORIGINALS[draw(st.sampled_from(sorted(ORIGINALS)))])
        for _ in range(draw(st.integers(1, 3))):
            op = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "append", "splice", "set"]))
            at = draw(st.integers(0, max(0, len(data) - 1)))
            if op == "flip" and data:
                data[at] ^= 1 << draw(st.integers(0, 7))
            elif op == "truncate":
                del data[at:]
            elif op == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=64))
            elif op == "delete":
                del data[at:at + draw(st.integers(1, 64))]
            elif op == "append":
                data += draw(st.binary(min_size=1, max_size=4096))
            elif op == "splice":  # a piece of another original (frames, EDKs, headers moved around)
                other = ORIGINALS[draw(st.sampled_from(sorted(ORIGINALS)))]
                start = draw(st.integers(0, len(other) - 1))
                data[at:at + draw(st.integers(0, 64))] = other[start:start + draw(st.integers(1, 256))]
            elif op == "set" and data:  # a length or count field set to an extreme
                data[at:at + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff"]))
        return bytes(data)

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutated())
    def check(data: bytes) -> None:
        every_function(data)

    check()


def large() -> None:
    """Messages (and envelopes, records) up to 64 MiB: zeros appended, and a 64 MiB length claimed."""
    for name, original in sorted(ORIGINALS.items()):
        grown = original + bytes(64 * MiB - len(original))
        every_function(grown)
        every_function(b"\xff" * 16 + grown[16:])
        print(f"{name}: 64 MiB variants typed", flush=True)


if __name__ == "__main__":
    for original in ORIGINALS.values():  # the originals themselves: typed errors or the true plaintext
        every_function(original)
    if sys.argv[1] == "mutations":
        mutations(int(sys.argv[2]))
    else:
        large()
    print("survived")
