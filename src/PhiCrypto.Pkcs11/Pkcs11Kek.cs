// A KEK that never leaves a PKCS#11 token (Pkcs11Interop 5.3). DEKs are wrapped and unwrapped on the
// token with CKM_AES_KEY_WRAP_PAD (RFC 5649), or CKM_AES_KEY_WRAP (RFC 3394) when the token lacks KWP
// (fine for 32-byte DEKs). The check value is the object's CKA_CHECK_VALUE, or the same value computed
// on the token (AES-ECB of a zero block) when the token does not provide it. The PIN comes from
// pin-source=file:PATH or PHICRYPTO_PKCS11_PIN, never a command line. One session, used under a lock.
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PhiCrypto.Keys;

namespace PhiCrypto.Pkcs11;

public sealed class Pkcs11Kek : IKek
{
    public const string PinVariable = "PHICRYPTO_PKCS11_PIN";
    private static readonly IReadOnlyDictionary<string, string> NoSettings = new Dictionary<string, string>();
    private readonly Pkcs11InteropFactories _f = new();
    private readonly IPkcs11Library _library;
    private readonly ISession _session;
    private readonly IObjectHandle _kek;
    private readonly byte[] _kcv;
    private readonly object _lock = new();

    private Pkcs11Kek(Pkcs11Uri uri, IPkcs11Library library, ISession session, IObjectHandle kek, bool kwp)
    {
        Uri = uri; _library = library; _session = session; _kek = kek; UsesKwp = kwp;
        _kcv = CheckValue0();
    }

    public Pkcs11Uri Uri { get; }
    public string Id => Uri.KeyId;
    public ReadOnlySpan<byte> CheckValue => _kcv;
    public IReadOnlyDictionary<string, string> StoreSettings => NoSettings;

    /// <summary>True when wrapping uses CKM_AES_KEY_WRAP_PAD; false for the CKM_AES_KEY_WRAP fallback.</summary>
    public bool UsesKwp { get; }

    /// <summary>Opens the KEK named by an RFC 7512 URI. <paramref name="allowKwp"/> false forces the KW fallback (tests).</summary>
    public static Pkcs11Kek Open(string uri, bool allowKwp = true) => Open(Pkcs11Uri.Parse(uri), allowKwp);

    public static Pkcs11Kek Open(Pkcs11Uri uri, bool allowKwp = true)
    {
        LibdlMapping.Install();
        var f = new Pkcs11InteropFactories();
        IPkcs11Library? library = null;
        ISession? session = null;
        try
        {
            library = ModuleCache.Acquire(uri.Module);
            var slot = FindSlot(library, uri);
            var mechanisms = slot.GetMechanismList();
            bool kwp = allowKwp && mechanisms.Contains(CKM.CKM_AES_KEY_WRAP_PAD);
            if (!kwp && !mechanisms.Contains(CKM.CKM_AES_KEY_WRAP))
                throw new PolicyViolationException($"token of {uri.KeyId} supports neither CKM_AES_KEY_WRAP_PAD nor CKM_AES_KEY_WRAP");
            session = slot.OpenSession(SessionType.ReadOnly);
            Login(session, uri);
            var kek = FindKek(f, session, uri);
            return new Pkcs11Kek(uri, library, session, kek, kwp);
        }
        catch (Pkcs11Exception e)
        {
            session?.Dispose();
            if (library is not null) ModuleCache.Release(library);
            throw new KeyNotAvailableException($"PKCS#11 {uri.KeyId}: {e.Method} failed with {e.RV}");
        }
        catch (NotSupportedException e) when (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            // Pkcs11Interop 5.3 marshals structs and delegates by Type at run time: NativeAOT needs each one
            // named in runtime directives (Pkcs11Interop.rd.xml, beside this file). Say which one is missing.
            throw new PolicyViolationException($"PKCS#11 is not usable in this NativeAOT build: {e.Message.Split('\n')[0]}");
        }
        catch
        {
            session?.Dispose();
            if (library is not null) ModuleCache.Release(library);
            throw;
        }
    }

    private static ISlot FindSlot(IPkcs11Library library, Pkcs11Uri uri)
    {
        foreach (var slot in library.GetSlotList(SlotsType.WithTokenPresent))
        {
            if (uri.SlotId is { } id && slot.SlotId != id) continue;
            var info = slot.GetTokenInfo();
            if (uri.Token is not null && info.Label.Trim() != uri.Token) continue;
            if (uri.Serial is not null && info.SerialNumber.Trim() != uri.Serial) continue;
            return slot;
        }
        throw new KeyNotAvailableException($"no PKCS#11 token matches {uri.KeyId}");
    }

