"""Starts a throwaway PostgreSQL 15 for the session and points Django's default database at it."""
import os

import pytest

from pgserver import Server


@pytest.fixture(scope="session")
def pg_server():
    server = Server().start()
    os.environ["PHICRYPTO_TEST_PGHOST"] = server.host
    os.environ["PHICRYPTO_TEST_PGPORT"] = str(server.port)
    os.environ["PHICRYPTO_TEST_PGUSER"] = server.user
    yield server
    from phicrypto.django import keyring
    keyring.reset()
    from django.db import connections
    connections.close_all()
    server.stop()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(pg_server):
    from django.conf import settings
    settings.DATABASES["default"].update(HOST=pg_server.host, PORT=str(pg_server.port), USER=pg_server.user)


@pytest.fixture(scope="session", autouse=True)
def _close_key_store_connections(django_db_setup):
    """The keyring's own connections must be gone before pytest-django drops the test database."""
    yield
    from phicrypto.django import audit, keyring
    audit.reset()
    keyring.reset()


@pytest.fixture(autouse=True)
def fresh_keys(_close_key_store_connections):
    """Each test starts with a new keyring without purposes, created explicitly (as `manage.py
    phicrypto keys init` does: the app never creates one by itself), not opened yet by the app (the
    native keyring commits on its own connections, so the test transaction does not undo them)."""
    import psycopg2
    from phicrypto.django import _engine, audit, conf, keyring
    keyring.reset()
    audit.reset()
    conn = psycopg2.connect(conf.store_url())
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE phicrypto_key_records, phicrypto_key_audit, phicrypto_key_settings")
    conn.close()
    _engine.create_keyring(conf.store_url(), _engine.KekSource(conf.get("KEK")))
    yield
    audit.reset()
    keyring.reset()
