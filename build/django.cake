// phicrypto.django: the pytest-django suite against a throwaway PostgreSQL 15 (started by the suite's
// conftest), and the Django benchmark. Uses /usr/bin/python3 (Debian's Django 4.2, psycopg2, pytest-django).

Task("Test-Django")
    .IsDependeeOf("Test")
    .IsDependentOn("Clean-TestResults")
    .Does(() =>
{
    var results = testResults.CombineWithFilePath("django.xml");
    try
    {
        var exit = StartProcess("/usr/bin/python3", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder()
                .Append("-m").Append("pytest").Append("-q")
                .Append("--junitxml=" + results.FullPath),
            WorkingDirectory = root.Combine("bindings/python/tests_django"),
        });
        if (exit != 0) Warning($"django: pytest exited with {exit}");
    }
    catch (Exception e) { Warning($"django: {e.Message}"); }
    summary.AddJUnit(results, "django");
});

Task("Bench-Django")
    .IsDependeeOf("Bench")
    .Does(() =>
{
    CreateDirectory(artifacts.Combine("bench"));
    var exit = StartProcess("/usr/bin/python3", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .Append(root.CombineWithFilePath("bench/django/bench.py").FullPath)
            .Append("--json").AppendQuoted(artifacts.CombineWithFilePath("bench/django.json").FullPath),
        WorkingDirectory = root,
    });
    if (exit != 0) Warning($"django benchmark exited with {exit}");
});
