// Purpose names and the key names built from them ("files/v3"), as the streaming format's raw AES
// keyring carries them (AWS Encryption SDK framework/raw-aes-keyring.md: key name is free UTF-8).
// A purpose is 1..200 bytes of [A-Za-z0-9._:-], so it survives file names, URLs and SQL without quoting.
using System.Globalization;

namespace PhiCrypto.Keys;

public static class KeyNames
{
    public const int MaxPurposeLength = 200;

    /// <summary>Key namespace the keyring's keys carry in AWS Encryption SDK messages.</summary>
    public const string Namespace = "phicrypto";

    public static bool IsValidPurpose(string? purpose)
    {
        if (string.IsNullOrEmpty(purpose) || purpose.Length > MaxPurposeLength) return false;
        foreach (char c in purpose)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')) return false;
        return true;
    }

    public static void CheckPurpose(string? purpose, string paramName = "purpose")
    {
        if (!IsValidPurpose(purpose))
            throw new ArgumentException($"a purpose is 1 to {MaxPurposeLength} characters of A-Z a-z 0-9 . _ : -", paramName);
    }

    /// <summary>"files/v3" for purpose "files", version 3.</summary>
    public static string Format(string purpose, uint version) => $"{purpose}/v{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses "purpose/vN"; false for anything else.</summary>
    public static bool TryParse(string? keyName, out string purpose, out uint version)
    {
        purpose = ""; version = 0;
        if (keyName is null) return false;
        int slash = keyName.LastIndexOf("/v", StringComparison.Ordinal);
        if (slash <= 0) return false;
        var p = keyName[..slash];
        if (!IsValidPurpose(p)) return false;
        if (!uint.TryParse(keyName.AsSpan(slash + 2), NumberStyles.None, CultureInfo.InvariantCulture, out version) || version == 0) return false;
        purpose = p;
        return true;
    }
}
