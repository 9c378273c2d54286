"""Blind indexes and FF1 through Python (docs/search.md), checked against independent computations:
the nine NIST SP 800-38G FF1 samples, and blind indexes recomputed here with hmac/hashlib (HKDF from
RFC 5869, the documented message format, normalization with unicodedata and str.casefold)."""
from __future__ import annotations

import hashlib
import hmac
import struct
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import phicrypto
from phicrypto import IndexDefinition, Key, Keyring

DEK = bytes(range(32))
LAST_NAME = "clinic.Patient.last_name"
SSN = "clinic.Patient.ssn"

K128 = "2B7E151628AED2A6ABF7158809CF4F3C"
K192 = K128 + "EF4359D8D580AA4F"
K256 = K192 + "7F036D6F04FC6A94"
T10, T11 = "39383736353433323130", "3737373770717273373737"
DIGITS, ALNUM = "0123456789", "0123456789abcdefghi"
NIST_SAMPLES = [
    (1, K128, 10, "", DIGITS, "2433477484"),
    (2, K128, 10, T10, DIGITS, "6124200773"),
    (3, K128, 36, T11, ALNUM, "a9tv40mll9kdu509eum"),
    (4, K192, 10, "", DIGITS, "2830668132"),
    (5, K192, 10, T10, DIGITS, "2496655549"),
    (6, K192, 36, T11, ALNUM, "xbj3kv35jrawxv32ysr"),
    (7, K256, 10, "", DIGITS, "6657667009"),
    (8, K256, 10, T10, DIGITS, "1001623463"),
    (9, K256, 36, T11, ALNUM, "xs8a0azh2avyalyzuwd"),
]


# ---------------------------------------------------------------- the independent reference

