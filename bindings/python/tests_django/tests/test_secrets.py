"""KEK secrets come only from the environment or a file: never from settings or argv, and never
shown by diffsettings, repr() or an error report."""
import io
import sys

import phicrypto
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.views.debug import ExceptionReporter

from clinic.models import Patient
from phicrypto.django import keyring

from .helpers import make, manage

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "correct-horse-SECRET-staple"


def use_kek(settings, spec):
    settings.PHICRYPTO = {**settings.PHICRYPTO, "KEK": spec}
    keyring.reset()


def new_keyring_under_current_kek():
    """The fixture's keyring is under the environment KEK: start an empty store's keyring under this one."""
    import psycopg2
    from phicrypto.django import _engine, conf
    conn = psycopg2.connect(conf.store_url())
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE phicrypto_key_records, phicrypto_key_audit, phicrypto_key_settings")
    conn.close()
    manage("keys", "init")


@pytest.mark.parametrize("spec", [f"passphrase:{SECRET}", f"pkcs11:token=t;object=kek?pin-value={SECRET}"])
def test_a_secret_in_settings_is_refused_without_echoing_it(settings, spec):
    use_kek(settings, spec)
    with pytest.raises(ValueError) as err:
        keyring.get_keyring()
    assert SECRET not in str(err.value) and "never taken from settings" in str(err.value)
    with pytest.raises(CommandError) as err:
        manage("keys", "init")
    assert SECRET not in str(err.value)


def test_the_command_takes_no_secret_on_argv():
    make()
    with pytest.raises(CommandError) as err:
        manage("keys", "rewrap", "--to", f"passphrase:{SECRET}")
    assert SECRET not in str(err.value)


def test_passphrase_file_and_what_shows_it(settings, tmp_path):
    path = tmp_path / "kek-passphrase"
    path.write_text(SECRET + "\n")
    use_kek(settings, f"passphrase-file:{path}")
    new_keyring_under_current_kek()
    p = make()
    assert Patient.objects.get(pk=p.pk).diagnosis == "E11.9 type 2 diabetes"
    out = io.StringIO()
    call_command("diffsettings", stdout=out)
    assert f"passphrase-file:{path}" in out.getvalue() and SECRET not in out.getvalue()
    ring = keyring.get_keyring()
    assert SECRET not in repr(ring) + repr(ring.engine) + repr(ring.engine._ring)
    use_kek(settings, f"passphrase-file:{tmp_path / 'missing'}")
    with pytest.raises(phicrypto.KeyNotFoundError, match="cannot be read"):
        keyring.get_keyring()


def test_error_reports_hide_the_passphrase(settings, tmp_path, monkeypatch):
    """A failure while the keyring opens (here: the native open refuses) produces an error report
    (the admin e-mail / log of a production site, DEBUG off) without the passphrase in any frame."""
    path = tmp_path / "kek-passphrase"
    path.write_text(SECRET)
    use_kek(settings, f"passphrase-file:{path}")
    settings.DEBUG = False

    def refuse(*args, **kwargs):
        raise phicrypto.PhiCryptoError("store unreachable")

    monkeypatch.setattr(phicrypto.Keyring, "open", refuse)
    try:
        keyring.get_keyring()
    except phicrypto.PhiCryptoError:
        data = ExceptionReporter(None, *sys.exc_info()).get_traceback_data()
    frames = {f["function"]: f["vars"] for f in data["frames"]}
    assert "open_keyring" in frames and "phrase" in dict(frames["open_keyring"])  # the frame is reported, its locals cleansed
    assert SECRET not in repr(frames)
