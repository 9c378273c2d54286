-- The PostgreSQL key store's tables: the one definition (docs/keyring-format.md, "PostgreSQL store").
-- PostgresKeyStore runs it (embedded, {schema} replaced) when the tables are missing; Django's migrations
-- use the copy in bindings/python/phicrypto/django/migrations/_store_schema.py, which a test keeps equal.
-- Statements are separated by lines holding only ";".
CREATE SCHEMA IF NOT EXISTS {schema}
;
CREATE TABLE IF NOT EXISTS {schema}.phicrypto_key_records (
    purpose    text        NOT NULL,
    version    bigint      NOT NULL CHECK (version BETWEEN 1 AND 4294967295),
    state      text        NOT NULL,
    record     bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (purpose, version))
;
CREATE TABLE IF NOT EXISTS {schema}.phicrypto_key_audit (
    seq         bigint      PRIMARY KEY CHECK (seq >= 1),
    kind        text        NOT NULL,
    purpose     text,
    version     bigint,
    event       bytea       NOT NULL,
    hash        bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now())
;
CREATE TABLE IF NOT EXISTS {schema}.phicrypto_key_settings (
    name  text PRIMARY KEY,
    value text NOT NULL)
