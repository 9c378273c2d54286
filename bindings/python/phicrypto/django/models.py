"""The access audit table (database sink). The key store's own tables (phicrypto_key_records,
phicrypto_key_audit, phicrypto_key_settings: the native keyring's PostgreSQL store) are created by
migration 0001 with the store's DDL."""
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class AccessEvent(models.Model):
    """One batch of the access audit: the values of one field that one fetch decrypted, one pk and
    key version per value (a single read: lists of one). Who read row X:
    ``AccessEvent.objects.filter(model="clinic.Patient", object_pks__contains=[str(pk)])`` (GIN index)."""
    at = models.DateTimeField()
    actor = models.TextField(null=True)
    action = models.TextField()
    model = models.TextField()
    field = models.TextField()
    object_pks = ArrayField(models.TextField(null=True))
    key_versions = ArrayField(models.IntegerField())

    class Meta:
        db_table = "phicrypto_access_event"
        indexes = [GinIndex(fields=["object_pks"], name="phicrypto_access_pks")]
