using PhiCrypto.Tests.Shared;

namespace PhiCrypto.Postgres.Tests;

/// <summary>A throwaway PostgreSQL 15 (tests/services/postgres.sh) shared by the store tests.</summary>
public sealed class PostgresFixture : PostgresService;

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>;
