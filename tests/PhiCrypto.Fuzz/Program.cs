// phicrypto-fuzz: the .NET side of the libFuzzer bridge (docs/fuzzing.md).
//   phicrypto-fuzz <target>               under driver/phifuzz-driver (it sets __LIBFUZZER_SHM_ID):
//                                         SharpFuzz's libFuzzer loop runs the target on each input
//   phicrypto-fuzz <target> <file>...     runs the target once per file: reproduces a finding
//   phicrypto-fuzz --seeds <corpus-dir>   writes the seed corpus (made with the fixed fuzz keys)
//   phicrypto-fuzz --list                 the targets and the parser each one feeds
using PhiCrypto.Fuzz;
using SharpFuzz;

return args switch
{
    ["--list"] => List(),
    ["--seeds", var dir] => SeedCorpus.Write(dir),
    [var name, ..] when Targets.Find(name) is { } target => Run(target, args[1..]),
    _ => Usage(),
};

static int Run(FuzzTarget target, string[] files)
{
    if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is not null)
    {
        Fuzzer.LibFuzzer.Run(input => target.Run(input));
        return 0;
    }
    if (files.Length == 0) return Usage();
    GiveInstrumentationSomewhereToCount();
    foreach (var file in files)
    {
        var refused = target.Run(File.ReadAllBytes(file));   // an undocumented exception escapes: the process fails
        Console.WriteLine($"{target.Name}: {file}: " + (refused is null ? "accepted" : $"refused ({refused.GetType().Name}: {refused.Message})"));
    }
    return 0;
}

// The SharpFuzz-instrumented build (artifacts/fuzz/bin) counts edges into Trace.SharedMem, which the
// libFuzzer loop points at shared memory; without it, give it a private buffer.
static unsafe void GiveInstrumentationSomewhereToCount()
{
    if (SharpFuzz.Common.Trace.SharedMem == null)
        SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
}

static int List()
{
    foreach (var t in Targets.All) Console.WriteLine($"{t.Name,-20} {t.Parser}");
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: phicrypto-fuzz <target> [input-file...] | --seeds <corpus-dir> | --list");
    return 2;
}
