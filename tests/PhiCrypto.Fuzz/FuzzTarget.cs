// One fuzz target: a parser fed arbitrary bytes. The parser's documented errors (PhiCrypto's own
// exception types, and ArgumentException where a target's API documents it) are expected outcomes;
// anything else escapes to SharpFuzz, which reports it to libFuzzer as a crash (a finding).
namespace PhiCrypto.Fuzz;

/// <summary>A named parser entry point and the exception types its contract allows.</summary>
internal sealed class FuzzTarget(string name, string parser, Action<ReadOnlySpan<byte>> parse, bool argumentErrorsDocumented = false)
{
    public string Name { get; } = name;
    /// <summary>The API under test, for listings and docs.</summary>
    public string Parser { get; } = parser;

    /// <summary>Runs the parser: null when it accepted the input, the documented error when it refused it.
    /// Anything its contract does not allow propagates.</summary>
    public Exception? Run(ReadOnlySpan<byte> input)
    {
        try { parse(input); return null; }
        catch (Exception e) when (IsDocumented(e)) { return e; }
    }

    private bool IsDocumented(Exception e) =>
        e is PhiCryptoException || (argumentErrorsDocumented && e is ArgumentException);
}
