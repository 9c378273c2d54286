using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Keys;

public class KeyStateTests
{
    // The SP 800-57 Part 1 section 7 transitions, and nothing else.
    private static readonly HashSet<(KeyState, KeyState)> Allowed =
    [
        (KeyState.PreActive, KeyState.Active), (KeyState.PreActive, KeyState.Compromised), (KeyState.PreActive, KeyState.Destroyed),
        (KeyState.Active, KeyState.Deactivated), (KeyState.Active, KeyState.Compromised),
        (KeyState.Deactivated, KeyState.Compromised), (KeyState.Deactivated, KeyState.Destroyed),
        (KeyState.Compromised, KeyState.Destroyed),
    ];

    public static TheoryData<KeyState, KeyState> AllPairs()
    {
        var d = new TheoryData<KeyState, KeyState>();
        foreach (var a in Enum.GetValues<KeyState>()) foreach (var b in Enum.GetValues<KeyState>()) d.Add(a, b);
        return d;
    }

    [Theory, MemberData(nameof(AllPairs))]
    public void Only_sp800_57_transitions_are_valid(KeyState from, KeyState to) =>
        Assert.Equal(Allowed.Contains((from, to)), KeyLifecycle.IsValidTransition(from, to));

    [Theory]
    [InlineData("pre-active", KeyState.PreActive)]
    [InlineData("PreActive", KeyState.PreActive)]
    [InlineData("deactivated", KeyState.Deactivated)]
    [InlineData("DESTROYED", KeyState.Destroyed)]
    public void Names_parse(string text, KeyState expected) => Assert.Equal(expected, KeyLifecycle.Parse(text));

    [Fact]
    public void Unknown_state_name_is_a_caller_error() => Assert.Throws<ArgumentException>(() => KeyLifecycle.Parse("retired"));

    [Theory]
    [InlineData("files/v3", "files", 3u)]
    [InlineData("clinic.Patient.ssn/v12", "clinic.Patient.ssn", 12u)]
    public void Key_names_round_trip(string name, string purpose, uint version)
    {
        Assert.True(KeyNames.TryParse(name, out var p, out var v));
        Assert.Equal((purpose, version), (p, v));
        Assert.Equal(name, KeyNames.Format(p, v));
    }

    [Theory]
    [InlineData("files")]
    [InlineData("files/v0")]
    [InlineData("files/vx")]
    [InlineData("/v1")]
    [InlineData("bad purpose/v1")]
    public void Malformed_key_names_are_rejected(string name) => Assert.False(KeyNames.TryParse(name, out _, out _));
}
