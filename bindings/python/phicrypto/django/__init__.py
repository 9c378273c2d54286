"""phicrypto.django: encrypted Django model fields on PostgreSQL, backed by the phicrypto keyring.

Add "phicrypto.django" to INSTALLED_APPS, run `manage.py migrate` and `manage.py phicrypto keys init`,
then declare fields such as ``EncryptedCharField(max_length=11, deterministic=True, unique=True)``.
See docs/django.md.
"""

_FIELDS = ("EncryptedCharField", "EncryptedTextField", "EncryptedBinaryField", "EncryptedIntegerField",
           "EncryptedDateField", "EncryptedDateTimeField", "EncryptedJSONField", "EncryptedEmailField",
           "EncryptedDecimalField", "EncryptedUUIDField", "DecryptionError", "DecodeError")

__all__ = list(_FIELDS)


def __getattr__(name):  # the fields import django.db.models: only when asked for
    if name in _FIELDS:
        from . import fields
        return getattr(fields, name)
    raise AttributeError(name)
