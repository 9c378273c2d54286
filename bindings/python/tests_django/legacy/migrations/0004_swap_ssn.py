# Step 3: drop the plaintext column, give the encrypted one its name, and make it unique.
from django.db import migrations

import phicrypto.django.fields


class Migration(migrations.Migration):
    dependencies = [("legacy", "0003_copy_ssn")]
    operations = [
        migrations.RemoveField(model_name="person", name="ssn"),
        migrations.RenameField(model_name="person", old_name="ssn_encrypted", new_name="ssn"),
        migrations.AlterField(
            model_name="person",
            name="ssn",
            field=phicrypto.django.fields.EncryptedCharField(max_length=11, deterministic=True, unique=True, null=True, purpose="legacy.Person.ssn"),
        ),
    ]
