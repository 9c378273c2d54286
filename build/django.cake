// phicrypto.django: the pytest-django suite against a throwaway PostgreSQL 15 (started by the suite's
// conftest), and the Django benchmark. Uses /usr/bin/python3 (Debian's Django 4.2, psycopg2, pytest-django)
// with the phicrypto package from the source tree and libphicrypto.so from artifacts/native.

var djangoTests = Task("Test-Django")
    .IsDependeeOf("Test")
    .IsDependentOn("Clean-TestResults");
var djangoBench = Task("Bench-Django").IsDependeeOf("Bench");
// The native library comes from the Native task (build/native.cake) when that area is present.
if (FileExists("build/native.cake")) { djangoTests.IsDependentOn("Native"); djangoBench.IsDependentOn("Native"); }

IDictionary<string, string> DjangoEnvironment() => new Dictionary<string, string>
{
    ["PHICRYPTO_LIBRARY"] = artifacts.CombineWithFilePath("native/libphicrypto.so").FullPath,
};

djangoTests.Does(() =>
{
    // The disaster-recovery drill (tests/test_disaster_recovery.py) exports and imports with phicrypt.
    DotNetBuild("src/PhiCrypto.Cli/PhiCrypto.Cli.csproj", new DotNetBuildSettings { Configuration = "Release" });
    var results = testResults.CombineWithFilePath("django.xml");
    try
    {
        var exit = StartProcess("/usr/bin/python3", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder()
                .Append("-m").Append("pytest").Append("-q")
                .Append("--junitxml=" + results.FullPath),
            WorkingDirectory = root.Combine("bindings/python/tests_django"),
            EnvironmentVariables = DjangoEnvironment(),
        });
        if (exit != 0) Warning($"django: pytest exited with {exit}");
    }
    catch (Exception e) { Warning($"django: {e.Message}"); }
    summary.AddJUnit(results, "django");
});

djangoBench.Does(() =>
{
    CreateDirectory(artifacts.Combine("bench"));
    var exit = StartProcess("/usr/bin/python3", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .Append(root.CombineWithFilePath("bench/django/bench.py").FullPath)
            .Append("--json").AppendQuoted(artifacts.CombineWithFilePath("bench/django.json").FullPath),
        WorkingDirectory = root,
        EnvironmentVariables = DjangoEnvironment(),
    });
    if (exit != 0) Warning($"django benchmark exited with {exit}");
});
