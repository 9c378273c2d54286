// Issue 10 section 4: the key store's DDL lives in src/PhiCrypto.Postgres/schema.sql. Django's migrations
// use a generated copy (bindings/python/phicrypto/django/migrations/_store_schema.py); this test fails when
// the copy is stale, and PHICRYPTO_WRITE_GENERATED=1 makes it rewrite the copy instead.
using System.Text;
using PhiCrypto.Tests.Shared;

namespace PhiCrypto.Postgres.Tests;

public class StoreSchemaCopyTests
{
    private static string CopyPath => Path.Combine(Repo.Root, "bindings", "python", "phicrypto", "django", "migrations", "_store_schema.py");

    /// <summary>The Python module the migrations import: the table statements for schema "public".</summary>
    internal static string Render()
    {
        var tables = PostgresKeyStore.SchemaStatements("public").Where(s => !s.StartsWith("CREATE SCHEMA", StringComparison.Ordinal)).ToList();
        var sb = new StringBuilder();
        sb.Append("\"\"\"GENERATED from src/PhiCrypto.Postgres/schema.sql by tests/PhiCrypto.Postgres.Tests/StoreSchemaCopyTests.cs:\n");
        sb.Append("do not edit. Regenerate: PHICRYPTO_WRITE_GENERATED=1 dotnet test tests/PhiCrypto.Postgres.Tests --filter StoreSchemaCopyTests\"\"\"\n\n");
        sb.Append("STORE_DDL = [\n");
        foreach (var s in tables) sb.Append("    \"\"\"").Append(s).Append("\"\"\",\n");
        sb.Append("]\n");
        sb.Append("STORE_DROP = [\"DROP TABLE IF EXISTS public.phicrypto_key_audit\", \"DROP TABLE IF EXISTS public.phicrypto_key_records\",\n");
        sb.Append("              \"DROP TABLE IF EXISTS public.phicrypto_key_settings\"]\n");
        return sb.ToString();
    }

    [Fact]
    public void Djangos_copy_of_the_store_schema_is_generated_from_schema_sql()
    {
        var expected = Render();
        if (Environment.GetEnvironmentVariable("PHICRYPTO_WRITE_GENERATED") == "1") File.WriteAllText(CopyPath, expected);
        var actual = File.Exists(CopyPath) ? File.ReadAllText(CopyPath) : "";
        Assert.True(expected == actual, $"{CopyPath} is stale: regenerate it with PHICRYPTO_WRITE_GENERATED=1 dotnet test tests/PhiCrypto.Postgres.Tests --filter StoreSchemaCopyTests");
    }

    [Fact]
    public void The_schema_creates_the_three_tables_in_the_schema_asked_for()
    {
        var statements = PostgresKeyStore.SchemaStatements("clinic_keys");
        Assert.Equal(4, statements.Count);
        Assert.All(statements, s => Assert.Contains("clinic_keys", s));
        Assert.DoesNotContain(statements, s => s.Contains("{schema}"));
    }
}
