"""Fork while other threads encrypt (issue 12, section 4): no nonce is ever drawn twice.

The core buffers random bytes per thread in pages marked MADV_WIPEONFORK: a child sees its copy of
every page as zeros and refills before serving a byte, with no code run at fork time. Here four
parent threads encrypt without pause while the main thread forks children that encrypt too; every
nonce of every process must be distinct. A child that hangs (a lock held across fork) is killed by
an alarm and fails the test.
"""
from __future__ import annotations

import os
import threading

import phicrypto

CHILDREN = 6
PER_CHILD = 300


def nonce(envelope: bytes) -> bytes:
    return envelope[1:13]  # header byte (versions 1..31), then the 12-byte random nonce


def child(key: phicrypto.Key, w: int) -> None:
    try:
        import signal

        signal.alarm(60)
        nonces = b"".join(nonce(phicrypto.encrypt(b"child", key)) for _ in range(PER_CHILD))
        os.write(w, nonces)
    finally:
        os._exit(0)


def test_fork_while_threads_encrypt_never_repeats_a_nonce() -> None:
    key = phicrypto.generate_encryption_key()
    stop = threading.Event()
    parent: list[bytes] = []
    lock = threading.Lock()

    def work() -> None:
        mine = []
        while not stop.is_set():
            mine.append(nonce(phicrypto.encrypt(b"parent", key)))
        with lock:
            parent.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    children = []
    try:
        for _ in range(CHILDREN):
            parent.append(nonce(phicrypto.encrypt(b"main", key)))  # the forking thread's page is warm
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                child(key, w)
            os.close(w)
            children.append((pid, r))
    finally:
        stop.set()
        for t in threads:
            t.join()
    seen = set(parent)
    assert len(seen) == len(parent)
    for pid, r in children:
        with os.fdopen(r, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child {pid} status {status}"
        assert len(data) == 12 * PER_CHILD, "the child hung or failed"
        theirs = {data[i:i + 12] for i in range(0, len(data), 12)}
        assert len(theirs) == PER_CHILD
        assert not theirs & seen
        seen |= theirs
