"""A forked child must never reuse its parent's buffered randomness (a repeated GCM nonce).

The core reads OS randomness 4 KiB at a time per thread; a fork handler discards the buffer in the
child. Without it, the parent's next nonce and the child's first nonce would come from the same
buffer position and be equal.
"""
import os

import phicrypto


def test_forked_child_draws_fresh_nonces():
    key = phicrypto.generate_encryption_key()
    phicrypto.encrypt(b"fill the per-thread random buffer", key)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its first nonce and leave without running the parent's cleanup
        try:
            os.close(r)
            os.write(w, phicrypto.encrypt(b"x", key)[1:13])
        finally:
            os._exit(0)
    os.close(w)
    parent_nonce = phicrypto.encrypt(b"x", key)[1:13]
    with os.fdopen(r, "rb") as pipe:
        child_nonce = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert len(child_nonce) == 12
    assert child_nonce != parent_nonce
