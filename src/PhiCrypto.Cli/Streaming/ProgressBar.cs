// A progress line on stderr (bytes, rate, time left when the total is known), drawn only when stderr is
// a terminal and at most five times a second; silent otherwise so logs and pipes stay clean.
using System.Diagnostics;

namespace PhiCrypto.Cli.Streaming;

internal sealed class ProgressBar : IProgress<long>, IDisposable
{
    private readonly long _total;
    private readonly string _verb;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1000;
    private long _done;
    private bool _drawn;

    private ProgressBar(string verb, long total) { _verb = verb; _total = total; }

    /// <summary>A bar when stderr is a terminal, else null. <paramref name="total"/> is -1 when unknown.</summary>
    public static ProgressBar? Create(string verb, long total) => Console.IsErrorRedirected ? null : new ProgressBar(verb, total);

    public void Report(long value)
    {
        _done = value;
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastDraw < 200) return;
        _lastDraw = now;
        Draw();
    }

    private void Draw()
    {
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        double rate = _done / seconds;
        string line = $"{_verb} {Human(_done)}";
        if (_total > 0)
        {
            double fraction = Math.Min(1, (double)_done / _total);
            int width = 24, filled = (int)(fraction * width);
            string left = rate > 0 ? TimeSpan.FromSeconds((_total - _done) / rate).ToString(@"mm\:ss") : "--:--";
            line = $"{_verb} [{new string('#', filled)}{new string('.', width - filled)}] {Human(_done)}/{Human(_total)} {fraction:P0}, {left} left";
        }
        Console.Error.Write($"\r{line}, {Human((long)rate)}/s   ");
        _drawn = true;
    }

    private static string Human(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F0} KiB",
        _ => $"{bytes} B",
    };

    public void Dispose()
    {
        if (!_drawn) return;
        Draw();
        Console.Error.WriteLine();
    }
}
