// PhiCryptoCore build. Targets: Build, Test, Demo, Bench, Publish, Wheel, Fuzz.
// Run through ./build.sh, which installs what a target needs first.
using System.Xml.Linq;
// Each area of the house owns one file under build/ (its tasks hook into Test/Publish with IsDependeeOf).
#load "build/*.cake"

var target = Argument("target", "Build");
var configuration = Argument("configuration", "Release");
var benchFilter = Argument("filter", "*");
var root = MakeAbsolute(Directory("."));
var artifacts = root.Combine("artifacts");
var testResults = artifacts.Combine("test-results");
var summary = new TestSummary();

// ---------------------------------------------------------------- build
Task("Build").Does(() =>
{
    DotNetBuild("PhiCryptoCore.sln", new DotNetBuildSettings { Configuration = configuration });
});

// ---------------------------------------------------------------- tests
Task("Clean-TestResults").Does(() =>
{
    if (DirectoryExists(testResults)) DeleteDirectory(testResults, new DeleteDirectorySettings { Recursive = true, Force = true });
    CreateDirectory(testResults);
});

Task("Test-DotNet").IsDependentOn("Build").IsDependentOn("Clean-TestResults").Does(() =>
{
    foreach (var project in GetFiles("tests/**/*.Tests.csproj"))
    {
        var name = project.GetFilenameWithoutExtension().ToString();
        try
        {
            DotNetTest(project.FullPath, new DotNetTestSettings
            {
                Configuration = configuration,
                NoBuild = true,
                Loggers = new[] { $"trx;LogFileName={name}.trx", "console;verbosity=minimal" },
                ResultsDirectory = testResults,
            });
        }
        catch (Exception e) { Warning($"{name}: {e.Message}"); }
        summary.AddTrx(testResults.CombineWithFilePath($"{name}.trx"), name);
    }
});

Task("Test").IsDependentOn("Test-DotNet").Does(() =>
{
    summary.Print(Information, testResults.CombineWithFilePath("summary.txt"));
    if (summary.Failed > 0 || summary.Broken.Count > 0) throw new Exception($"{summary.Failed} test(s) failed");
});

// ---------------------------------------------------------------- demo, bench
Task("Demo").IsDependentOn("Build").Does(() =>
{
    DotNetRun("src/PhiCrypto.Cli/PhiCrypto.Cli.csproj", new ProcessArgumentBuilder().Append("demo"),
        new DotNetRunSettings { Configuration = configuration, NoBuild = true });
});

Task("Bench").IsDependentOn("Build").Does(() =>
{
    DotNetRun("bench/PhiCrypto.Bench/PhiCrypto.Bench.csproj",
        new ProcessArgumentBuilder().Append("--filter").AppendQuoted(benchFilter).Append("--artifacts").AppendQuoted(artifacts.Combine("bench").FullPath),
        new DotNetRunSettings { Configuration = "Release" });
});

// ---------------------------------------------------------------- release artifacts
// The `phicrypt` command as one NativeAOT executable (libsodium.so ships beside it): Publish-Cli, build/runbooks.cake.
Task("Publish").IsDependentOn("Build").IsDependentOn("Publish-Cli").Does(() =>
{
    CreateDirectory(artifacts);
    DotNetPack("src/PhiCrypto.Core/PhiCrypto.Core.csproj", new DotNetPackSettings
    {
        Configuration = configuration,
        OutputDirectory = artifacts.Combine("nuget"),
    });
});

RunTarget(target);

// Sums every suite's results into the closing line `N passed, N failed, N skipped`.
public class TestSummary
{
    public int Passed, Failed, Skipped;
    public List<string> Broken = new();

    public void AddTrx(FilePath file, string suite)
    {
        if (!System.IO.File.Exists(file.FullPath)) { Broken.Add($"{suite}: no results written"); return; }
        var counters = XDocument.Load(file.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
        int Get(string a) => int.Parse(counters.Attribute(a)?.Value ?? "0");
        Add(suite, Get("passed"), Get("failed") + Get("error") + Get("timeout") + Get("aborted"), Get("notExecuted"));
    }

    public void AddJUnit(FilePath file, string suite)
    {
        if (!System.IO.File.Exists(file.FullPath)) { Broken.Add($"{suite}: no results written"); return; }
        int tests = 0, failures = 0, skipped = 0;
        foreach (var s in XDocument.Load(file.FullPath).Descendants().Where(e => e.Name.LocalName == "testsuite"))
        {
            int Get(string a) => int.Parse(s.Attribute(a)?.Value ?? "0");
            tests += Get("tests"); failures += Get("failures") + Get("errors"); skipped += Get("skipped") + Get("disabled");
        }
        Add(suite, tests - failures - skipped, failures, skipped);
    }

    private readonly List<string> _lines = new();
    private void Add(string suite, int passed, int failed, int skipped)
    {
        Passed += passed; Failed += failed; Skipped += skipped;
        _lines.Add($"  {suite}: {passed} passed, {failed} failed, {skipped} skipped");
    }

    public void Print(Action<string> log, FilePath file)
    {
        log("Test suites:");
        foreach (var l in _lines) log(l);
        foreach (var b in Broken) log("  BROKEN " + b);
        var line = $"{Passed} passed, {Failed + Broken.Count} failed, {Skipped} skipped";
        log(line);
        System.IO.File.WriteAllText(file.FullPath, line + "\n");
    }
}
