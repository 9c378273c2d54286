// The shared KEK suite (Keys/Conformance/KekConformance) on the software KEKs: env and passphrase.
using System.Security.Cryptography;
using PhiCrypto.Keys;
using PhiCrypto.Keys.Conformance;

namespace PhiCrypto.Core.Tests.Keys;

public sealed class EnvironmentKekConformance : KekConformance
{
    private readonly string _base64 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    protected override IKek Kek() => EnvironmentKek.FromBase64(_base64);
}

public sealed class PassphraseKekConformance : KekConformance
{
    private readonly IReadOnlyDictionary<string, string> _parameters = PassphraseKek.Create("correct horse battery staple", new Dictionary<string, string>()).StoreSettings;
    protected override IKek Kek() => PassphraseKek.Create("correct horse battery staple", _parameters);
}
