// The runbook test (tests/runbooks, issue 15): every shell block of README.md and docs/runbooks/*.md
// marked runnable runs as written, against the NativeAOT `phicrypt` published here and PostgreSQL 15
// and Swift s3api servers the suite starts itself. /usr/bin/python3 (Debian's pytest and boto3).
Task("Publish-Cli")
    .Description("phicrypt (NativeAOT) into artifacts/bin")
    .Does(() =>
{
    DotNetPublish("src/PhiCrypto.Cli/PhiCrypto.Cli.csproj", new DotNetPublishSettings
    {
        Configuration = configuration,
        Runtime = "linux-x64",
        OutputDirectory = artifacts.Combine("bin"),
    });
    DeleteFiles(GetFiles(artifacts.Combine("bin").FullPath + "/*.{pdb,dbg,xml}"));
});

Task("Test-Runbooks")
    .Description("every runnable command block of the README and docs/runbooks, as written (tests/runbooks)")
    .IsDependentOn("Publish-Cli")
    .IsDependentOn("Clean-TestResults")
    .IsDependeeOf("Test")
    .Does(() =>
{
    var junit = testResults.CombineWithFilePath("runbooks.xml");
    try
    {
        PhiRun(PhiPython, $"-m pytest \"{root.Combine("tests/runbooks")}\" -p no:cacheprovider -ra --junitxml=\"{junit}\"",
            root.Combine("tests/runbooks"),
            new Dictionary<string, string> { ["PHICRYPT"] = artifacts.CombineWithFilePath("bin/phicrypt").FullPath });
    }
    catch (Exception e) { Warning($"runbook tests: {e.Message}"); }
    summary.AddJUnit(junit, "runbooks (pytest)");
});
