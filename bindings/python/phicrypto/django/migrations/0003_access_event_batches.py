"""The access audit's table holds one row per batch (one field of one fetch: every pk it decrypted)
instead of one row per value: a fetch of 10,000 rows and 5 encrypted fields writes 25 rows, not
50,000. Existing events become batches of one; the reverse splits batches back into rows."""
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

FORWARD = [
    "ALTER TABLE phicrypto_access_event ADD COLUMN object_pks text[], ADD COLUMN key_versions integer[]",
    "UPDATE phicrypto_access_event SET object_pks = ARRAY[object_pk], key_versions = ARRAY[key_version]",
    "ALTER TABLE phicrypto_access_event ALTER COLUMN object_pks SET NOT NULL, ALTER COLUMN key_versions SET NOT NULL,"
    " DROP COLUMN object_pk, DROP COLUMN key_version",  # drops the index phicrypto_access_row with it
    "CREATE INDEX phicrypto_access_pks ON phicrypto_access_event USING gin (object_pks)",
]
REVERSE = [
    "DROP INDEX phicrypto_access_pks",
    "ALTER TABLE phicrypto_access_event ADD COLUMN object_pk text, ADD COLUMN key_version integer",
    "INSERT INTO phicrypto_access_event (at, actor, action, model, field, object_pks, key_versions, object_pk, key_version)"
    " SELECT e.at, e.actor, e.action, e.model, e.field, '{}', '{}', u.pk, u.v"
    " FROM phicrypto_access_event e, unnest(e.object_pks, e.key_versions) AS u(pk, v) WHERE e.key_version IS NULL",
    "DELETE FROM phicrypto_access_event WHERE key_version IS NULL",
    "ALTER TABLE phicrypto_access_event ALTER COLUMN key_version SET NOT NULL, DROP COLUMN object_pks, DROP COLUMN key_versions",
    "CREATE INDEX phicrypto_access_row ON phicrypto_access_event (model, object_pk)",
]


class Migration(migrations.Migration):
    dependencies = [("phicrypto", "0002_drop_interim_key_tables")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(sql=FORWARD, reverse_sql=REVERSE)],
            state_operations=[
                migrations.RemoveIndex(model_name="accessevent", name="phicrypto_access_row"),
                migrations.RemoveField(model_name="accessevent", name="object_pk"),
                migrations.RemoveField(model_name="accessevent", name="key_version"),
                migrations.AddField(model_name="accessevent", name="object_pks",
                                    field=ArrayField(base_field=models.TextField(null=True), size=None)),
                migrations.AddField(model_name="accessevent", name="key_versions",
                                    field=ArrayField(base_field=models.IntegerField(), size=None)),
                migrations.AddIndex(model_name="accessevent", index=GinIndex(fields=["object_pks"], name="phicrypto_access_pks")),
            ],
        ),
    ]
