"""Fixtures (dumpdata / loaddata) carry envelopes, never plaintext, unless asked.

phicrypto.django overrides Django's ``dumpdata`` and ``loaddata`` commands (an app's command of the
same name takes precedence over Django's own); each runs Django's command inside one of the modes
below, which the fields consult:

    envelopes   dumpdata: each encrypted value is written in the text form ``phi:`` + base64url of
                its envelope (an unread value as stored; a value changed in memory is encrypted now)
    plaintext   dumpdata --phicrypto-plaintext: decrypted values, each export recorded by the access
                audit (action "export") whether or not the audit is on
    load        loaddata: a ``phi:`` value becomes the envelope again and is stored unchanged, so
                fixtures restore rows without decrypting them (row-bound values keep their row)
Outside these commands nothing changes: forms and serializers of application code see plaintext.
"""
from __future__ import annotations

import contextlib
import contextvars

ENVELOPES, PLAINTEXT, LOAD = "envelopes", "plaintext", "load"
_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar("phicrypto_fixture_mode", default=None)


def mode() -> str | None:
    return _mode.get()


@contextlib.contextmanager
def fixture_mode(name: str):
    token = _mode.set(name)
    try:
        yield
    finally:
        _mode.reset(token)
