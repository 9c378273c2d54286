// Inputs the pkcs11-uri fuzz target found (docs/fuzzing.md): each must get the documented
// ArgumentException, not the FormatException / OverflowException of a bare ulong.Parse.
namespace PhiCrypto.Pkcs11.Tests;

public class Pkcs11UriFuzzFindingsTests
{
    [Theory]
    [InlineData("pkcs11:id=%01%a2;slot-id=3pt;type=secret-key?module-name=softhsm2")]   // found by the fuzzer
    [InlineData("pkcs11:object=kek;slot-id=18446744073709551616")]                      // one past ulong.MaxValue
    [InlineData("pkcs11:object=kek;slot-id=")]
    [InlineData("pkcs11:object=kek;slot-id=-1")]
    public void A_slot_id_that_is_not_a_decimal_ulong_is_an_argument_error(string uri)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Pkcs11Uri.Parse(uri));
        Assert.Contains("slot-id", e.Message);
    }

    [Fact]
    public void The_largest_slot_id_still_parses() =>
        Assert.Equal(ulong.MaxValue, Pkcs11Uri.Parse("pkcs11:object=kek;slot-id=18446744073709551615").SlotId);
}
