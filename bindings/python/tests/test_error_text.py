"""Issue 15: every error message the binding shows is readable English. The library is NativeAOT with
UseSystemResourceKeys, where the runtime's own texts become bare resource keys ("Arg_ParamName_Name",
"ArgumentOutOfRange_..."): none of them may reach a caller."""
from __future__ import annotations

import re

import phicrypto
import pytest
from phicrypto import Key

RESOURCE_KEY = re.compile(r"\b(Arg_\w+|ArgumentOutOfRange_\w+|\w+_Name\b|Argument_\w+|InvalidOperation_\w+)|\(Parameter '")

KEY = phicrypto.generate_key()
SHORT = Key.for_wrapping(b"s" * 16)
ODD = Key.for_wrapping(b"o" * 20)


CALLS = {
    "key of 31 bytes": lambda: Key.from_bytes(b"x" * 31),
    "generate 8 bytes": lambda: phicrypto.generate_key(8),
    "16-byte key for a field": lambda: phicrypto.encrypt(b"x", SHORT),
    "16-byte key, deterministic": lambda: phicrypto.encrypt_deterministic(b"x", SHORT),
    "FF1 with a 20-byte key": lambda: phicrypto.ff1_encrypt(ODD, "123456789"),
    "FF1 of letters in radix 10": lambda: phicrypto.ff1_encrypt(KEY, "12345abc"),
    "KW of 20 bytes": lambda: phicrypto.aes_key_wrap(ODD, KEY, padded=False),
    "KEK of 20 bytes": lambda: phicrypto.aes_key_wrap(KEY, ODD),
    "wrapped record too short": lambda: phicrypto.key_unwrap(b"PHWK\x01", KEY),
    "version 0": lambda: phicrypto.key_wrap(KEY, KEY, version=0),
    "empty purpose": lambda: phicrypto.encrypt(b"x", KEY, purpose=""),
    "oversized field": lambda: phicrypto.encrypt(b"x" * (1024 * 1024 + 1), KEY),
    "garbage envelope": lambda: phicrypto.decrypt(b"\x00" * 40, KEY),
    "garbage message": lambda: phicrypto.inspect_encrypted(b"\x02" * 64),
}


@pytest.mark.parametrize("name", CALLS)
def test_error_messages_carry_no_resource_keys(name: str) -> None:
    with pytest.raises(Exception) as caught:
        CALLS[name]()
    message = str(caught.value)
    assert message and not RESOURCE_KEY.search(message), f"{name}: {message!r}"
    assert len(message.split()) >= 4, f"{name}: not a sentence: {message!r}"
