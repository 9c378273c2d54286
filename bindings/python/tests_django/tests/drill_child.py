"""The restored site of the disaster-recovery drill (test_disaster_recovery.py), a process of its own
on the restored database (PHICRYPTO_TEST_PGDATABASE) with the new KEK in PHICRYPTO_MASTER_KEY:

    python3 -m tests.drill_child manage ARGS...   manage.py phicrypto ARGS (exit 1 and the message on CommandError)
    python3 -m tests.drill_child dump             every encrypted value of every model, as JSON
"""
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicproject.settings")
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402


def dump() -> dict:
    """{"app.Model": [[pk, {field: str(value)}], ...]} of every model with encrypted fields, by pk."""
    from phicrypto.django.reencrypt import targets
    out = {}
    for model, fields in targets(None):
        out[model._meta.label] = [[obj.pk, {f.name: str(getattr(obj, f.name)) for f in fields}]
                                  for obj in model.objects.order_by("pk")]
    return out


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        print(json.dumps(dump(), sort_keys=True))
        sys.exit(0)
    try:
        call_command("phicrypto", *sys.argv[2:])
    except CommandError as err:
        print(err, file=sys.stderr)
        sys.exit(1)
