// Pipelines (issue 7): the encrypted S3 suite (bindings/python/tests_s3) run against the freshly built
// wheel (PhiVenvWithWheel from python.cake) and a throwaway Swift with s3api that its conftest starts
// (tests/services/swift-s3.sh). The backup tests run with the .NET suites (tests/PhiCrypto.Cli.Tests).
Task("Test-S3")
    .Description("pytest of phicrypto.s3 against Swift s3api (bindings/python/tests_s3)")
    .IsDependentOn("Wheel")
    .IsDependentOn("Clean-TestResults")
    .IsDependeeOf("Test")
    .Does(() =>
{
    var junit = testResults.CombineWithFilePath("s3.xml");
    var run = artifacts.Combine("obj/python-run-s3");
    try
    {
        EnsureDirectoryExists(run);
        var python = PhiVenvWithWheel();
        PhiRun(python, $"-m pytest \"{root.Combine("bindings/python/tests_s3")}\" -p no:cacheprovider -ra --junitxml=\"{junit}\"", run,
            new Dictionary<string, string> { ["PHICRYPTO_LIBRARY"] = "" });
    }
    catch (Exception e) { Warning($"S3 tests: {e.Message}"); }
    summary.AddJUnit(junit, "s3 (pytest)");
});
