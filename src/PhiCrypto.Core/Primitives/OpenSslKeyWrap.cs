// RFC 3394 key wrap (SP 800-38F KW) by OpenSSL 3 itself: the "AES-{128,192,256}-WRAP" cipher fetched
// with the default properties (so from the FIPS provider when openssl.cnf selects it), driven through
// EVP_CipherInit_ex2 / EVP_CipherUpdate / EVP_CipherFinal_ex (OpenSSL 3.0 man pages EVP_EncryptInit(3),
// EVP_CIPHER_fetch(3)). .NET has no RFC 3394 API, so FIPS mode reaches it here, through function
// pointers into the libcrypto .NET already loaded (NativeAOT-friendly, as OpenSslFips). Returns false
// when libcrypto 3 or the cipher is missing (the caller then keeps its own W over OpenSSL's AES-ECB);
// an unwrap that fails its integrity check is reported as such, with OpenSSL's error queue cleared.
using System.Runtime.InteropServices;

namespace PhiCrypto.Primitives;

internal static unsafe class OpenSslKeyWrap
{
    private const int WrapAllowFlag = 0x1; // EVP_CIPHER_CTX_FLAG_WRAP_ALLOW

    private static readonly Api? s_api = Api.Load();

    public static bool IsAvailable => s_api is not null;

    /// <summary>KW wrap (output = input + 8) or unwrap (output = input - 8). Returns null when OpenSSL
    /// cannot do it, false when an unwrap fails authentication, true on success.</summary>
    public static bool? Transform(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> input, Span<byte> output, bool wrap)
    {
        if (s_api is not { } api) return null;
        var name = kek.Length switch { 16 => "AES-128-WRAP\0"u8, 24 => "AES-192-WRAP\0"u8, _ => "AES-256-WRAP\0"u8 };
        IntPtr cipher, ctx = IntPtr.Zero;
        fixed (byte* n = name) cipher = api.Fetch(IntPtr.Zero, n, null);
        if (cipher == IntPtr.Zero)
        {
            api.ClearErrors();
            return null;
        }
        try
        {
            ctx = api.CtxNew();
            if (ctx == IntPtr.Zero) throw new OutOfMemoryException("EVP_CIPHER_CTX_new failed");
            api.SetFlags(ctx, WrapAllowFlag);
            int written = 0, final = 0;
            bool ok;
            fixed (byte* k = kek)
            fixed (byte* i = input)
            fixed (byte* o = output)
            {
                ok = api.Init(ctx, cipher, k, null, wrap ? 1 : 0, IntPtr.Zero) == 1
                    && api.Update(ctx, o, &written, i, input.Length) == 1
                    && api.Final(ctx, o + written, &final) == 1
                    && written + final == output.Length;
            }
            if (ok) return true;
            api.ClearErrors();
            if (wrap) throw new CryptographicFailure("OpenSSL AES key wrap failed");
            return false;
        }
        finally
        {
            if (ctx != IntPtr.Zero) api.CtxFree(ctx);
            api.CipherFree(cipher);
        }
    }

    private sealed class CryptographicFailure(string message) : System.Security.Cryptography.CryptographicException(message);

    private sealed class Api
    {
        public delegate* unmanaged<IntPtr, byte*, byte*, IntPtr> Fetch;
        public delegate* unmanaged<IntPtr, void> CipherFree;
        public delegate* unmanaged<IntPtr> CtxNew;
        public delegate* unmanaged<IntPtr, void> CtxFree;
        public delegate* unmanaged<IntPtr, int, void> SetFlags;
        public delegate* unmanaged<IntPtr, IntPtr, byte*, byte*, int, IntPtr, int> Init;
        public delegate* unmanaged<IntPtr, byte*, int*, byte*, int, int> Update;
        public delegate* unmanaged<IntPtr, byte*, int*, int> Final;
        private delegate* unmanaged<void> _clear;

        public void ClearErrors() => _clear();

        public static Api? Load()
        {
            IntPtr lib = IntPtr.Zero;
            foreach (var candidate in new[] { "libcrypto.so.3", "libcrypto.so" })
                if (NativeLibrary.TryLoad(candidate, out lib)) break;
            if (lib == IntPtr.Zero) return null;
            var api = new Api();
            bool found =
                Get(lib, "EVP_CIPHER_fetch", out var fetch) & Get(lib, "EVP_CIPHER_free", out var cipherFree)
                & Get(lib, "EVP_CIPHER_CTX_new", out var ctxNew) & Get(lib, "EVP_CIPHER_CTX_free", out var ctxFree)
                & Get(lib, "EVP_CIPHER_CTX_set_flags", out var setFlags) & Get(lib, "EVP_CipherInit_ex2", out var init)
                & Get(lib, "EVP_CipherUpdate", out var update) & Get(lib, "EVP_CipherFinal_ex", out var final)
                & Get(lib, "ERR_clear_error", out var clear);
            if (!found) return null;
            api.Fetch = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)fetch;
            api.CipherFree = (delegate* unmanaged<IntPtr, void>)cipherFree;
            api.CtxNew = (delegate* unmanaged<IntPtr>)ctxNew;
            api.CtxFree = (delegate* unmanaged<IntPtr, void>)ctxFree;
            api.SetFlags = (delegate* unmanaged<IntPtr, int, void>)setFlags;
            api.Init = (delegate* unmanaged<IntPtr, IntPtr, byte*, byte*, int, IntPtr, int>)init;
            api.Update = (delegate* unmanaged<IntPtr, byte*, int*, byte*, int, int>)update;
            api.Final = (delegate* unmanaged<IntPtr, byte*, int*, int>)final;
            api._clear = (delegate* unmanaged<void>)clear;
            return api;
        }

        private static bool Get(IntPtr lib, string name, out IntPtr address) => NativeLibrary.TryGetExport(lib, name, out address);
    }
}
