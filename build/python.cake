// The Python package: a platform wheel bundling libphicrypto.so + libsodium.so (Wheel, into
// artifacts/), and its pytest suite run by /usr/bin/python3 in a --system-site-packages venv into
// which the fresh wheel is installed (Test-Python). Loaded by build.cake.

const string PhiPython = "/usr/bin/python3";

FilePath PhiWheelFile() => GetFiles(artifacts.FullPath + "/phicrypto-*.whl").OrderBy(f => f.FullPath).LastOrDefault()
    ?? throw new Exception("no phicrypto wheel in artifacts/");

// A fresh venv over Debian's packages (--system-site-packages: cffi, pytest, cryptography...) with the
// wheel just built installed from the file alone (no index). Returns its python.
string PhiVenvWithWheel()
{
    var venv = artifacts.Combine("obj/python-venv");
    if (DirectoryExists(venv)) DeleteDirectory(venv, new DeleteDirectorySettings { Recursive = true, Force = true });
    PhiRun(PhiPython, $"-m venv --system-site-packages \"{venv}\"");
    var python = venv.CombineWithFilePath("bin/python").FullPath;
    PhiRun(python, $"-m pip install --no-deps --no-index --force-reinstall \"{PhiWheelFile()}\"");
    return python;
}

Task("Wheel")
    .Description("Builds the phicrypto platform wheel into artifacts/")
    .IsDependentOn("Native")
    .IsDependeeOf("Publish")
    .Does(() =>
{
    // Build from a staging copy so the source tree never holds binaries or setuptools' build/ folder.
    var stage = artifacts.Combine("obj/python-wheel");
    if (DirectoryExists(stage)) DeleteDirectory(stage, new DeleteDirectorySettings { Recursive = true, Force = true });
    EnsureDirectoryExists(stage);
    foreach (var name in new[] { "pyproject.toml", "setup.py", "README.md" })
        CopyFile($"bindings/python/{name}", stage.CombineWithFilePath(name));
    var package = MakeAbsolute(Directory("bindings/python/phicrypto"));
    foreach (var file in GetFiles("bindings/python/phicrypto/**/*.py") + GetFiles("bindings/python/phicrypto/**/py.typed"))
    {
        var target = stage.Combine("phicrypto").CombineWithFilePath(package.GetRelativePath(file));
        EnsureDirectoryExists(target.GetDirectory());
        CopyFile(file, target);
    }
    foreach (var lib in new[] { "libphicrypto.so", "libsodium.so" })
        CopyFile(PhiNativeDir().CombineWithFilePath(lib), stage.Combine("phicrypto").CombineWithFilePath(lib));
    foreach (var old in GetFiles(artifacts.FullPath + "/phicrypto-*.whl")) DeleteFile(old);
    PhiRun(PhiPython, $"-m build --wheel --no-isolation --outdir \"{artifacts}\" \"{stage}\"");
    Information($"Wheel: {PhiWheelFile()}");
});

Task("Test-Python")
    .Description("pytest of the installed wheel (bindings/python/tests)")
    .IsDependentOn("Wheel")
    .IsDependentOn("Clean-TestResults")
    .IsDependeeOf("Test")
    .Does(() =>
{
    var junit = testResults.CombineWithFilePath("python.xml");
    var run = artifacts.Combine("obj/python-run"); // cwd: keeps .hypothesis and sys.path out of the source tree
    try
    {
        EnsureDirectoryExists(run);
        var python = PhiVenvWithWheel();
        PhiRun(python, $"-m pytest \"{root.Combine("bindings/python/tests")}\" -p no:cacheprovider -ra --junitxml=\"{junit}\"", run,
            new Dictionary<string, string> { ["PHICRYPTO_REPO"] = root.FullPath, ["PHICRYPTO_LIBRARY"] = "" });
    }
    catch (Exception e) { Warning($"Python tests: {e.Message}"); }
    summary.AddJUnit(junit, "Python (pytest)");
});

Task("Bench-Python")
    .Description("phicrypto vs python3-cryptography side by side (bench/python) into artifacts/bench/python.md")
    .IsDependentOn("Wheel")
    .IsDependeeOf("Bench")
    .Does(() =>
{
    var output = artifacts.Combine("bench");
    EnsureDirectoryExists(output);
    var run = artifacts.Combine("obj/python-run");
    EnsureDirectoryExists(run);
    var phicrypt = artifacts.CombineWithFilePath("bin/phicrypt");
    var cli = FileExists(phicrypt) ? $" --phicrypt \"{phicrypt}\"" : "";
    PhiRun(PhiVenvWithWheel(), $"\"{root.CombineWithFilePath("bench/python/bench_python.py")}\" --out \"{output.CombineWithFilePath("python.md")}\"{cli}", run,
        new Dictionary<string, string> { ["PHICRYPTO_LIBRARY"] = "" });
});