    private static void Login(ISession session, Pkcs11Uri uri)
    {
        var pin = ReadPin(uri);
        try { session.Login(CKU.CKU_USER, pin); }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN) { }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE)
        {
            throw new KeyNotAvailableException($"PKCS#11 login to {uri.KeyId} failed: wrong PIN");
        }
        finally { CryptographicOperations.ZeroMemory(pin); }
    }

    /// <summary>The user PIN from pin-source=file:PATH, else PHICRYPTO_PKCS11_PIN. Never from the URI itself.</summary>
    internal static byte[] ReadPin(Pkcs11Uri uri)
    {
        if (uri.PinSource is { } source)
        {
            if (!source.StartsWith("file:", StringComparison.Ordinal))
                throw new ArgumentException("pin-source must be file:PATH");
            var path = source["file:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = new Uri(source).LocalPath;
            byte[] raw;
            try { raw = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new KeyNotAvailableException($"cannot read the PKCS#11 PIN file {path}: {e.Message}"); }
            int n = raw.Length;
            while (n > 0 && raw[n - 1] is (byte)'\n' or (byte)'\r') n--;
            var pin = raw[..n];
            CryptographicOperations.ZeroMemory(raw);
            return pin;
        }
        var env = Environment.GetEnvironmentVariable(PinVariable);
        if (string.IsNullOrEmpty(env))
            throw new KeyNotAvailableException($"no PKCS#11 PIN: give pin-source=file:PATH in the URI or set {PinVariable}");
        return Encoding.UTF8.GetBytes(env);
    }

    private static IObjectHandle FindKek(Pkcs11InteropFactories f, ISession session, Pkcs11Uri uri)
    {
        var template = new List<IObjectAttribute> { f.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY) };
        if (uri.Object is not null) template.Add(f.ObjectAttributeFactory.Create(CKA.CKA_LABEL, uri.Object));
        if (uri.Id is not null) template.Add(f.ObjectAttributeFactory.Create(CKA.CKA_ID, uri.Id));
        var found = session.FindAllObjects(template);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new KeyNotAvailableException($"no secret key object matches {uri.KeyId}"),
            _ => throw new KeyNotAvailableException($"{found.Count} objects match {uri.KeyId}: add id= to the URI"),
        };
    }

    private byte[] CheckValue0()
    {
        lock (_lock)
        {
            var attrs = _session.GetAttributeValue(_kek, [CKA.CKA_CHECK_VALUE]);
            var value = attrs[0].CannotBeRead ? null : attrs[0].GetValueAsByteArray();
            if (value is { Length: >= KeyCheckValue.Size }) return value[..KeyCheckValue.Size];
            // PKCS#11 v2.40 defines CKA_CHECK_VALUE as AES-ECB(key, 0^16)[0..3]: compute it on the token.
            var block = _session.Encrypt(_f.MechanismFactory.Create(CKM.CKM_AES_ECB), _kek, new byte[16]);
            return block[..KeyCheckValue.Size];
        }
    }

    private IMechanism Mechanism(WrapAlgorithm alg) => _f.MechanismFactory.Create(alg switch
    {
        WrapAlgorithm.AesKwp => CKM.CKM_AES_KEY_WRAP_PAD,
        WrapAlgorithm.AesKw => CKM.CKM_AES_KEY_WRAP,
        _ => throw new MalformedDataException("unknown key wrap algorithm"),
    });

    /// <summary>Wraps on the token: the DEK becomes a short-lived session object, wrapped, then destroyed.</summary>
    public (WrapAlgorithm Algorithm, byte[] Wrapped) Wrap(ReadOnlySpan<byte> dek)
    {
        if (dek.Length != KeyRecord.DekSize) throw new ArgumentException("a DEK is 32 bytes", nameof(dek));
        var alg = UsesKwp ? WrapAlgorithm.AesKwp : WrapAlgorithm.AesKw;
        var value = dek.ToArray();
        lock (_lock)
        {
            IObjectHandle? handle = null;
            try
            {
                handle = _session.CreateObject(SessionKeyTemplate(value));
                return (alg, _session.WrapKey(Mechanism(alg), _kek, handle));
            }
            catch (Pkcs11Exception e) { throw new KeyNotAvailableException($"PKCS#11 wrap with {Id} failed: {e.RV}"); }
            finally
            {
                CryptographicOperations.ZeroMemory(value);
                if (handle is not null) _session.DestroyObject(handle);
            }
        }
    }

    /// <summary>Unwraps on the token into a short-lived extractable session object, reads it, destroys it.</summary>
    public void Unwrap(WrapAlgorithm algorithm, ReadOnlySpan<byte> wrapped, Span<byte> dek)
    {
        if (dek.Length != KeyRecord.DekSize) throw new ArgumentException("a DEK is 32 bytes", nameof(dek));
        lock (_lock)
        {
            IObjectHandle? handle = null;
            try
            {
                handle = _session.UnwrapKey(Mechanism(algorithm), _kek, wrapped.ToArray(), SessionKeyTemplate(null));
                var value = _session.GetAttributeValue(handle, [CKA.CKA_VALUE])[0].GetValueAsByteArray();
                try
                {
                    if (value.Length != dek.Length) throw new AuthenticationFailedException();
                    value.CopyTo(dek);
                }
                finally { CryptographicOperations.ZeroMemory(value); }
            }
            catch (Pkcs11Exception e) when (e.RV is CKR.CKR_WRAPPED_KEY_INVALID or CKR.CKR_WRAPPED_KEY_LEN_RANGE or CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR or CKR.CKR_FUNCTION_FAILED)
            {
                throw new AuthenticationFailedException();
            }
            catch (Pkcs11Exception e) { throw new KeyNotAvailableException($"PKCS#11 unwrap with {Id} failed: {e.RV}"); }
            finally
            {
                if (handle is not null) _session.DestroyObject(handle);
            }
        }
    }

    // A session (not token) AES key the library may read back: the DEK is software-held by design.
    private List<IObjectAttribute> SessionKeyTemplate(byte[]? value)
    {
        var a = _f.ObjectAttributeFactory;
        var t = new List<IObjectAttribute>
        {
            a.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            a.Create(CKA.CKA_TOKEN, false),
            a.Create(CKA.CKA_SENSITIVE, false),
            a.Create(CKA.CKA_EXTRACTABLE, true),
        };
        if (value is not null) t.Add(a.Create(CKA.CKA_VALUE, value));
        return t;
    }

    public override string ToString() => $"Pkcs11Kek({Id})";

    public void Dispose()
    {
        lock (_lock)
        {
            try { _session.CloseSession(); } catch (Pkcs11Exception) { } // the token may have gone away
            ModuleCache.Release(_library);
        }
    }
}

