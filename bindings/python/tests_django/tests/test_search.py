"""Searchable randomized fields (phicrypto.django.search): blind indexes in companion columns.

Contact.last_name has 2-bit indexes, so about a quarter of all rows share any index value: every
assertion below that a lookup returns exactly the matching rows proves the false positives were dropped
after decryption."""
import pytest
from django.core.exceptions import FieldError
from django.db import connection

from clinic.models import Contact

from .helpers import manage, raw

pytestmark = pytest.mark.django_db

NAMES = ["Smith", "SMITHSON", "smithers", "Smyth", "O'Brien", "Li", "Émile Zola", "Straße", "strasse", "Jones", "Johnson", None]


@pytest.fixture
def people():
    return {n: Contact.objects.create(last_name=n, first_name=f"first {i}").pk for i, n in enumerate(NAMES)}


def pks(qs):
    return sorted(qs.values_list("pk", flat=True))


def ids(people, *names):
    return sorted(people[n] for n in names)


def test_lookups_return_exactly_the_matching_rows(people):
    assert pks(Contact.objects.filter(last_name="Smith")) == ids(people, "Smith")
    assert pks(Contact.objects.filter(last_name__in=["Smith", "Jones", "nobody"])) == ids(people, "Smith", "Jones")
    assert pks(Contact.objects.filter(last_name__iexact="smith")) == ids(people, "Smith")
    assert pks(Contact.objects.filter(last_name__iexact="STRASSE")) == ids(people, "Straße", "strasse")
    assert pks(Contact.objects.filter(last_name__iexact="  émile   ZOLA ")) == ids(people, "Émile Zola")
    assert pks(Contact.objects.filter(last_name__startswith="Smi")) == ids(people, "Smith")
    assert pks(Contact.objects.filter(last_name__istartswith="smi")) == ids(people, "Smith", "SMITHSON", "smithers")
    assert pks(Contact.objects.filter(last_name__istartswith="smithso")) == ids(people, "SMITHSON")  # beyond max_prefix 4
    assert pks(Contact.objects.filter(last_name__istartswith="jo")) == ids(people, "Jones", "Johnson")
    assert pks(Contact.objects.filter(first_name__iexact="FIRST 0")) == ids(people, "Smith")
    assert Contact.objects.filter(last_name="nobody").count() == 0
    assert pks(Contact.objects.filter(last_name=None)) == ids(people, None)


def test_count_exists_update_and_delete_see_only_matching_rows(people):
    assert Contact.objects.filter(last_name__istartswith="smi").count() == 3
    assert Contact.objects.filter(last_name__iexact="li").exists()
    assert Contact.objects.filter(last_name__istartswith="jo").update(first_name="renamed") == 2
    assert sorted(Contact.objects.filter(first_name__iexact="RENAMED").values_list("last_name", flat=True)) == ["Johnson", "Jones"]
    Contact.objects.filter(last_name__iexact="STRASSE").delete()
    assert Contact.objects.count() == len(NAMES) - 2


def test_indexes_follow_save_bulk_create_and_update(people):
    c = Contact.objects.get(pk=people["Li"])
    c.last_name = "Lindqvist"
    c.save()
    assert pks(Contact.objects.filter(last_name__istartswith="lind")) == [c.pk]
    assert not Contact.objects.filter(last_name="Li").exists()
    created = Contact.objects.bulk_create([Contact(last_name="Nguyen", first_name="A"), Contact(last_name="nguyen", first_name="B")])
    assert pks(Contact.objects.filter(last_name__iexact="NGUYEN")) == sorted(o.pk for o in created)
    Contact.objects.filter(pk=people["Jones"]).update(last_name="Okafor")
    assert pks(Contact.objects.filter(last_name="Okafor")) == [people["Jones"]]
    assert not Contact.objects.filter(last_name__iexact="jones").exists()
    # an instance loaded and saved without reading the value keeps its envelope and its indexes
    Contact.objects.only("first_name").get(pk=people["Smith"]).save()
    assert pks(Contact.objects.filter(last_name__iexact="smith")) == ids(people, "Smith")


def test_companion_columns_hold_short_index_values_never_plaintext(people):
    bidx = bytes(raw("clinic_contact", "last_name_bidx", people["Smith"]))
    assert len(bidx) == 1 and bidx[0] & 0x3F == 0  # 2 bits
    assert raw("clinic_contact", "last_name_bpfx2", people["Li"]) is not None
    assert raw("clinic_contact", "last_name_bpfx3", people["Li"]) is None  # shorter than 3: no value
    envelope = bytes(raw("clinic_contact", "last_name", people["Smith"]))
    assert b"Smith" not in envelope


