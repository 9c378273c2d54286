"""Email, decimal and UUID fields: round trips, canonical encodings, deterministic lookups."""
import decimal
import uuid

import pytest
from django.core.exceptions import ValidationError

from clinic.models import Sample
from phicrypto.django import DecryptionError
from phicrypto.django.keyring import get_keyring

from .helpers import raw

pytestmark = pytest.mark.django_db


def test_round_trips_and_lookups():
    token = uuid.uuid4()
    s = Sample.objects.create(email="Ann.Lee@example.org", amount=decimal.Decimal("12.5"), token=token)
    got = Sample.objects.get(pk=s.pk)
    assert (got.email, got.amount, got.token) == ("Ann.Lee@example.org", decimal.Decimal("12.50"), token)
    assert Sample.objects.get(amount=decimal.Decimal("12.500")).pk == s.pk   # equal amounts, any precision
    assert Sample.objects.get(amount="12.5").pk == s.pk
    assert Sample.objects.get(token=str(token)).pk == s.pk
    assert Sample.objects.get(email="Ann.Lee@example.org").pk == s.pk
    assert list(Sample.objects.filter(pk=s.pk).values_list("amount", "token")) == [(decimal.Decimal("12.50"), token)]
    assert len(raw("clinic_sample", "amount", s.pk)) == len(b"12.50") + 17
    assert raw("clinic_sample", "token", s.pk).startswith("phi:")
    envelope = Sample._meta.get_field("token").from_storage(raw("clinic_sample", "token", s.pk))
    assert len(envelope) == 16 + 17 and token.bytes not in envelope


def test_email_validation_applies_to_the_plaintext():
    with pytest.raises(ValidationError) as err:
        Sample(email="not an address").full_clean()
    assert "email" in err.value.message_dict


@pytest.mark.parametrize("field,plaintext", [("amount", b"12.5e3"), ("amount", b"NaN"), ("token", b"short")])
def test_non_canonical_plaintexts_do_not_decode(field, plaintext):
    s = Sample.objects.create()
    f = Sample._meta.get_field(field)
    Sample.objects.filter(pk=s.pk).update(**{field: None})
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute(f'UPDATE clinic_sample SET "{field}" = %s WHERE id = %s',
                    [f.to_storage(get_keyring().encrypt(f.purpose, plaintext, f.deterministic)), s.pk])
    with pytest.raises(DecryptionError, match="does not decode"):
        getattr(Sample.objects.get(pk=s.pk), field)