/// <summary>One loaded module per path, shared and counted: C_Finalize (on the last release) ends every
/// session of the module in the process, so two KEKs on one module must not each finalize it.</summary>
internal static class ModuleCache
{
    private static readonly Dictionary<string, (IPkcs11Library Library, int Refs)> s_modules = new(StringComparer.Ordinal);
    private static readonly Pkcs11InteropFactories s_factories = new();

    public static IPkcs11Library Acquire(string path)
    {
        lock (s_modules)
        {
            if (s_modules.TryGetValue(path, out var e)) { s_modules[path] = (e.Library, e.Refs + 1); return e.Library; }
            var lib = s_factories.Pkcs11LibraryFactory.LoadPkcs11Library(s_factories, path, AppType.MultiThreaded);
            s_modules[path] = (lib, 1);
            return lib;
        }
    }

    public static void Release(IPkcs11Library library)
    {
        lock (s_modules)
        {
            foreach (var (path, e) in s_modules)
            {
                if (!ReferenceEquals(e.Library, library)) continue;
                if (e.Refs > 1) { s_modules[path] = (e.Library, e.Refs - 1); return; }
                s_modules.Remove(path);
                library.Dispose();
                return;
            }
        }
    }
}

/// <summary>Pkcs11Interop asks for "libdl", which Debian 12 ships only as libdl.so.2.</summary>
internal static class LibdlMapping
{
    private static int s_installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 1) return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, (name, assembly, path) =>
                name == "libdl" && NativeLibrary.TryLoad("libdl.so.2", out var h) ? h : IntPtr.Zero);
        }
        catch (InvalidOperationException) { } // the host installed a resolver already
    }
}
