"""A PostgreSQL keyring in a forked child (issue 12, section 4).

The .NET runtime's threads do not survive fork and Npgsql's socket reads depend on them, so a child of
a parent that used a PostgreSQL keyring cannot reach the database (on the old library: "The operation
has timed out" after 15 s, every time). The library cannot restart those threads; what it guarantees
is an immediate, typed error that names the remedy, while the child's raw-key work goes on, and a
fresh process opening after the fork works.
"""
from __future__ import annotations

import multiprocessing
import subprocess
import time

import pytest

import phicrypto
from phicrypto import Keyring

from conftest import repo_root

PURPOSE = "clinic.Patient.ssn"


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    script = repo_root() / "tests" / "services" / "postgres.sh"
    state = tmp_path_factory.mktemp("pg")
    subprocess.run([str(script), "start", str(state)], check=True, capture_output=True, timeout=180)
    try:
        yield (state / "url").read_text().strip()
    finally:
        subprocess.run([str(script), "stop", str(state)], capture_output=True, timeout=120)


def child_opens(url: str, queue: multiprocessing.Queue) -> None:
    started = time.monotonic()
    try:
        Keyring.open(url, kek="env:PHICRYPTO_TEST_KEK")
        outcome = "opened"
    except phicrypto.PhiCryptoError as e:
        outcome = f"{type(e).__name__}: {e}"
    key = phicrypto.generate_encryption_key()  # raw-key work still runs in the child
    assert phicrypto.decrypt(phicrypto.encrypt(b"x", key), key) == b"x"
    queue.put((outcome, time.monotonic() - started))


def test_a_forked_child_gets_a_fast_typed_error_naming_the_remedy(pg_url: str) -> None:
    url = pg_url + "?schema=forked"
    parent = Keyring.create(url, kek="env:PHICRYPTO_TEST_KEK")
    parent.add_purpose(PURPOSE)
    envelope = parent.encrypt(PURPOSE, b"123-45-6789")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=child_opens, args=(url, queue))
    child.start()
    outcome, seconds = queue.get(timeout=120)
    child.join(30)
    assert child.exitcode == 0
    assert outcome.startswith("IoError") and "forked" in outcome and "spawn" in outcome, outcome
    assert seconds < 5, f"the child waited {seconds:.1f} s"
    # the parent is unaffected: its keyring still rotates, encrypts and decrypts
    parent.rotate(PURPOSE)
    assert parent.decrypt(PURPOSE, envelope) == b"123-45-6789"


def spawned_child(url: str, envelope: bytes, queue: multiprocessing.Queue) -> None:
    keyring = Keyring.open(url, kek="env:PHICRYPTO_TEST_KEK")
    keyring.rotate(PURPOSE)
    queue.put((keyring.decrypt(PURPOSE, envelope), keyring.encrypt(PURPOSE, b"from the child")))


def test_spawned_children_open_encrypt_rotate_and_decrypt(pg_url: str) -> None:
    url = pg_url + "?schema=spawned"
    parent = Keyring.create(url, kek="env:PHICRYPTO_TEST_KEK")
    parent.add_purpose(PURPOSE)
    envelope = parent.encrypt(PURPOSE, b"123-45-6789")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    children = [ctx.Process(target=spawned_child, args=(url, envelope, queue)) for _ in range(2)]
    for c in children:
        c.start()
    results = [queue.get(timeout=180) for _ in children]
    for c in children:
        c.join(60)
        assert c.exitcode == 0
    for plaintext, theirs in results:
        assert plaintext == b"123-45-6789"
        parent.reload()
        assert parent.decrypt(PURPOSE, theirs) == b"from the child"
