"""Concurrency: 16 threads share one key, and native calls release the GIL."""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from cffi import FFI

import phicrypto
from phicrypto import Key

THREADS = 16


def test_16_threads_encrypt_and_decrypt_at_once(key: Key) -> None:
    barrier = threading.Barrier(THREADS)

    def work(worker: int) -> int:
        barrier.wait()  # all 16 start together
        done = 0
        for i in range(300):
            value = f"worker {worker} value {i}".encode()
            r = phicrypto.encrypt(value, key, ad=str(worker))
            d = phicrypto.encrypt_deterministic(value, key)
            assert phicrypto.decrypt(r, key, ad=str(worker)) == value
            assert phicrypto.decrypt(d, key) == value
            done += 1
        batch = [f"{worker}-{i}" for i in range(500)]
        assert phicrypto.decrypt_fields(phicrypto.encrypt_fields(batch, key), key, text=True) == batch
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        assert list(pool.map(work, range(THREADS))) == [300] * THREADS


def test_deterministic_results_agree_across_threads(key: Key) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        results = set(pool.map(lambda _: phicrypto.encrypt_deterministic(b"123-45-6789", key), range(64)))
    assert len(results) == 1


def test_cffi_abi_calls_release_the_gil() -> None:
    """phicrypto's lib is opened with ffi.dlopen (ABI mode); such calls drop the GIL. Proof: a call
    through the same mechanism blocks in read() on a pipe that only this Python thread fills. If the
    GIL were held, this thread could never write and the join would time out."""
    ffi = FFI()
    ffi.cdef("long read(int fd, void *buf, size_t count);")
    libc = ffi.dlopen(None, ffi.RTLD_NOW)
    r, w = os.pipe()
    got: list[bytes] = []

    def reader() -> None:
        buf = ffi.new("char[]", 16)
        n = libc.read(r, buf, 16)
        got.append(ffi.buffer(buf, n)[:])

    t = threading.Thread(target=reader)
    t.start()
    t.join(0.2)  # the reader is now blocked inside the C call (or still starting)
    os.write(w, b"ping")
    t.join(30)
    os.close(r)
    os.close(w)
    assert not t.is_alive() and got == [b"ping"]
