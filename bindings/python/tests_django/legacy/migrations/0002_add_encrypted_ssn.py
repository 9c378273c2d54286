# Step 1: add the encrypted column beside the plain one (nullable, no unique yet). The purpose is
# given explicitly so that it stays "legacy.Person.ssn" after the rename in step 3.
from django.db import migrations

import phicrypto.django.fields


class Migration(migrations.Migration):
    dependencies = [("legacy", "0001_initial"), ("phicrypto", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="person",
            name="ssn_encrypted",
            field=phicrypto.django.fields.EncryptedCharField(max_length=11, deterministic=True, null=True, purpose="legacy.Person.ssn"),
        ),
    ]
