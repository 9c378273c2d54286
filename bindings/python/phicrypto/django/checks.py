"""System checks on the key store, so a process refuses to start on a store that cannot serve its data.

    phicrypto.E010  the key store's tables are missing (e.g. a restore without them) or unreadable
    phicrypto.E011  the key store is empty (a new install: run `manage.py phicrypto keys init`)
    phicrypto.E012  encrypted rows name key versions the store does not have (database-tagged: it
                    reads every encrypted column, so it runs with `migrate` and `check --database`,
                    not at every `runserver` start)

The store is read with plain SQL, never through the keyring: opening a keyring on an empty store
must not be what starts a new one. Before the app's first migration is applied (a new database)
nothing is checked, so `migrate` can create the tables.
"""
from __future__ import annotations

from django.core import checks
from django.db import DatabaseError, connections

from . import conf

STORE_TABLE = "phicrypto_key_records"


def _store_rows(using: str):
    """[(purpose, version)] of the store, or None before the app is migrated; raises DatabaseError."""
    with connections[using].cursor() as cur:
        cur.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT count(*) FROM django_migrations WHERE app = 'phicrypto'")
        if cur.fetchone()[0] == 0:
            return None
        cur.execute(f"SELECT purpose, version FROM public.{STORE_TABLE}")
        return cur.fetchall()


def _store(errors: list):
    alias = conf.store_alias()
    if alias is None:  # a postgresql:// URL of another database: the keyring reports it when opened
        return None
    try:
        rows = _store_rows(alias)
    except DatabaseError as err:
        errors.append(checks.Error(
            f"the phicrypto key store (table {STORE_TABLE} in database {alias!r}) cannot be read: "
            f"{str(err).splitlines()[0]}", hint="restore the key store tables with the data (they travel together), "
            "or point PHICRYPTO['STORE'] at the database that has them; no row is written until then", id="phicrypto.E010"))
        return None
    if rows is not None and not rows:
        errors.append(checks.Error(f"the phicrypto key store in database {alias!r} is empty",
                                   hint="a new install: run `manage.py phicrypto keys init`; after a restore: restore its key tables",
                                   id="phicrypto.E011"))
    return rows


@checks.register("phicrypto")
def check_key_store(app_configs=None, **kwargs):
    errors: list = []
    _store(errors)
    return errors


@checks.register("phicrypto", checks.Tags.database)
def check_versions_in_data(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    errors: list = []
    rows = _store(errors)
    if not rows:
        return []
    have = {}
    for purpose, version in rows:
        have.setdefault(purpose, set()).add(version)
    from .reencrypt import encrypted_fields, targets
    for model, _ in targets(None):
        for field in encrypted_fields(model):
            missing = sorted(_versions_in_column(model, field) - have.get(field.purpose, set()))
            if missing:
                errors.append(checks.Error(
                    f"{model._meta.label}.{field.name} has rows under key version(s) {missing} of {field.purpose}, "
                    f"which the key store does not have", hint="restore the key store that goes with this data", obj=field,
                    id="phicrypto.E012"))
    return errors


def _versions_in_column(model, field) -> set[int]:
    from ._engine import header_version
    from .reencrypt import _header_sql
    connection = connections[conf.store_alias() or "default"]
    qn = connection.ops.quote_name
    head = _header_sql(field, qn(field.column))
    sql = (f"SELECT DISTINCT CASE WHEN get_byte(h, 0) & 31 <> 0 THEN substring(h from 1 for 1) ELSE h END "
           f"FROM (SELECT substring({head} from 1 for 6) AS h FROM {qn(model._meta.db_table)} WHERE {qn(field.column)} IS NOT NULL) s")
    with connection.cursor() as cur:
        cur.execute(sql)
        return {header_version(h) for (h,) in cur.fetchall()}
