"""`keys import BUNDLE --replace`: disaster recovery of a Django database whose KEK is lost.

The key store travels inside the database, so a restored database brings back the key tables of the
lost KEK: they cannot be opened, and importing a recovery bundle into them fails (its versions
already exist there, under the lost KEK). --replace swaps them for the bundle's records, wrapped
under the KEK configured now (PHICRYPTO["KEK"]):

  1. the store must hold a keyring the configured KEK does not open (WrongKekError): a store that
     opens has lost nothing, and an empty one needs no --replace;
  2. the old tables move, in one transaction, to a holding schema, and empty ones take their place;
  3. `phicrypt keys import BUNDLE --init` (src/PhiCrypto.Cli/Keys/KeysRecovery.cs) opens the bundle,
     creates the keyring under the configured KEK and imports every version;
  4. success: the holding schema is dropped; any failure (wrong recovery secret, altered bundle):
     the new tables are dropped and the old ones moved back, so nothing is lost.

A bundle (format 2, docs/keyring-format.md) opened with the recovery passphrase proves its origin by
itself; opened with the RSA private key it needs the source keyring's KEK (--source-kek), which in
this disaster is lost: give such bundles a passphrase recipient too.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess

import phicrypto
from django.db import connections, transaction

from . import _engine, conf
from .keyring import reset

STORE_SCHEMA = "public"


class RecoveryRefused(Exception):
    """The store is not in the state --replace is for, or the import failed (and was rolled back)."""


def store_state(url: str, kek: _engine.KekSource) -> str:
    """"empty", "opens" (the configured KEK opens it) or "lost" (it holds another KEK's keyring)."""
    try:
        _engine.open_keyring(url, kek).close()
        return "opens"
    except _engine.KeyNotFoundError:
        return "empty"
    except phicrypto.WrongKekError:
        return "lost"


def record_count(alias: str) -> int:
    with connections[alias].cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {STORE_SCHEMA}.phicrypto_key_records")
        return cur.fetchone()[0]


def replace(alias: str, phicrypt: str, bundle: str, import_args: list[str]) -> str:
    """Steps 2-4 above; returns what phicrypt printed. The caller checked step 1 and confirmed."""
    holding = f"phicrypto_replaced_{secrets.token_hex(4)}"
    connection = connections[alias]
    reset()  # the app's keyring (and its connections) must not outlive the tables it read
    with transaction.atomic(using=alias), connection.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {holding}")
        for table in _engine.STORE_TABLES:
            cur.execute(f"ALTER TABLE {STORE_SCHEMA}.{table} SET SCHEMA {holding}")
        for ddl in _engine.STORE_DDL:
            cur.execute(ddl)
    try:
        output = run_import(phicrypt, bundle, import_args)
    except BaseException:
        with transaction.atomic(using=alias), connection.cursor() as cur:
            for table in _engine.STORE_TABLES:
                cur.execute(f"DROP TABLE {STORE_SCHEMA}.{table}")
                cur.execute(f"ALTER TABLE {holding}.{table} SET SCHEMA {STORE_SCHEMA}")
            cur.execute(f"DROP SCHEMA {holding}")
        raise
    with transaction.atomic(using=alias), connection.cursor() as cur:
        cur.execute(f"DROP SCHEMA {holding} CASCADE")
    reset()
    return output


def run_import(phicrypt: str, bundle: str, import_args: list[str]) -> str:
    """`phicrypt keys import BUNDLE --init` into this project's store under its configured KEK. The
    KEK's passphrase (if any) goes to the child in its environment, never on its command line."""
    spec, phrase = _engine.KekSource(conf.get("KEK")).native()
    env = dict(os.environ, PHICRYPTO_KEYRING=conf.store_url(), PHICRYPTO_KEK=spec)
    env.pop("PHICRYPTO_KEK_PASSPHRASE", None)
    if phrase is not None:
        env["PHICRYPTO_KEK_PASSPHRASE"] = phrase
    done = subprocess.run([phicrypt, "keys", "import", bundle, "--init", *import_args], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise RecoveryRefused(f"phicrypt keys import failed, the store is as it was: {reason}")
    return done.stdout


def find_phicrypt(given: str | None) -> str:
    path = given or shutil.which("phicrypt")
    if not path or not os.access(path, os.X_OK):
        raise RecoveryRefused("the phicrypt command is needed (install it, or give --phicrypt PATH)")
    return path
