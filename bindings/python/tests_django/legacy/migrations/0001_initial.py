# Step 0: the table as it was before encryption, with a plain unique SSN column.
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Person",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
                ("ssn", models.CharField(max_length=11, unique=True, null=True)),
            ],
        ),
    ]
