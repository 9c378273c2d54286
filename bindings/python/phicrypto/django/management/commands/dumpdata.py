"""Django's dumpdata, writing encrypted fields as envelopes (phicrypto/django/serialization.py)."""
from django.core.management.commands import dumpdata

from ... import serialization


class Command(dumpdata.Command):
    help = dumpdata.Command.help + " Encrypted fields are written as envelopes (phi:...) unless --phicrypto-plaintext."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--phicrypto-plaintext", action="store_true",
                            help="write decrypted values; every value exported is recorded by the access audit")

    def handle(self, *app_labels, **options):
        name = serialization.PLAINTEXT if options["phicrypto_plaintext"] else serialization.ENVELOPES
        with serialization.fixture_mode(name):
            return super().handle(*app_labels, **options)
