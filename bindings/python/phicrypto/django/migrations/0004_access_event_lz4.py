"""The access audit's pk and key-version arrays (about 10 KB per batch of 2,000 values) are compressed
with lz4 instead of PostgreSQL's default pglz: about the same size on disk, and the COPY of a
10,000-row fetch's events costs the server 12-16 ms instead of 23-44 ms (PostgreSQL 15, 2026-12-02),
CPU that a fetch with the audit on shares with the database. Rows already written keep their
compression. A server older than 14, or built without lz4, keeps pglz."""
from django.db import migrations, transaction
from django.db.utils import DatabaseError

COLUMNS = ("object_pks", "key_versions")


def _compression(method: str):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or connection.pg_version < 140000:
            return
        sql = "ALTER TABLE phicrypto_access_event " + ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in COLUMNS)
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: a refusal leaves the migration going
                schema_editor.execute(sql)
        except DatabaseError:  # "compression method lz4 not supported": pglz stays
            pass
    return run


class Migration(migrations.Migration):
    dependencies = [("phicrypto", "0003_access_event_batches")]

    operations = [migrations.RunPython(_compression("lz4"), _compression("default"))]
