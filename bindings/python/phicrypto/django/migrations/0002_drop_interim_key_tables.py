"""Drops the tables of the interim Python key store (never released): databases migrated during
development get the native store's tables, which 0001 now creates."""
from django.db import migrations

from phicrypto.django.migrations._store_schema import STORE_DDL

INTERIM_DROP = ["DROP TABLE IF EXISTS phicrypto_django_key_audit", "DROP TABLE IF EXISTS phicrypto_django_key",
                "DROP TABLE IF EXISTS phicrypto_django_setting"]


class Migration(migrations.Migration):
    dependencies = [("phicrypto", "0001_initial")]

    operations = [migrations.RunSQL(sql=INTERIM_DROP + STORE_DDL, reverse_sql=migrations.RunSQL.noop)]
