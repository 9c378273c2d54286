"""The access audit table (database sink). The key store's own tables (phicrypto_key_records,
phicrypto_key_audit, phicrypto_key_settings: the native keyring's PostgreSQL store) are created by
migration 0001 with the store's DDL."""
from django.db import models


class AccessEvent(models.Model):
    at = models.DateTimeField()
    actor = models.TextField(null=True)
    action = models.TextField()
    model = models.TextField()
    field = models.TextField()
    object_pk = models.TextField(null=True)
    key_version = models.IntegerField()

    class Meta:
        db_table = "phicrypto_access_event"
        indexes = [models.Index(fields=["model", "object_pk"], name="phicrypto_access_row")]
