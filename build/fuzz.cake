// Fuzzing (docs/fuzzing.md): tests/PhiCrypto.Fuzz under libFuzzer through SharpFuzz.
//   Fuzz-Prepare  copies the built fuzz project to artifacts/fuzz/bin, instruments our assemblies there
//                 (dotnet sharpfuzz) and builds the libFuzzer driver with clang-16 + libfuzzer-16-dev
//   Test-Fuzz     the same preparation, then every target for --fuzz-seconds (20 s) inside Test: one passed test per clean target,
//                 one failed per target with a finding (JUnit into the test summary)
//   Fuzz          every target (or --fuzz-target=NAME) for --fuzz-seconds (300 s); fails on a finding
// A finding (undocumented exception, crash, hang > 10 s, out of memory) leaves its input in
// artifacts/fuzz/findings/<target>-{crash,timeout,oom}-<sha1>; the log beside it has the stack trace.
// Loaded by build.cake; uses its `root`, `artifacts`, `testResults`, `summary`.

DirectoryPath FuzzDir() => artifacts.Combine("fuzz");
FilePath FuzzDriver() => FuzzDir().CombineWithFilePath("phifuzz-driver");
FilePath FuzzHost() => FuzzDir().CombineWithFilePath("bin/PhiCrypto.Fuzz");

// Our assemblies: the ones whose edges libFuzzer sees. Dependencies (BCL, NSec, Npgsql) stay uninstrumented.
string[] FuzzInstrumented() => new[] { "PhiCrypto.Core", "phicrypt", "PhiCrypto.Pkcs11", "PhiCrypto.Postgres", "libphicrypto" };

Task("Fuzz-Prepare")
    .Description("Instrumented copy of tests/PhiCrypto.Fuzz and the libFuzzer driver, in artifacts/fuzz")
    .IsDependentOn("Build")
    .Does(() => FuzzPrepare());

// Like the other suites, a broken setup is reported in the summary instead of stopping the Test run.
Task("Test-Fuzz")
    .Description("Each fuzz target for --fuzz-seconds (default 20) seconds")
    .IsDependentOn("Build")
    .IsDependentOn("Clean-TestResults")
    .IsDependeeOf("Test")
    .Does(() =>
{
    var junit = testResults.CombineWithFilePath("fuzz.xml");
    try
    {
        FuzzPrepare();
        FuzzWriteJUnit(FuzzAll(Argument("fuzz-seconds", 20)), junit);
    }
    catch (Exception e) { Warning($"fuzzing: {e.Message}"); }
    summary.AddJUnit(junit, "Fuzz (libFuzzer + SharpFuzz)");
});

Task("Fuzz")
    .Description("Longer fuzzing: --fuzz-seconds (default 300) per target, --fuzz-target=NAME for one")
    .IsDependentOn("Fuzz-Prepare")
    .Does(() =>
{
    var results = FuzzAll(Argument("fuzz-seconds", 300), Argument("fuzz-target", ""));
    var findings = results.Where(r => r.Finding is not null).ToList();
    if (findings.Count > 0) throw new Exception($"{findings.Count} fuzz target(s) with a finding: {string.Join(", ", findings.Select(f => f.Target))}");
});

void FuzzPrepare()
{
    var bin = FuzzDir().Combine("bin");
    if (DirectoryExists(bin)) DeleteDirectory(bin, new DeleteDirectorySettings { Recursive = true, Force = true });
    CopyDirectory(root.Combine($"tests/PhiCrypto.Fuzz/bin/{configuration}/net10.0"), bin);
    foreach (var assembly in FuzzInstrumented())
        FuzzRun("dotnet", $"sharpfuzz \"{bin.CombineWithFilePath(assembly + ".dll")}\"");
    // -fsanitize=fuzzer would also link compiler-rt, which Debian ships in another package: compile with
    // the coverage flags, then link libFuzzer.a from libfuzzer-16-dev (it brings its own main).
    var obj = FuzzDir().CombineWithFilePath("phifuzz-driver.o");
    FuzzRun("clang-16", $"-O1 -g -Wall -Wextra -Werror -fsanitize=fuzzer-no-link -c tests/PhiCrypto.Fuzz/driver/phifuzz-driver.c -o \"{obj}\"");
    FuzzRun("clang-16", $"\"{obj}\" /usr/lib/llvm-16/lib/libFuzzer.a -lstdc++ -lm -lpthread -o \"{FuzzDriver()}\"");
}

public sealed record FuzzResult(string Target, long Runs, long ExecPerSec, int Cov, int Ft, int Corpus, string Finding, string Log);

List<FuzzResult> FuzzAll(int seconds, string only = "")
{
    var names = FuzzTargetNames().Where(n => only.Length == 0 || n == only).ToList();
    if (names.Count == 0) throw new Exception($"no fuzz target named '{only}'");
    var results = names.Select(n => FuzzOne(n, seconds)).ToList();
    var report = new List<string> { $"{"target",-20} {"runs",10} {"exec/s",8} {"cov",5} {"ft",6} {"corpus",6}  result" };
    report.AddRange(results.Select(r => $"{r.Target,-20} {r.Runs,10} {r.ExecPerSec,8} {r.Cov,5} {r.Ft,6} {r.Corpus,6}  {r.Finding ?? "clean"}"));
    System.IO.File.WriteAllLines(FuzzDir().CombineWithFilePath("report.txt").FullPath, report);
    foreach (var line in report) Information(line);
    return results;
}

