"""Error mapping (issue 12, section 4): a refusal by the crypto provider raises CryptoProviderError,
never AuthenticationError. Provoked honestly, in a child process: an OpenSSL configuration whose
default properties demand a FIPS provider that is not loaded ("fips=yes"), so OpenSSL refuses every
algorithm, its random generator included. (On the old mapping this said "authentication failed".)"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import phicrypto

CONFIG = """openssl_conf = openssl_init
[openssl_init]
alg_section = evp_properties
[evp_properties]
default_properties = fips=yes
"""

CHILD = textwrap.dedent("""
    import phicrypto
    def raised(call):
        try:
            call()
        except Exception as e:
            return e
        raise SystemExit("the provider's refusal went unnoticed")
    e = raised(phicrypto.generate_encryption_key)
    assert type(e) is phicrypto.CryptoProviderError, repr(e)
    assert isinstance(e, phicrypto.PhiCryptoError) and not isinstance(e, phicrypto.AuthenticationError)
    assert e.status == -10 and "cryptographic provider" in str(e), (e.status, str(e))
    key = phicrypto.Key.from_bytes(bytes(range(32)))
    e = raised(lambda: phicrypto.encrypt(b"x", key))  # a random nonce: refused too
    assert type(e) is phicrypto.CryptoProviderError, repr(e)
    print("typed")
""")


def test_the_status_and_class_agree() -> None:
    assert phicrypto.CryptoProviderError.STATUS == -10
    assert issubclass(phicrypto.CryptoProviderError, phicrypto.PhiCryptoError)
    assert not issubclass(phicrypto.CryptoProviderError, phicrypto.AuthenticationError)


def test_a_provider_refusal_is_a_crypto_provider_error_not_an_authentication_failure(tmp_path: Path) -> None:
    config = tmp_path / "openssl.cnf"
    config.write_text(CONFIG)
    env = dict(os.environ, OPENSSL_CONF=str(config))
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, env=env)
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.strip() == "typed"
