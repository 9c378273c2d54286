"""GENERATED from src/PhiCrypto.Postgres/schema.sql by tests/PhiCrypto.Postgres.Tests/StoreSchemaCopyTests.cs:
do not edit. Regenerate: PHICRYPTO_WRITE_GENERATED=1 dotnet test tests/PhiCrypto.Postgres.Tests --filter StoreSchemaCopyTests"""

STORE_DDL = [
    """CREATE TABLE IF NOT EXISTS public.phicrypto_key_records (
    purpose    text        NOT NULL,
    version    bigint      NOT NULL CHECK (version BETWEEN 1 AND 4294967295),
    state      text        NOT NULL,
    record     bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (purpose, version))""",
    """CREATE TABLE IF NOT EXISTS public.phicrypto_key_audit (
    seq         bigint      PRIMARY KEY CHECK (seq >= 1),
    kind        text        NOT NULL,
    purpose     text,
    version     bigint,
    event       bytea       NOT NULL,
    hash        bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS public.phicrypto_key_settings (
    name  text PRIMARY KEY,
    value text NOT NULL)""",
]
STORE_DROP = ["DROP TABLE IF EXISTS public.phicrypto_key_audit", "DROP TABLE IF EXISTS public.phicrypto_key_records",
              "DROP TABLE IF EXISTS public.phicrypto_key_settings"]