IEnumerable<string> FuzzTargetNames()
{
    StartProcess(FuzzHost(), new ProcessSettings { Arguments = "--list", RedirectStandardOutput = true }, out var lines);
    return lines.Where(l => l.Trim().Length > 0).Select(l => l.Split(' ')[0]).ToList();
}

// One libFuzzer run. New inputs go to artifacts/fuzz/corpus/<target> (kept between runs); the seeds in
// the repository are read only. The .NET heap is capped so that a runaway allocation is an
// OutOfMemoryException (a finding) rather than the machine swapping.
FuzzResult FuzzOne(string target, int seconds)
{
    var corpus = FuzzDir().Combine($"corpus/{target}");
    var findings = FuzzDir().Combine("findings");
    var log = FuzzDir().CombineWithFilePath($"logs/{target}.log");
    EnsureDirectoryExists(corpus);
    EnsureDirectoryExists(findings);
    EnsureDirectoryExists(log.GetDirectory());
    var before = GetFiles($"{findings}/{target}-*").Select(f => f.FullPath).ToHashSet();
    Information($"fuzzing {target} for {seconds} s");
    var (code, lines) = FuzzDriverRun(
        $"--dotnet_target=\"{MakeAbsolute(FuzzHost())}\" --target_name={target} -max_total_time={seconds} -timeout=10 " +
        $"-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=\"{findings}/{target}-\" \"{corpus}\" \"tests/PhiCrypto.Fuzz/corpus/{target}\"",
        (seconds + 120) * 1000);
    System.IO.File.WriteAllLines(log.FullPath, lines);
    var found = GetFiles($"{findings}/{target}-*").Select(f => f.FullPath).Where(f => !before.Contains(f)).ToList();
    string finding = code == 0 ? null : found.Count > 0 ? $"finding: {found[0]} (log {log})" : $"libFuzzer exited with {code} (log {log})";
    if (finding is not null)
    {
        Error($"{target}: {finding}");
        foreach (var line in lines.Where(l => !l.StartsWith("#")).TakeLast(40)) Error($"  {target} | {line}");  // the stack trace, in CI's output
    }
    return FuzzParse(target, lines, finding, log.FullPath);
}

// The driver's exit code and every line it printed (libFuzzer writes to stderr). Run with Process, not
// Cake's StartProcess: its timed wait returns at exit without draining the redirected streams, which
// lost libFuzzer's last lines (the final stats, and after a finding the stack trace).
(int Code, List<string> Lines) FuzzDriverRun(string arguments, int timeoutMs)
{
    var start = new System.Diagnostics.ProcessStartInfo(FuzzDriver().FullPath, arguments)
    {
        WorkingDirectory = root.FullPath, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
    };
    start.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
    var lines = new List<string>();
    using var process = new System.Diagnostics.Process { StartInfo = start };
    process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
    process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
    process.Start();
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    if (!process.WaitForExit(timeoutMs)) process.Kill(entireProcessTree: true);
    process.WaitForExit();  // without a timeout: returns once both streams reached their end (no more events)
    return (process.ExitCode, lines);
}

// libFuzzer's last status line ("#N DONE cov: C ft: F corp: K/..") and its -print_final_stats lines.
FuzzResult FuzzParse(string target, List<string> lines, string finding, string log)
{
    int Counter(string line, string name)
    {
        var m = System.Text.RegularExpressions.Regex.Match(line, $@"\b{name}: (\d+)");
        return m.Success ? int.Parse(m.Groups[1].Value) : 0;
    }
    long Stat(string name) =>
        lines.Where(l => l.StartsWith($"stat::{name}:")).Select(l => long.Parse(l.Split(':').Last().Trim())).FirstOrDefault();
    var status = lines.LastOrDefault(l => l.StartsWith("#") && l.Contains(" cov: ")) ?? "";
    var corpus = System.Text.RegularExpressions.Regex.Match(status, @"corp: (\d+)/");
    return new FuzzResult(target, Stat("number_of_executed_units"), Stat("average_exec_per_sec"),
        Counter(status, "cov"), Counter(status, "ft"), corpus.Success ? int.Parse(corpus.Groups[1].Value) : 0, finding, log);
}

void FuzzWriteJUnit(List<FuzzResult> results, FilePath file)
{
    var suite = new XElement("testsuite",
        new XAttribute("name", "fuzz"),
        new XAttribute("tests", results.Count),
        new XAttribute("failures", results.Count(r => r.Finding is not null)),
        results.Select(r => new XElement("testcase",
            new XAttribute("classname", "fuzz"),
            new XAttribute("name", r.Target),
            new XElement("system-out", $"{r.Runs} runs, {r.ExecPerSec} exec/s, cov {r.Cov}, ft {r.Ft}, corpus {r.Corpus}"),
            r.Finding is null ? null : new XElement("failure", new XAttribute("message", r.Finding)))));
    new XDocument(new XElement("testsuites", suite)).Save(file.FullPath);
}

void FuzzRun(string tool, string arguments)
{
    Information($"{tool} {arguments}");
    int code = StartProcess(tool, new ProcessSettings { Arguments = arguments, WorkingDirectory = root });
    if (code != 0) throw new Exception($"{tool} exited with code {code}");
}
