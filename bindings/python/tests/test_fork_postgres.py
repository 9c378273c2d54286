"""A PostgreSQL keyring in forked children (issue 12, section 4: "forked children must work").

gunicorn --preload, Celery's prefork pool and multiprocessing 'fork' open the keyring in the parent and
then fork. fork copies only the calling thread: on the old library (Npgsql, whose reads wait on the
runtime's epoll and thread-pool threads) a child's Keyring.open hung 15 s and failed. The store now
talks to PostgreSQL through libpq's blocking calls on the caller's thread, and field batches in a child
do not wait on thread-pool workers that fork did not copy.
"""
from __future__ import annotations

import multiprocessing
import subprocess
from pathlib import Path

import pytest

from phicrypto import Keyring

from conftest import repo_root

PURPOSE = "clinic.Patient.ssn"
CHILDREN = 3
BATCH = 10_000
KEK = "env:PHICRYPTO_TEST_KEK"


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    script = repo_root() / "tests" / "services" / "postgres.sh"
    state = tmp_path_factory.mktemp("pg")
    subprocess.run([str(script), "start", str(state)], check=True, capture_output=True, timeout=180)
    try:
        yield (state / "url").read_text().strip()
    finally:
        subprocess.run([str(script), "stop", str(state)], capture_output=True, timeout=120)


def opened_parent(url: str) -> tuple[Keyring, bytes]:
    parent = Keyring.create(url, kek=KEK)
    parent.add_purpose(PURPOSE)
    # a large batch first, so the parent's thread pool has workers that the children will not have
    assert len(parent.encrypt_fields(PURPOSE, [b"warm"] * BATCH)) == BATCH
    return parent, parent.encrypt(PURPOSE, b"from the parent")


def run_children(ctx, target, args_of) -> list:
    queue = ctx.Queue()
    children = [ctx.Process(target=target, args=(*args_of(i), queue)) for i in range(CHILDREN)]
    for c in children:
        c.start()
    try:
        results = [queue.get(timeout=120) for _ in children]
    finally:
        for c in children:
            c.join(30)
            if c.exitcode is None:
                c.kill()
    assert [c.exitcode for c in children] == [0] * CHILDREN
    failures = [r for r in results if isinstance(r, str)]
    assert not failures, failures
    return sorted(results)


def forked_child(index: int, url: str, parents: bytes, shared: Path, barrier, queue) -> None:
    try:
        keyring = Keyring.open(url, kek=KEK)
        (shared / f"{index}-before").write_bytes(keyring.encrypt(PURPOSE, f"child {index}".encode()))
        barrier.wait(60)
        version = keyring.rotate(PURPOSE) if index == 0 else None
        barrier.wait(60)
        keyring.reload()
        (shared / f"{index}-after").write_bytes(keyring.encrypt(PURPOSE, f"child {index} after".encode()))
        barrier.wait(60)
        seen = {f.name: keyring.decrypt(PURPOSE, f.read_bytes()) for f in sorted(shared.iterdir())}
        queue.put((index, version, keyring.decrypt(PURPOSE, parents), seen))
    except BaseException as e:  # reported to the parent, which fails the test with it
        queue.put(f"child {index}: {type(e).__name__}: {e}")


def test_forked_children_open_encrypt_rotate_and_decrypt(pg_url: str, tmp_path: Path) -> None:
    url = pg_url + "?schema=forked"
    parent, envelope = opened_parent(url)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(CHILDREN)
    results = run_children(ctx, forked_child, lambda i: (i, url, envelope, tmp_path, barrier))
    expected = {**{f"{i}-before": f"child {i}".encode() for i in range(CHILDREN)},
                **{f"{i}-after": f"child {i} after".encode() for i in range(CHILDREN)}}
    for index, version, parents, seen in results:
        assert parents == b"from the parent"
        assert seen == expected, f"child {index} read {seen}"
    assert results[0][1] == 2  # child 0 rotated to version 2; the others wrote under it after reloading
    parent.reload()
    assert {f.name: parent.decrypt(PURPOSE, f.read_bytes()) for f in tmp_path.iterdir()} == expected
    assert parent.rotate(PURPOSE) == 3  # the parent's own store connection still works too


def forked_batch(index: int, url: str, queue) -> None:
    try:
        keyring = Keyring.open(url, kek=KEK)
        values = [f"{index}:{n}".encode() for n in range(BATCH)]
        for deterministic in (False, True):
            envelopes = keyring.encrypt_fields(PURPOSE, values, deterministic=deterministic)
            assert keyring.decrypt_fields(PURPOSE, envelopes) == values
        queue.put((index, len(envelopes)))
    except BaseException as e:
        queue.put(f"child {index}: {type(e).__name__}: {e}")


def test_forked_children_run_ten_thousand_field_batches(pg_url: str) -> None:
    url = pg_url + "?schema=forkbatch"
    opened_parent(url)
    results = run_children(multiprocessing.get_context("fork"), forked_batch, lambda i: (i, url))
    assert results == [(i, BATCH) for i in range(CHILDREN)]


def spawned_child(url: str, envelope: bytes, queue) -> None:
    keyring = Keyring.open(url, kek=KEK)
    keyring.rotate(PURPOSE)
    queue.put((keyring.decrypt(PURPOSE, envelope), keyring.encrypt(PURPOSE, b"from the child")))


def test_spawned_children_open_encrypt_rotate_and_decrypt(pg_url: str) -> None:
    url = pg_url + "?schema=spawned"
    parent = Keyring.create(url, kek=KEK)
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
