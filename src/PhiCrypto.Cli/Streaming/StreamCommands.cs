// Small pieces the streaming commands share.
using PhiCrypto.Messages;

namespace PhiCrypto.Cli.Streaming;

internal static class StreamCommands
{
    /// <summary>Pipeline sizing from --workers (default: one worker per CPU).</summary>
    public static PipelineOptions Pipeline(CommandArgs a)
    {
        var text = a.Value("--workers");
        if (text is null) return new PipelineOptions();
        if (!int.TryParse(text, out int workers) || workers < 1 || workers > 256) throw new UsageException("--workers expects 1..256");
        return new PipelineOptions { Workers = workers };
    }
}
