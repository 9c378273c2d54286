// Inputs the postgres-url fuzz target found (docs/fuzzing.md): a malformed number must be the
// documented ArgumentException, and Display, which error messages use, must never throw.
namespace PhiCrypto.Postgres.Tests;

public class PostgresUrlFuzzFindingsTests
{
    [Theory]
    [InlineData("postgresql://localhost/keys?connect_timeout=5&port=5=u&password=p433&user=u&password=p&dbname=d")]   // found by the fuzzer
    [InlineData("postgresql://localhost/keys?port=")]
    [InlineData("postgresql://localhost/keys?port=99999999999")]
    [InlineData("postgresql://localhost/keys?connect_timeout=soon")]
    public void A_malformed_number_is_an_argument_error_and_display_still_works(string url)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => PostgresUrl.ToConnectionString(url));
        Assert.DoesNotContain("p433", e.Message);
        Assert.Equal("postgresql://(unparsable)", PostgresUrl.Display(url));
    }
}
