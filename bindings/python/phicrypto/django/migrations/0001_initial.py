from django.db import migrations, models

from phicrypto.django.migrations._store_schema import STORE_DDL, STORE_DROP


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        # The native keyring's store tables: generated from src/PhiCrypto.Postgres/schema.sql, which the
        # store runs itself when they are missing, so `migrate` needs no KEK.
        migrations.RunSQL(sql=STORE_DDL, reverse_sql=STORE_DROP),
        migrations.CreateModel(
            name="AccessEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField()),
                ("actor", models.TextField(null=True)),
                ("action", models.TextField()),
                ("model", models.TextField()),
                ("field", models.TextField()),
                ("object_pk", models.TextField(null=True)),
                ("key_version", models.IntegerField()),
            ],
            options={"db_table": "phicrypto_access_event"},
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["model", "object_pk"], name="phicrypto_access_row"),
        ),
    ]
