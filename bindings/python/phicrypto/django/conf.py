"""The PHICRYPTO setting, with its defaults.

    PHICRYPTO = {
        "KEK": "env:PHICRYPTO_MASTER_KEY",  # or "passphrase-env:NAME", "passphrase-file:PATH", "pkcs11:..."
        "STORE": "default",                 # a DATABASES alias (the keys live in that database),
                                            # or a postgresql:// URL
        "CACHE_TTL": 60,                    # seconds before the active version is re-read
        "AUDIT": "off",                     # "off", "on", or a sampling rate between 0 and 1
        "AUDIT_SINK": "logger",             # "logger" (the phicrypto.audit logger) or "database"
        "AUDIT_BATCH": 200,                 # database sink: events per insert
        "CREATE_ON_FIRST_USE": True,        # a purpose without a key gets version 1 when first written
    }
"""
from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    "KEK": "env:PHICRYPTO_MASTER_KEY",
    "STORE": "default",
    "CACHE_TTL": 60.0,
    "AUDIT": "off",
    "AUDIT_SINK": "logger",
    "AUDIT_BATCH": 200,
    "CREATE_ON_FIRST_USE": True,
}


def get(name: str):
    user = getattr(settings, "PHICRYPTO", {}) or {}
    unknown = set(user) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"unknown PHICRYPTO setting(s): {', '.join(sorted(unknown))}")
    return user.get(name, DEFAULTS[name])


def audit_rate() -> float:
    value = get("AUDIT")
    if value in ("off", False, None, 0):
        return 0.0
    if value in ("on", True):
        return 1.0
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured("PHICRYPTO['AUDIT'] must be 'off', 'on' or a rate between 0 and 1") from None
    if not 0.0 <= rate <= 1.0:
        raise ImproperlyConfigured("PHICRYPTO['AUDIT'] rate must be between 0 and 1")
    return rate


def store_alias() -> str | None:
    store = get("STORE")
    return None if "://" in str(store) else store


def store_url() -> str:
    """The key store as a postgresql:// URL: the configured one, or built from DATABASES[alias]."""
    store = get("STORE")
    if "://" in str(store):
        return store
    from django.db import connections
    if store not in connections:
        raise ImproperlyConfigured(f"PHICRYPTO['STORE'] names no database: {store}")
    conn = connections[store]
    if conn.vendor != "postgresql":
        raise ImproperlyConfigured("phicrypto.django keeps its keys in PostgreSQL; set PHICRYPTO['STORE'] to a postgresql:// URL")
    return url_for(conn.settings_dict)


def url_for(s: dict) -> str:
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or ""
    query = ""
    if host.startswith("/"):  # a Unix socket directory goes in the query string
        query, host = f"?host={quote(host, safe='')}", ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(s['NAME'], safe='')}{query}"
