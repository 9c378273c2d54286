"""The end state of the three-step migration from a plain CharField (migrations 0001..0004)."""
from django.db import models

from phicrypto.django.fields import EncryptedCharField


class Person(models.Model):
    name = models.CharField(max_length=50)
    ssn = EncryptedCharField(max_length=11, deterministic=True, unique=True, null=True, purpose="legacy.Person.ssn")
