"""Keyring: purposes, rotation without re-encryption, search across versions, KEK rotation."""
from __future__ import annotations

from pathlib import Path

import pytest

import phicrypto
from phicrypto import Keyring

SSN = "clinic.Patient.ssn"


@pytest.fixture
def keyring(tmp_path: Path) -> Keyring:
    kr = Keyring.create(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_TEST_KEK")
    kr.add_purpose(SSN)
    return kr


def test_missing_keyring_without_create_is_key_not_found(tmp_path: Path) -> None:
    with pytest.raises(phicrypto.KeyNotFoundError):
        Keyring.open(str(tmp_path / "none.json"), kek="env:PHICRYPTO_TEST_KEK")


def test_fields_survive_rotation(keyring: Keyring) -> None:
    old = keyring.encrypt(SSN, "123-45-6789")
    old_det = keyring.encrypt(SSN, "123-45-6789", deterministic=True)
    assert keyring.rotate(SSN) == 2
    new_det = keyring.encrypt(SSN, "123-45-6789", deterministic=True)
    assert new_det != old_det and new_det[0] & 0x1F == 2 and old_det[0] & 0x1F == 1
    assert keyring.decrypt(SSN, old, text=True) == "123-45-6789"
    assert keyring.decrypt(SSN, old_det, text=True) == "123-45-6789"
    assert keyring.search_ciphertexts(SSN, "123-45-6789") == [new_det, old_det]
    states = {v["version"]: v["state"] for v in keyring.versions(SSN)}
    assert states == {1: "deactivated", 2: "active"}
    assert keyring.encrypt(SSN, None) is None and keyring.decrypt(SSN, None) is None


@pytest.mark.parametrize("value", ["123-45-6789", "x" * 3000], ids=["short", "beyond-scratch"])
def test_search_beyond_eight_versions(keyring: Keyring, value: str) -> None:
    """A search's envelopes fit a per-thread buffer up to eight versions and 4 KiB; past either, the
    call is repeated with the size the core asks for. Every version's envelope comes back, newest first."""
    written = [keyring.encrypt(SSN, value, deterministic=True)]
    for _ in range(10):
        keyring.rotate(SSN)
        written.append(keyring.encrypt(SSN, value, deterministic=True))
    found = keyring.search_ciphertexts(SSN, value)
    assert found == written[::-1]
    assert [keyring.decrypt(SSN, e, text=True) for e in found] == [value] * 11


def test_purpose_binds_the_envelope(keyring: Keyring) -> None:
    keyring.add_purpose("clinic.Patient.mrn")
    envelope = keyring.encrypt(SSN, b"x")
    with pytest.raises(phicrypto.PhiCryptoError):
        keyring.decrypt("clinic.Patient.mrn", envelope)
    with pytest.raises(phicrypto.KeyNotFoundError):
        keyring.encrypt("no.such.purpose", b"x")


def test_batches_across_versions(keyring: Keyring) -> None:
    first = keyring.encrypt_fields(SSN, ["a", None, "b"])
    keyring.rotate(SSN)
    second = keyring.encrypt_fields(SSN, ["c", "d"], deterministic=True)
    assert keyring.decrypt_fields(SSN, first + second, text=True) == ["a", None, "b", "c", "d"]


def test_kek_rotation_rewraps_only(tmp_path: Path, keyring: Keyring) -> None:
    envelope = keyring.encrypt(SSN, b"kept")
    keyring.rotate(SSN)
    assert keyring.rewrap("env:PHICRYPTO_TEST_KEK2") == 2
    keyring.close()
    path = str(tmp_path / "keyring.json")
    with pytest.raises(phicrypto.WrongKekError):
        Keyring.open(path, kek="env:PHICRYPTO_TEST_KEK")
    with Keyring.open(path, kek="env:PHICRYPTO_TEST_KEK2") as reopened:
        assert reopened.decrypt(SSN, envelope) == b"kept"
        assert reopened.purposes == [SSN]


def test_passphrase_kek(tmp_path: Path) -> None:
    path = str(tmp_path / "pass.json")
    with Keyring.create(path, kek="passphrase", passphrase="correct horse battery staple") as kr:
        kr.add_purpose("files")
        envelope = kr.encrypt("files", b"x")
    with pytest.raises(phicrypto.WrongKekError):
        Keyring.open(path, kek="passphrase", passphrase="wrong")
    with Keyring.open(path, kek="passphrase", passphrase="correct horse battery staple") as kr:
        assert kr.decrypt("files", envelope) == b"x"


def test_two_handles_see_each_others_rotation(tmp_path: Path, keyring: Keyring) -> None:
    other = Keyring.open(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_TEST_KEK")
    keyring.rotate(SSN)
    envelope = keyring.encrypt(SSN, b"v2 data")
    assert other.decrypt(SSN, envelope) == b"v2 data"  # unknown version: the store is read again
    other.close()


def test_reload_shows_another_handles_rotation(tmp_path: Path, keyring: Keyring) -> None:
    other = Keyring.open(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_TEST_KEK")
    keyring.rotate(SSN)
    assert [v["state"] for v in other.versions(SSN)] == ["active"]  # its snapshot, until reloaded
    other.reload()
    assert [v["state"] for v in other.versions(SSN)] == ["deactivated", "active"]
    other.close()


def test_verify_audit_detects_an_edited_event(tmp_path: Path, keyring: Keyring) -> None:
    keyring.rotate(SSN)
    ok = keyring.verify_audit()
    assert ok["valid"] and ok["broken_at"] is None and ok["count"] >= 4
    path = tmp_path / "keyring.json"
    text = path.read_text()
    assert text.count("new purpose") == 1
    path.write_text(text.replace("new purpose", "old purpose"))  # the detail of the purpose's create event
    bad = keyring.verify_audit()
    assert not bad["valid"] and bad["broken_at"] is not None and "edited" in bad["message"]


def test_closed_keyring(keyring: Keyring) -> None:
    keyring.close()
    keyring.close()
    with pytest.raises(ValueError):
        keyring.encrypt(SSN, b"x")


def test_files_under_keyring_keys_survive_rotation(tmp_path: Path, keyring: Keyring) -> None:
    import io

    keyring.add_purpose("files")
    plain = bytes(range(256)) * 1000
    with open(tmp_path / "v1.enc", "wb") as dst:
        keyring.stream_encrypt("files", io.BytesIO(plain), dst, context={"name": "scan.dcm"})
    assert keyring.rotate("files") == 2
    pushed = io.BytesIO()
    keyring.stream_encrypt("files", io.BytesIO(plain), pushed, chunk_size=4096)
    (tmp_path / "v2.enc").write_bytes(pushed.getvalue())
    names = {phicrypto.inspect_encrypted(tmp_path / f"v{v}.enc")["encrypted_data_keys"][0]["provider_info"] for v in (1, 2)}
    assert names == {"files/v1", "files/v2"}
    for version in (1, 2):
        with open(tmp_path / f"v{version}.enc", "rb") as src, open(tmp_path / "out", "wb") as dst:
            keyring.stream_decrypt("files", src, dst)
        assert (tmp_path / "out").read_bytes() == plain
        out = io.BytesIO()
        keyring.stream_decrypt("files", io.BytesIO((tmp_path / f"v{version}.enc").read_bytes()), out)
        assert out.getvalue() == plain
        with keyring.open_encrypted("files", tmp_path / f"v{version}.enc") as f:
            f.seek(100_000)
            assert f.read(5000) == plain[100_000:105_000]
    other = Keyring.create(str(tmp_path / "other.json"), kek="env:PHICRYPTO_TEST_KEK")
    other.add_purpose("files")
    with pytest.raises(phicrypto.KeyNotFoundError), open(tmp_path / "v1.enc", "rb") as src:
        other.stream_decrypt("files", src, io.BytesIO())
    other.close()


def test_a_purpose_never_decrypts_another_purposes_message(tmp_path: Path, keyring: Keyring) -> None:
    """Issue 12 section 3: a document endpoint ("files") pointed at a backup's message ("backups/v1")
    must not decrypt it, by any path: descriptor, push, random access, or a source given directly."""
    import io

    keyring.add_purpose("files")
    keyring.add_purpose("backups")
    dump = b"pg_dump of every patient" * 5000
    with open(tmp_path / "backup.enc", "wb") as dst:
        keyring.stream_encrypt("backups", io.BytesIO(dump), dst)
    with pytest.raises(phicrypto.KeyNotFoundError, match="backups/v1"), open(tmp_path / "backup.enc", "rb") as src, \
            open(tmp_path / "out", "wb") as dst:
        keyring.stream_decrypt("files", src, dst)
    assert (tmp_path / "out").read_bytes() == b""
    with pytest.raises(phicrypto.KeyNotFoundError):
        keyring.stream_decrypt("files", io.BytesIO((tmp_path / "backup.enc").read_bytes()), io.BytesIO())
    with pytest.raises(phicrypto.KeyNotFoundError):
        keyring.open_encrypted("files", tmp_path / "backup.enc")
    with pytest.raises(phicrypto.KeyNotFoundError), open(tmp_path / "backup.enc", "rb") as src:
        phicrypto.stream_decrypt(src, io.BytesIO(), keyring.source("files"))
    out = io.BytesIO()
    keyring.stream_decrypt("backups", io.BytesIO((tmp_path / "backup.enc").read_bytes()), out)
    assert out.getvalue() == dump
    with pytest.raises(TypeError, match="purpose"):
        keyring.stream_decrypt(io.BytesIO(), io.BytesIO(), io.BytesIO())  # type: ignore[arg-type]


def test_an_expected_context_is_checked_before_any_plaintext(tmp_path: Path, keyring: Keyring) -> None:
    import io

    keyring.add_purpose("files")
    message = io.BytesIO()
    keyring.stream_encrypt("files", io.BytesIO(b"x" * 200_000), message, context={"patient": "P-1"})
    for path in (True, False):
        out = io.BytesIO()
        src = open(tmp_path / "m", "w+b") if path else io.BytesIO(message.getvalue())
        if path:
            src.write(message.getvalue())
            src.seek(0)
        with src, pytest.raises(phicrypto.PolicyError):
            keyring.stream_decrypt("files", src, out, expected_context={"patient": "P-2"})
        assert out.getvalue() == b""
    (tmp_path / "m").write_bytes(message.getvalue())
    with pytest.raises(phicrypto.PolicyError):
        keyring.open_encrypted("files", tmp_path / "m", expected_context={"patient": "P-2"})
    with keyring.open_encrypted("files", tmp_path / "m", expected_context={"patient": "P-1"}) as f:
        assert f.read(3) == b"xxx"
    assert keyring.stream_decrypt("files", io.BytesIO(message.getvalue()), io.BytesIO(),
                                  expected_context={"patient": "P-1"}) == {"patient": "P-1"}


def test_open_never_creates_and_create_is_explicit(tmp_path: Path) -> None:
    path = str(tmp_path / "new.json")
    with pytest.raises(phicrypto.KeyNotFoundError):
        Keyring.open(path, kek="env:PHICRYPTO_TEST_KEK")
    assert not (tmp_path / "new.json").exists()
    with pytest.raises(TypeError):
        Keyring.open(path, kek="env:PHICRYPTO_TEST_KEK", create=True)  # type: ignore[call-arg]
    with Keyring.create(path, kek="env:PHICRYPTO_TEST_KEK") as kr:
        assert kr.purposes == []
    with Keyring.open(path, kek="env:PHICRYPTO_TEST_KEK") as kr:
        assert kr.purposes == []


def test_no_decrypt_path_leaves_plaintext_in_the_scratch_buffer(keyring: Keyring) -> None:
    """One implementation serves the module functions, Keyring and KeySource; each zeroes its scratch
    (Keyring.decrypt once did not)."""
    from phicrypto import _fields
    from phicrypto._ffi import ffi

    secret = b"SSN 123-45-6789 / a secret diagnosis"
    key = phicrypto.generate_encryption_key()
    paths = [
        lambda: keyring.decrypt(SSN, keyring.encrypt(SSN, secret)),
        lambda: keyring.source(SSN).decrypt(keyring.encrypt(SSN, secret, deterministic=True)),
        lambda: phicrypto.decrypt(phicrypto.encrypt(secret, key), key),
        lambda: phicrypto.decrypt_field(phicrypto.encrypt_field(secret, key), key),
    ]
    for decrypt in paths:
        assert decrypt() == secret
        assert secret not in bytes(ffi.buffer(_fields._scratch().buf))


def test_set_state_follows_the_sp800_57_lifecycle(tmp_path: Path, keyring: Keyring) -> None:
    old = keyring.encrypt(SSN, "123-45-6789")
    keyring.rotate(SSN)
    keyring.set_state(SSN, 1, "deactivated", "retired")  # already deactivated by the rotation: a no-op
    with pytest.raises(phicrypto.PolicyError):
        keyring.set_state(SSN, 1, "active")  # SP 800-57 has no way back
    with pytest.raises(phicrypto.PolicyError):
        keyring.set_state(SSN, 1, "destroyed")  # may still protect data: never through the ABI
    with pytest.raises(phicrypto.KeyNotFoundError):
        keyring.set_state(SSN, 9, "deactivated")
    with pytest.raises(ValueError):
        keyring.set_state(SSN, 1, "retired")
    keyring.set_state(SSN, 1, "compromised", "leaked")
    # another handle on the same store sees the change, and a compromised key no longer decrypts
    with Keyring.open(str(tmp_path / "keyring.json"), kek="env:PHICRYPTO_TEST_KEK") as other:
        assert {v["version"]: v["state"] for v in other.versions(SSN)} == {1: "compromised", 2: "active"}
        with pytest.raises(phicrypto.PhiCryptoError):
            other.decrypt(SSN, old)
    assert keyring.verify_audit()["valid"]
