// Pipelines (issue 7): the encrypted S3 upload suite (bindings/python/tests_s3) against a throwaway
// Swift with s3api that its conftest starts (tests/services/swift-s3.sh). The backup tests run with
// the other .NET suites (tests/PhiCrypto.Cli.Tests). Shared variables come from build.cake.
Task("Test-S3")
    .IsDependentOn("Clean-TestResults")
    .IsDependeeOf("Test")
    .Does(() =>
{
    var junit = testResults.CombineWithFilePath("s3.xml");
    try
    {
        var exit = StartProcess("/usr/bin/python3", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder()
                .Append("-m").Append("pytest").Append("-q")
                .AppendQuoted(root.Combine("bindings/python/tests_s3").FullPath)
                .Append("--junitxml=" + junit.FullPath),
            WorkingDirectory = root.Combine("bindings/python"),
            EnvironmentVariables = new Dictionary<string, string> { ["PYTHONPATH"] = root.Combine("bindings/python").FullPath },
        });
        if (exit != 0) Warning($"tests_s3: pytest exited with {exit}");
    }
    catch (Exception e) { Warning($"tests_s3: {e.Message}"); }
    summary.AddJUnit(junit, "s3");
});
