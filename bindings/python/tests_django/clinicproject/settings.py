"""Settings of the clinic test project. The database address comes from the environment
(PHICRYPTO_TEST_PGHOST / PHICRYPTO_TEST_PGPORT), set by conftest.py after it starts PostgreSQL."""
import base64
import os
from pathlib import Path

# The native library from a repository build (./build.sh --target=Native), unless told otherwise.
_built = Path(__file__).resolve().parents[4] / "artifacts" / "native" / "libphicrypto.so"
if _built.exists():
    os.environ.setdefault("PHICRYPTO_LIBRARY", str(_built))

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "clinicproject.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "phicrypto.django",
    "clinic",
    "legacy",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "phicrypto.django.middleware.AuditActorMiddleware",
]

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PHICRYPTO_TEST_PGDATABASE", "clinic"),
        "USER": os.environ.get("PHICRYPTO_TEST_PGUSER", "postgres"),
        "HOST": os.environ.get("PHICRYPTO_TEST_PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PHICRYPTO_TEST_PGPORT", "5432"),
        "TEST": {"NAME": "test_clinic"},
    }
}

# A fixed test KEK unless the caller brings one (never do this outside tests).
os.environ.setdefault("PHICRYPTO_MASTER_KEY", base64.b64encode(bytes(range(32))).decode())
# The KEK that the rewrap test moves to. The native runtime reads the environment once, when the
# library loads: a KEK variable must be set before that, as it is in a real deployment.
os.environ.setdefault("PHICRYPTO_TEST_NEW_KEK", base64.b64encode(bytes(range(32, 64))).decode())

PHICRYPTO = {
    "KEK": "env:PHICRYPTO_MASTER_KEY",
    "STORE": "default",
    "CACHE_TTL": 60,
    "AUDIT": os.environ.get("PHICRYPTO_TEST_AUDIT", "off"),
}

# Request errors to stderr (tests/test_gunicorn.py keeps the workers' output for its failure message).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
