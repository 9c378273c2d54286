"""WSGI entry of the clinic test project (tests/test_gunicorn.py serves it with gunicorn --preload).
PHICRYPTO_TEST_WARM=1 opens the keyring in the master before the workers fork, as an app that
touches encrypted data at import would."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicproject.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

if os.environ.get("PHICRYPTO_TEST_WARM") == "1":
    from phicrypto.django.keyring import get_keyring
    get_keyring()
