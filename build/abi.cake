// The C ABI described once (interop/abi.json): Abi regenerates the declarations of phicrypto.h,
// interop/exports.txt, the Python cffi declarations and the C# constants from it (interop/generate.py,
// standard library only); Abi-Check fails when any of them is stale. The pytest suite checks the same
// (bindings/python/tests/test_abi.py), and nm -D of the built library against the description.
// Loaded by build.cake; uses PhiRun from native.cake.

Task("Abi")
    .Description("Regenerates phicrypto.h's declarations, exports.txt, _cdef.py and AbiConstants.g.cs from interop/abi.json")
    .Does(() => PhiRun("/usr/bin/python3", "interop/generate.py"));

Task("Abi-Check")
    .Description("Fails when a file generated from interop/abi.json is stale")
    .IsDependeeOf("Native")
    .Does(() => PhiRun("/usr/bin/python3", "interop/generate.py --check"));
