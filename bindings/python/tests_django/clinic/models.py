import uuid

from django.db import models

from phicrypto.django.fpe import PHONE_US, SSN, FormatPreservingField
from phicrypto.django.search import CompoundIndex

from phicrypto.django.fields import (EncryptedBinaryField, EncryptedCharField, EncryptedDateField,
                                     EncryptedDateTimeField, EncryptedDecimalField, EncryptedEmailField,
                                     EncryptedIntegerField, EncryptedJSONField, EncryptedTextField,
                                     EncryptedUUIDField)


class Patient(models.Model):
    """The clinic's patient: four encrypted PHI columns and two plain ones."""
    name = models.CharField(max_length=100)                          # plain
    ssn = EncryptedCharField(max_length=11, deterministic=True, unique=True, null=True, blank=True)
    mrn = EncryptedCharField(max_length=20, deterministic=True, db_index=True)
    diagnosis = EncryptedTextField(blank=True, null=True)             # randomized
    date_of_birth = EncryptedDateField(null=True, blank=True)
    notes = EncryptedJSONField(null=True, blank=True)
    ward = models.CharField(max_length=20, default="general")        # plain

    def __str__(self):
        return f"patient {self.pk}"


class PlainPatient(models.Model):
    """The same model without encryption: the benchmark's baseline."""
    name = models.CharField(max_length=100)
    ssn = models.CharField(max_length=11, unique=True, null=True, blank=True)
    mrn = models.CharField(max_length=20, db_index=True)
    diagnosis = models.TextField(blank=True, null=True)
    date_of_birth = models.DateField(null=True, blank=True)
    notes = models.JSONField(null=True, blank=True)
    ward = models.CharField(max_length=20, default="general")


class Sample(models.Model):
    """Every field type, in both storages, for round trips."""
    text = EncryptedTextField(null=True, storage="text", deterministic=True)
    blob = EncryptedBinaryField(null=True)
    count = EncryptedIntegerField(null=True, deterministic=True)
    seen = EncryptedDateTimeField(null=True)
    when = EncryptedDateField(null=True, deterministic=True)
    doc = EncryptedJSONField(null=True, deterministic=True)
    label = EncryptedCharField(max_length=5, null=True, purpose="clinic.sample-label")
    email = EncryptedEmailField(null=True, deterministic=True)
    amount = EncryptedDecimalField(max_digits=10, decimal_places=2, null=True, deterministic=True)
    token = EncryptedUUIDField(null=True, deterministic=True, storage="text")


class Record(models.Model):
    """A chart entry whose pk the client sets (UUID): its randomized fields bind to it by default."""
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    patient_name = models.CharField(max_length=100)
    diagnosis = EncryptedTextField(null=True, blank=True)
    admitted = EncryptedDateField(null=True, blank=True)
    notes = EncryptedJSONField(null=True, blank=True, storage="text")


class Visit(models.Model):
    """An auto-increment pk: the summary binds to the immutable MRN instead."""
    mrn = models.CharField(max_length=20)
    ward = models.CharField(max_length=20, default="general")
    summary = EncryptedTextField(null=True, blank=True, bind_to="mrn")


class Contact(models.Model):
    """Searchable randomized fields (phicrypto.django.search). Two-bit indexes on purpose: most rows
    share an index value, so every lookup must drop false positives after decryption."""
    last_name = EncryptedCharField(max_length=100, null=True, blank=True, search_bits=2, search_prefix=(2, 4),
                                   searchable=["exact", "iexact", "startswith", "istartswith"], bind_to=())
    first_name = EncryptedCharField(max_length=100, blank=True, searchable="iexact", bind_to=())
    full_name = CompoundIndex(fields=("last_name", "first_name"), case_insensitive=(True, False), bits=4)


class Insured(models.Model):
    """Format-preserving encrypted identifiers (phicrypto.django.fpe): FF1 digits, separators kept."""
    ssn = FormatPreservingField(pattern=SSN, db_index=True, null=True)
    phone = FormatPreservingField(pattern=PHONE_US, null=True, blank=True)