def test_lookups_find_rows_written_before_a_rotation(people):
    manage("keys", "rotate", "clinic.Contact.last_name")
    new = Contact.objects.create(last_name="Smithfield", first_name="x")
    assert pks(Contact.objects.filter(last_name__istartswith="SMI")) == sorted(ids(people, "Smith", "SMITHSON", "smithers") + [new.pk])
    assert pks(Contact.objects.filter(last_name="Smith")) == ids(people, "Smith")


def test_unsupported_lookups_still_raise_field_error(people):
    for lookup in ("contains", "icontains", "endswith", "gt", "regex"):
        with pytest.raises(FieldError):
            list(Contact.objects.filter(**{f"last_name__{lookup}": "Smi"}))
    with pytest.raises(FieldError):  # not declared searchable for prefixes
        list(Contact.objects.filter(first_name__startswith="first"))
    with pytest.raises(FieldError, match="2 characters or more"):
        list(Contact.objects.filter(last_name__istartswith="s"))


def test_explain_shows_an_index_scan(people):
    from phicrypto import IndexDefinition, blind_index

    from phicrypto.django.search import source_of

    field = Contact._meta.get_field("last_name")
    value = blind_index(source_of(field), "smi", IndexDefinition.prefix("last_name_bpfx_ci3", 2, 3, 3, True))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a table this small would be scanned otherwise
        try:
            plan = Contact.objects.filter(last_name_bpfx_ci3=value).explain()
            assert "Index" in plan and "last_name_bpfx_ci3" in plan
            plan = Contact.objects.filter(last_name__istartswith="smi").explain()
            assert "Index" in plan
        finally:
            cursor.execute("SET enable_seqscan = on")


def test_admin_search_uses_the_blind_indexes(admin_client, people):
    def found(term):
        response = admin_client.get("/admin/clinic/contact/", {"q": term})
        assert response.status_code == 200
        return sorted(o.pk for o in response.context["cl"].result_list)

    assert found("smi") == ids(people, "Smith", "SMITHSON", "smithers")    # ^last_name: istartswith
    assert found("FIRST 4") == ids(people, "O'Brien")                     # =first_name: iexact
    assert found("s") == []                                               # shorter than the prefix index: nothing
    assert found("mith") == []                                            # no substring search on ciphertext
    from django.contrib import admin
    assert [e for e in admin.site._registry[Contact].check() if e.id == "phicrypto.W002"] == []


def test_reencrypt_moves_indexes_to_the_active_version(people):
    from phicrypto import IndexDefinition, blind_index
    from phicrypto.django.reencrypt import Reencryptor, encrypted_fields
    from phicrypto.django.search import source_of

    manage("keys", "rotate", "clinic.Contact.last_name")
    manage("keys", "rotate", "clinic.Contact.first_name")
    Reencryptor(Contact, encrypted_fields(Contact)).run()
    source = source_of(Contact._meta.get_field("first_name"))
    definition = IndexDefinition.exact("first_name_bidx_ci", 16, True)  # 16 bits: no chance agreement
    for i, name in enumerate(NAMES):
        stored = raw("clinic_contact", "first_name_bidx_ci", people[name])
        assert stored == blind_index(source, f"first {i}", definition, version=2)
        assert stored != blind_index(source, f"first {i}", definition, version=1)
    assert pks(Contact.objects.filter(last_name__istartswith="smi")) == ids(people, "Smith", "SMITHSON", "smithers")
    assert pks(Contact.objects.filter(first_name__iexact="FIRST 1")) == ids(people, "SMITHSON")


def test_compound_index_matches_the_combination_only(people):
    assert raw("clinic_contact", "full_name", people["Smith"]) is not None
    assert pks(Contact.objects.filter(full_name=("SMITH", "first 0"))) == ids(people, "Smith")  # last name case-insensitive
    assert pks(Contact.objects.filter(full_name=("Smith", "First 0"))) == []                     # first name exact
    assert pks(Contact.objects.filter(full_name=("Smith", "first 1"))) == []                     # another row's first name
    c = Contact.objects.get(pk=people["Jones"])
    c.first_name = "Ann"
    c.save()
    assert pks(Contact.objects.filter(full_name=("jones", "Ann"))) == [c.pk]
    assert Contact.objects.filter(full_name=(None, "first 11")).count() == 1                    # the NULL last name
    with pytest.raises(FieldError):
        list(Contact.objects.filter(full_name=("Smith",)))
    with pytest.raises(FieldError):
        list(Contact.objects.filter(full_name__startswith=("Smith", "x")))
