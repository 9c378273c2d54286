# Step 2: copy every value into the encrypted column, in primary-key batches (bulk_update encrypts).
from django.db import migrations

BATCH = 1000


def encrypt_ssn(apps, schema_editor):
    Person = apps.get_model("legacy", "Person")
    last = 0
    while True:
        rows = list(Person.objects.filter(pk__gt=last, ssn_encrypted__isnull=True).order_by("pk").only("pk", "ssn")[:BATCH])
        if not rows:
            return
        for row in rows:
            row.ssn_encrypted = row.ssn
        Person.objects.bulk_update(rows, ["ssn_encrypted"])
        last = rows[-1].pk


def decrypt_ssn(apps, schema_editor):
    Person = apps.get_model("legacy", "Person")
    for row in Person.objects.exclude(ssn_encrypted__isnull=True).iterator(chunk_size=BATCH):
        row.ssn = row.ssn_encrypted
        row.save(update_fields=["ssn"])


class Migration(migrations.Migration):
    dependencies = [("legacy", "0002_add_encrypted_ssn")]
    operations = [migrations.RunPython(encrypt_ssn, decrypt_ssn)]
