// The C ABI: libphicrypto.so (NativeAOT) + libsodium.so + phicrypto.h into artifacts/native, and the
// C test suite (interop/tests: CMake + CTest, each test under valgrind --error-exitcode=1).
// Loaded by build.cake; uses its `artifacts`, `testResults`, `configuration` and `summary`.

DirectoryPath PhiNativeDir() => artifacts.Combine("native");

// Runs a tool and throws when it exits non-zero (the calling task catches and counts).
void PhiRun(string tool, string arguments, DirectoryPath workingDirectory = null, IDictionary<string, string> environment = null)
{
    Information($"{tool} {arguments}");
    int code = StartProcess(tool, new ProcessSettings
    {
        Arguments = arguments,
        WorkingDirectory = workingDirectory ?? root,
        EnvironmentVariables = environment,
    });
    if (code != 0) throw new Exception($"{tool} exited with code {code}");
}

Task("Native")
    .Description("Publishes libphicrypto.so with libsodium.so and phicrypto.h to artifacts/native")
    .IsDependeeOf("Publish")
    .Does(() =>
{
    var staging = artifacts.Combine("obj/native-publish");
    if (DirectoryExists(staging)) DeleteDirectory(staging, new DeleteDirectorySettings { Recursive = true, Force = true });
    DotNetPublish("src/PhiCrypto.Native/PhiCrypto.Native.csproj", new DotNetPublishSettings
    {
        Configuration = configuration,
        Runtime = "linux-x64",
        OutputDirectory = staging,
    });
    var output = PhiNativeDir();
    EnsureDirectoryExists(output);
    CleanDirectory(output);
    // Only what a consumer needs: the library, the libsodium it finds through rpath $ORIGIN, the header.
    CopyFile(staging.CombineWithFilePath("libphicrypto.so"), output.CombineWithFilePath("libphicrypto.so"));
    CopyFile(staging.CombineWithFilePath("libsodium.so"), output.CombineWithFilePath("libsodium.so"));
    CopyFile("interop/include/phicrypto.h", output.CombineWithFilePath("phicrypto.h"));
    CopyFile("interop/exports.txt", output.CombineWithFilePath("exports.txt"));
});

Task("Test-C")
    .Description("C tests of libphicrypto.so under CTest and valgrind")
    .IsDependentOn("Native")
    .IsDependentOn("Clean-TestResults")
    .IsDependeeOf("Test")
    .Does(() =>
{
    var buildDir = artifacts.Combine("obj/ctest");
    var junit = testResults.CombineWithFilePath("c-tests.xml");
    try
    {
        PhiRun("cmake", $"-S interop/tests -B \"{buildDir}\" -DPHICRYPTO_LIB_DIR=\"{PhiNativeDir()}\"");
        PhiRun("cmake", $"--build \"{buildDir}\"");
        PhiRun("ctest", $"--test-dir \"{buildDir}\" --output-on-failure --output-junit \"{junit}\"");
    }
    catch (Exception e) { Warning($"C tests: {e.Message}"); }
    summary.AddJUnit(junit, "C (CTest + valgrind)");
});
