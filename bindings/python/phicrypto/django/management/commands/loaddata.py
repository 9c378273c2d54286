"""Django's loaddata, storing the envelopes of a dumpdata fixture unchanged (serialization.py)."""
from django.core.management.commands import loaddata

from ... import serialization


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        with serialization.fixture_mode(serialization.LOAD):
            return super().handle(*fixture_labels, **options)
