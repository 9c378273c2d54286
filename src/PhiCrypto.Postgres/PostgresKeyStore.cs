namespace PhiCrypto.Postgres;
