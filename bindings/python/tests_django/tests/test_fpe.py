"""Format-preserving encrypted fields (phicrypto.django.fpe): FF1 over the digits, separators kept,
deterministic so exact/in work, the key version in its own column, and a rotation."""
import pytest
from django.core.exceptions import FieldError, ValidationError
from django.db import transaction

import phicrypto
from clinic.models import Insured
from phicrypto.django.fpe import reencrypt

from .helpers import manage, raw

pytestmark = pytest.mark.django_db


def test_values_keep_their_format_and_read_back():
    a = Insured.objects.create(ssn="123-45-6789", phone="(555) 010-4477")
    stored = raw("clinic_insured", "ssn", a.pk)
    assert len(stored) == 11 and stored[3] == "-" and stored[6] == "-" and stored != "123-45-6789"
    assert stored.replace("-", "").isdigit()
    phone = raw("clinic_insured", "phone", a.pk)
    assert phone[0] == "(" and phone[4:6] == ") " and phone[9] == "-" and phone != "(555) 010-4477"
    assert raw("clinic_insured", "ssn_key_version", a.pk) == 1
    b = Insured.objects.get(pk=a.pk)
    assert (b.ssn, b.phone) == ("123-45-6789", "(555) 010-4477")
    assert Insured.objects.values_list("ssn", flat=True).get(pk=a.pk) == stored  # values(): the stored form


def test_equal_values_encrypt_equally_so_exact_and_in_work():
    a = Insured.objects.create(ssn="123-45-6789")
    b = Insured.objects.create(ssn="123-45-6789")
    c = Insured.objects.create(ssn="987-65-4321")
    assert raw("clinic_insured", "ssn", a.pk) == raw("clinic_insured", "ssn", b.pk)
    assert sorted(Insured.objects.filter(ssn="123-45-6789").values_list("pk", flat=True)) == [a.pk, b.pk]
    assert sorted(Insured.objects.filter(ssn__in=["987-65-4321", "000-00-0000"]).values_list("pk", flat=True)) == [c.pk]
    assert not Insured.objects.filter(ssn="111-11-1111").exists()
    assert Insured.objects.filter(ssn__isnull=True).count() == 0


def test_the_field_is_ff1_under_the_purposes_source():
    a = Insured.objects.create(ssn="123-45-6789")
    from phicrypto.django.keyring import get_keyring

    source = get_keyring().engine.source("clinic.Insured.ssn")
    expected = phicrypto.ff1_encrypt(source, "123456789", version=1)
    assert raw("clinic_insured", "ssn", a.pk).replace("-", "") == expected


def test_rotation_version_column_lookups_and_reencryption():
    old = Insured.objects.create(ssn="123-45-6789")
    manage("keys", "rotate", "clinic.Insured.ssn")
    new = Insured.objects.create(ssn="123-45-6789")
    assert (raw("clinic_insured", "ssn_key_version", old.pk), raw("clinic_insured", "ssn_key_version", new.pk)) == (1, 2)
    assert raw("clinic_insured", "ssn", old.pk) != raw("clinic_insured", "ssn", new.pk)
    assert sorted(Insured.objects.filter(ssn="123-45-6789").values_list("pk", flat=True)) == [old.pk, new.pk]
    assert Insured.objects.get(pk=old.pk).ssn == "123-45-6789"
    assert reencrypt(Insured, "ssn") == 1
    assert raw("clinic_insured", "ssn_key_version", old.pk) == 2
    assert raw("clinic_insured", "ssn", old.pk) == raw("clinic_insured", "ssn", new.pk)
    assert Insured.objects.get(pk=old.pk).ssn == "123-45-6789"
    assert Insured.objects.filter(ssn="123-45-6789").count() == 2
    assert reencrypt(Insured, "ssn") == 0


def test_bulk_create_and_save_write_value_and_version():
    rows = Insured.objects.bulk_create([Insured(ssn=f"{i:03d}-45-6789") for i in range(1, 6)])
    assert Insured.objects.filter(ssn="003-45-6789").get().pk == rows[2].pk
    r = Insured.objects.get(pk=rows[0].pk)
    r.ssn = "999-99-9999"
    r.save()
    assert Insured.objects.get(ssn="999-99-9999").pk == r.pk


def test_bad_values_and_unsupported_operations_are_refused():
    with pytest.raises(ValidationError):
        Insured(ssn="123-45-678x").full_clean()
    for bad in ("123456789", "123-45-678x", "123-45-67890"):
        with pytest.raises(ValidationError), transaction.atomic():
            Insured.objects.create(ssn=bad)        # not the pattern: nothing written
    assert Insured.objects.count() == 0
    for lookup in ("startswith", "contains", "gt", "iexact"):
        with pytest.raises(FieldError):
            list(Insured.objects.filter(**{f"ssn__{lookup}": "123"}))
    Insured.objects.create(ssn="123-45-6789")
    with pytest.raises(FieldError, match="save"):
        Insured.objects.update(ssn="111-11-1111")    # would leave the version column behind
