using System.Runtime.InteropServices;
using PhiCrypto.Tests.Shared;

namespace PhiCrypto.Pkcs11.Tests;

/// <summary>A SoftHSM2 token (tests/services/softhsm.sh) whose config reaches the C environment.</summary>
public sealed partial class SoftHsmFixture : SoftHsmService
{
    public SoftHsmFixture()
    {
        // SoftHSM reads getenv(); .NET's SetEnvironmentVariable does not reach the C environment.
        setenv("SOFTHSM2_CONF", Conf, 1);
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", Conf);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}

[CollectionDefinition("softhsm")]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmFixture>;

/// <summary>The shared KEK suite (PhiCrypto.Core.Tests/Keys/Conformance) on a SoftHSM2 token.</summary>
[Collection("softhsm")]
public sealed class Pkcs11KekConformance(SoftHsmFixture hsm) : PhiCrypto.Keys.Conformance.KekConformance
{
    protected override PhiCrypto.Keys.IKek Kek() => Pkcs11Kek.Open(hsm.Uri);
}
