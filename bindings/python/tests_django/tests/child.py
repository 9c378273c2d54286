"""A second process on the same database: `python3 -m tests.child rotate-and-write PURPOSE` rotates
PURPOSE and writes one patient; `rotate PURPOSE` only rotates. Prints the new patient's pk.
`rotate-on-go PURPOSE` opens the keyring, prints "ready", waits for a line on stdin, then rotates
and prints the version it got."""
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicproject.settings")
import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from clinic.models import Patient  # noqa: E402

action, purpose = sys.argv[1], sys.argv[2]
if action == "rotate-on-go":
    from phicrypto.django.keyring import get_keyring
    ring = get_keyring()
    print("ready", flush=True)
    sys.stdin.readline()
    print(ring.engine.rotate(purpose), flush=True)
    sys.exit(0)
call_command("phicrypto", "keys", "rotate", purpose, stdout=open(os.devnull, "w"))
if action == "rotate-and-write":
    print(Patient.objects.create(name="child", ssn="777-77-7777", mrn="CHILD", diagnosis="written by the child").pk)