def hkdf_sha256(ikm: bytes, info: bytes, length: int = 32) -> bytes:
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()  # RFC 5869: empty salt = HashLen zeros
    okm, block = b"", b""
    for i in range((length + 31) // 32):
        block = hmac.new(prk, block + info + bytes([i + 1]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def index_key(version: int, purpose: str, name: str) -> bytes:
    p, n = purpose.encode(), name.encode()
    info = b"phicrypto/blind-index/v1\0" + struct.pack(">IH", version, len(p)) + p + struct.pack(">H", len(n)) + n
    return hkdf_sha256(DEK, info)


def fold(value: str) -> str:
    s = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(s.split())


def truncate(mac: bytes, bits: int) -> bytes:
    out = bytearray(mac[:(bits + 7) // 8])
    if bits % 8:
        out[-1] &= (0xFF << (8 - bits % 8)) & 0xFF
    return bytes(out)


def reference_exact(value: str, name: str, bits: int, ci: bool, version: int = 1, purpose: str = LAST_NAME) -> bytes:
    text = fold(value) if ci else value
    message = bytes([1, 1, 2 if ci else 1]) + text.encode()
    return truncate(hmac.new(index_key(version, purpose, name), message, hashlib.sha256).digest(), bits)


def reference_prefix(value: str, k: int, name: str, bits: int) -> bytes:
    message = bytes([1, 2, 2]) + struct.pack(">H", k) + fold(value)[:k].encode()
    return truncate(hmac.new(index_key(1, LAST_NAME, name), message, hashlib.sha256).digest(), bits)


def reference_compound(fields: list[str | None], cis: list[bool], name: str, bits: int, purpose: str) -> bytes:
    message = bytes([1, 3, len(fields)])
    for f, ci in zip(fields, cis):
        norm = 2 if ci else 1
        if f is None:
            message += bytes([norm, 0])
        else:
            b = (fold(f) if ci else f).encode()
            message += bytes([norm, 1]) + struct.pack(">I", len(b)) + b
    return truncate(hmac.new(index_key(1, purpose, name), message, hashlib.sha256).digest(), bits)


@pytest.fixture
def dek() -> Key:
    return Key.from_bytes(DEK)


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    kr = Keyring.create(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_TEST_KEK")
    kr.add_purpose(SSN)
    kr.add_purpose("clinic.Patient.mrn")
    return kr


# ---------------------------------------------------------------- FF1

@pytest.mark.parametrize("sample,key_hex,radix,tweak_hex,plaintext,ciphertext", NIST_SAMPLES)
def test_nist_ff1_samples(sample: int, key_hex: str, radix: int, tweak_hex: str, plaintext: str, ciphertext: str) -> None:
    key = Key.from_bytes(bytes.fromhex(key_hex))
    tweak = bytes.fromhex(tweak_hex)
    assert phicrypto.ff1_encrypt(key, plaintext, radix=radix, tweak=tweak) == ciphertext
    assert phicrypto.ff1_decrypt(key, ciphertext, radix=radix, tweak=tweak) == plaintext


def test_ff1_domain_rule_and_alphabet_are_enforced(dek: Key) -> None:
    with pytest.raises(ValueError, match="1,000,000"):
        phicrypto.ff1_encrypt(dek, "12345")  # 10^5 < 10^6
    assert len(phicrypto.ff1_encrypt(dek, "123456")) == 6
    with pytest.raises(ValueError):
        phicrypto.ff1_encrypt(dek, "12345678a")  # not radix 10
    with pytest.raises(ValueError):
        phicrypto.ff1_encrypt(dek, "１２３４５６７８９")  # fullwidth digits are not the alphabet
    with pytest.raises(ValueError):
        phicrypto.ff1_encrypt(dek, "123456789", radix=37)
    with pytest.raises(TypeError):
        phicrypto.ff1_encrypt(dek, 123456789)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phicrypto.ff1_encrypt(b"k" * 32, "123456789")  # type: ignore[arg-type]


def test_ff1_through_a_source_is_bound_to_purpose_and_version(keyring: Keyring) -> None:
    ssn, mrn = keyring.source(SSN), keyring.source("clinic.Patient.mrn")
    ct, version = phicrypto.ff1_encrypt_versioned(ssn, "123456789")
    assert version == 1 and len(ct) == 9 and ct.isdigit() and ct != "123456789"
    assert phicrypto.ff1_encrypt(mrn, "123456789") != ct
    assert phicrypto.ff1_encrypt(ssn, "123456789", tweak=b"other") != ct
    keyring.rotate(SSN)
    ct2, version2 = phicrypto.ff1_encrypt_versioned(ssn, "123456789")
    assert version2 == 2 and ct2 != ct
    assert phicrypto.ff1_decrypt(ssn, ct, version=1) == "123456789"
    assert phicrypto.ff1_decrypt(ssn, ct2, version=2) == "123456789"
    assert phicrypto.ff1_decrypt(ssn, ct2) == "123456789"  # None: the newest version
    # a search during the rotation: the value under each version that can still decrypt
    assert phicrypto.ff1_encrypt(ssn, "123456789", version=1) == ct
    with pytest.raises(phicrypto.KeyNotFoundError):
        phicrypto.ff1_decrypt(ssn, ct, version=3)


def test_ff1_through_a_source_uses_the_documented_key_and_tweak(dek: Key) -> None:
    # K_ff1 = HKDF(DEK, "phicrypto/ff1/v1" 00 u32be(v) u16be(len p) p); tweak = p 00 tweak
    p = SSN.encode()
    k_ff1 = hkdf_sha256(DEK, b"phicrypto/ff1/v1\0" + struct.pack(">IH", 1, len(p)) + p)
    expected = phicrypto.ff1_encrypt(Key.from_bytes(k_ff1), "123456789", tweak=p + b"\0" + b"t")
    assert phicrypto.ff1_encrypt(dek.source(SSN), "123456789", tweak=b"t") == expected


# ---------------------------------------------------------------- blind indexes

def test_published_vectors(dek: Key) -> None:
    exact = IndexDefinition.exact("last_name_exact", 32)
    assert phicrypto.blind_index(dek.source(LAST_NAME), "O'Brien", exact).hex() == "24413a15"
    assert phicrypto.blind_index(dek.source(LAST_NAME, version=2), "O'Brien", exact).hex() == "2b7adb65"
    ci = IndexDefinition.exact("last_name_ci", 20, case_insensitive=True)
    for v in ("STRASSE", "Straße", "ＳＴＲＡＳＳＥ"):
        assert phicrypto.blind_index(dek, v, ci, purpose=LAST_NAME).hex() == "f06840"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(1, 256))
def test_exact_indexes_match_an_independent_hmac(value: str, bits: int) -> None:
    try:
        value.encode()
    except UnicodeEncodeError:
        return  # lone surrogates: refused, tested below
    with Key.from_bytes(DEK) as dek:
        d = IndexDefinition.exact("ix", bits)
        assert phicrypto.blind_index(dek, value, d, purpose=LAST_NAME) == reference_exact(value, "ix", bits, ci=False)


CASE_VALUES = ["Smith", "  SMITH  ", "o'brien", "Émile\u00a0 Zola", "ǅemal", "ΣΊΣΥΦΟΣ", "ﬁnn", "Ⅻ Street", "straße"]


@pytest.mark.parametrize("value", CASE_VALUES)
def test_case_insensitive_indexes_match_unicodedata_and_casefold(dek: Key, value: str) -> None:
    d = IndexDefinition.exact("ci", 32, case_insensitive=True)
    assert phicrypto.blind_index(dek, value, d, purpose=LAST_NAME) == reference_exact(value, "ci", 32, ci=True)
    assert phicrypto.blind_index(dek, value.upper(), d, purpose=LAST_NAME) == phicrypto.blind_index(dek, value.lower(), d, purpose=LAST_NAME)


def test_dotted_capital_i_is_left_alone_as_documented(dek: Key) -> None:
    # docs/search.md: .NET's invariant case mapping has no mapping for "İ" (U+0130), so it stays itself
    # (CaseFolding.txt folds it to "i̇"); every host computes the same through the one library.
    d = IndexDefinition.exact("ci", 32, case_insensitive=True)
    kept = phicrypto.blind_index(dek, "İstanbul", d)
    assert kept == hmac.new(index_key(1, phicrypto.DEFAULT_PURPOSE, "ci"), bytes([1, 1, 2]) + "İstanbul".encode(), hashlib.sha256).digest()[:4]
    assert kept != phicrypto.blind_index(dek, "istanbul", d)
    assert kept == phicrypto.blind_index(dek, "İSTANBUL", d)


def test_prefix_and_compound_match_the_reference(dek: Key) -> None:
    prefix = IndexDefinition.prefix("last_name_prefix", 16, 3, 5)
    stored = phicrypto.blind_index_batch(dek, ["Smithson", "Li", "Smith"], prefix, purpose=LAST_NAME)
    assert stored[0] == [reference_prefix("Smithson", k, "last_name_prefix", 16) for k in (3, 4, 5)]
    assert [v.hex() for v in stored[0]] == ["f921", "7181", "1cdc"]
    assert stored[1] == []
    assert phicrypto.blind_index(dek, "SMIT", prefix, purpose=LAST_NAME) == stored[0][1]
    assert phicrypto.blind_index(dek, "Smithsonian", prefix, purpose=LAST_NAME) == stored[0][2]  # capped at max_prefix

    compound = IndexDefinition.compound("name_dob", 24, True, False)
    rows = [["Smith", "1980-02-29"], ["Smith", None], ["  SMITH ", "1980-02-29"]]
    got = phicrypto.blind_index_batch(dek, rows, compound, purpose="clinic.Patient")
    assert [g.hex() for g in got[:2]] == ["c4e5d6", "1dc010"]
    assert got[0] == got[2] == reference_compound(rows[0], [True, False], "name_dob", 24, "clinic.Patient")
    assert phicrypto.blind_index(dek, ["Smith", None], compound, purpose="clinic.Patient") == got[1]


def test_exact_batch_equals_singles(dek: Key) -> None:
    d = IndexDefinition.exact("ssn", 19)
    values = [f"{i:03d}-45-6789" for i in range(500)]
    batch = phicrypto.blind_index_batch(dek, values, d)
    assert batch == [phicrypto.blind_index(dek, v, d) for v in values]
    assert all(len(b) == 3 and b[-1] & 0x1F == 0 for b in batch)
    assert phicrypto.blind_index_batch(dek, [], d) == []


def test_queries_cover_every_version_across_a_rotation(keyring: Keyring) -> None:
    ssn = keyring.source(SSN)
    d = IndexDefinition.exact("ssn", 19)
    old = phicrypto.blind_index(ssn, "123-45-6789", d)
    assert phicrypto.source_versions(ssn) == [1]
    keyring.rotate(SSN)
    new = phicrypto.blind_index(ssn, "123-45-6789", d)
    assert new != old
    assert phicrypto.source_versions(ssn) == [2, 1]
    assert phicrypto.blind_index_query(ssn, "123-45-6789", d) == [(2, new), (1, old)]
    assert phicrypto.blind_index(keyring.source("clinic.Patient.mrn"), "123-45-6789", d) not in (old, new)


def test_bad_input_is_refused(dek: Key) -> None:
    d = IndexDefinition.exact("ix", 32)
    with pytest.raises(ValueError):
        phicrypto.blind_index(dek, "\ud800", d)  # an unpaired surrogate is refused, not replaced
    with pytest.raises(TypeError):
        phicrypto.blind_index(dek, b"bytes", d)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        phicrypto.blind_index(dek, "x", IndexDefinition.exact("ix", 0))
    with pytest.raises(ValueError):
        phicrypto.blind_index(dek, "x", IndexDefinition("ix", 32, "fuzzy"))
    with pytest.raises(ValueError):
        phicrypto.blind_index(dek, "Sm", IndexDefinition.prefix("p", 16, 3, 5))
    with pytest.raises(ValueError):
        phicrypto.blind_index_batch(dek, [["only one"]], IndexDefinition.compound("c", 16, True, False))
    with pytest.raises(phicrypto.KeyNotFoundError):
        phicrypto.blind_index(dek, "x", d, version=2)
    with pytest.raises(ValueError):  # a 16-byte key cannot key a blind index
        phicrypto.blind_index(Key.generate(16), "x", d)
    source = dek.source(LAST_NAME)
    source.close()
    with pytest.raises(ValueError):
        phicrypto.blind_index(source, "x", d)


def test_planner() -> None:
    plan = phicrypto.plan_blind_index(1_000_000, 1_000_000)
    assert plan["bits"] == 19 and plan["warnings"] == []
    assert 2 <= plan["rows_per_unique_value"] < 4
    low = phicrypto.plan_blind_index(1_000_000, 3)
    assert set(low["warnings"]) == {"low_cardinality", "reveals_equality"}
    prefixes = phicrypto.plan_blind_index(100_000, 50_000, 4, prefix=(1, 3))["prefixes"]
    assert [(p["length"], p["distinct_prefixes"]) for p in prefixes] == [(1, 26), (2, 676), (3, 17_576)]
    assert "low_cardinality" in prefixes[0]["plan"]["warnings"]
    with pytest.raises(ValueError):
        phicrypto.plan_blind_index(10, 20)


def test_without_unicode_data_case_insensitive_indexes_are_refused_and_the_host_lives() -> None:
    # What the library does on a host without libicu (Globalization.cs falls back to invariant mode):
    # exact indexes still work, case-insensitive ones fail with PolicyError rather than differ.
    import os
    import subprocess
    import sys

    script = (
        "import phicrypto\n"
        "k = phicrypto.Key.from_bytes(bytes(range(32)))\n"
        "print(phicrypto.blind_index(k, \"O'Brien\", phicrypto.IndexDefinition.exact('last_name_exact', 32), purpose='clinic.Patient.last_name').hex())\n"
        "try:\n"
        "    phicrypto.blind_index(k, 'Smith', phicrypto.IndexDefinition.exact('ci', 32, case_insensitive=True))\n"
        "except phicrypto.PolicyError as e:\n"
        "    print('refused', 'InvariantGlobalization' in str(e))\n"
    )
    env = dict(os.environ, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1", PYTHONPATH=os.path.dirname(os.path.dirname(phicrypto.__file__)))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["24413a15", "refused", "True"]


