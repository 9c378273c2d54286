namespace PhiCrypto.Cli.Tests;

public class KeysDemoTests
{
    [Fact]
    public void Demo_shows_init_rotate_search_rewrap_and_an_intact_audit_chain()
    {
        var o = new StringWriter();
        KeysDemo.Show(o);
        var text = o.ToString();
        Assert.Contains("both decrypt: True", text);
        Assert.Contains("finds both rows: True", text);
        Assert.Contains("WrongKekException", text);
        Assert.Contains("audit chain intact", text);
        Assert.DoesNotContain("False", text);
    }
}
