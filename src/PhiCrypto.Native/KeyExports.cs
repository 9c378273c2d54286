// Key handles and key wrapping (phicrypto.h, "Keys"): generate, import, export, size, free; AES-KW and
// AES-KWP (NIST SP 800-38F) of one key under another; the versioned wrapped-key record.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Native;

internal static unsafe class KeyExports
{
    // The same numbers as PhiCrypto.Keys.WrapAlgorithm (interop/abi.json).
    private const int WrapAesKw = AbiConstants.WrapAesKw;
    private const int WrapAesKwp = AbiConstants.WrapAesKwp;

    [UnmanagedCallersOnly(EntryPoint = "phi_key_generate", CallConvs = [typeof(CallConvCdecl)])]
    private static int Generate(nuint size, nint* key)
    {
        try
        {
            if (key == null) throw new ArgumentException("key is NULL");
            *key = 0;
            *key = Handles.New(new NativeKey(SecretKey.Generate(NativeBuffers.Checked(size, "size"))));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_import", CallConvs = [typeof(CallConvCdecl)])]
    private static int Import(byte* raw, nuint rawLength, nint* key)
    {
        try
        {
            if (key == null) throw new ArgumentException("key is NULL");
            *key = 0;
            *key = Handles.New(new NativeKey(SecretKey.Import(NativeBuffers.In(raw, rawLength, "raw"))));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_export", CallConvs = [typeof(CallConvCdecl)])]
    private static int Export(nint key, byte* output, nuint* outputLength)
    {
        try
        {
            var secret = Handles.Get<NativeKey>(key, "key").Secret;
            secret.Export(NativeBuffers.Out(output, outputLength, secret.Size, "out"));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_size", CallConvs = [typeof(CallConvCdecl)])]
    private static int Size(nint key, nuint* size)
    {
        try
        {
            NativeBuffers.Write(size, (nuint)Handles.Get<NativeKey>(key, "key").Secret.Size, "size");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_free", CallConvs = [typeof(CallConvCdecl)])]
    private static int Free(nint key)
    {
        try
        {
            Handles.Release<NativeKey>(key, "key");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_wrap", CallConvs = [typeof(CallConvCdecl)])]
    private static int Wrap(nint kek, nint key, int algorithm, byte* output, nuint* outputLength)
    {
        Span<byte> kekBytes = stackalloc byte[SecretKey.MaxSize];
        Span<byte> keyBytes = stackalloc byte[SecretKey.MaxSize];
        try
        {
            var wrapping = Handles.Get<NativeKey>(kek, "kek");
            var wrapped = Handles.Get<NativeKey>(key, "key");
            CheckAlgorithm(algorithm);
            int size = wrapped.Secret.Size;
            if (algorithm == WrapAesKw && size % 8 != 0) throw new ArgumentException("AES-KW wraps keys of a multiple of 8 bytes; use AES-KWP");
            int needed = algorithm == WrapAesKw ? size + AesKeyWrap.Overhead : AesKeyWrap.WrappedLengthPadded(size);
            var destination = NativeBuffers.Out(output, outputLength, needed, "out");
            var k = wrapping.ExportTo(kekBytes);
            var p = wrapped.ExportTo(keyBytes);
            if (algorithm == WrapAesKw) AesKeyWrap.Wrap(k, p, destination);
            else AesKeyWrap.WrapPadded(k, p, destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            CryptographicOperations.ZeroMemory(kekBytes);
            CryptographicOperations.ZeroMemory(keyBytes);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_unwrap", CallConvs = [typeof(CallConvCdecl)])]
    private static int Unwrap(nint kek, int algorithm, byte* wrapped, nuint wrappedLength, nint* key)
    {
        Span<byte> kekBytes = stackalloc byte[SecretKey.MaxSize];
        Span<byte> keyBytes = stackalloc byte[SecretKey.MaxSize + AesKeyWrap.Overhead];
        try
        {
            if (key == null) throw new ArgumentException("key is NULL");
            *key = 0;
            var wrapping = Handles.Get<NativeKey>(kek, "kek");
            CheckAlgorithm(algorithm);
            var input = NativeBuffers.In(wrapped, wrappedLength, "wrapped");
            if (input.Length < 24 || input.Length % 8 != 0 || input.Length > SecretKey.MaxSize + AesKeyWrap.Overhead)
                throw new MalformedDataException("wrapped key has a bad length");
            var k = wrapping.ExportTo(kekBytes);
            int length;
            if (algorithm == WrapAesKw)
            {
                length = input.Length - AesKeyWrap.Overhead;
                AesKeyWrap.Unwrap(k, input, keyBytes[..length]);
            }
            else
            {
                length = AesKeyWrap.UnwrapPadded(k, input, keyBytes[..input.Length]);
            }
            *key = Handles.New(new NativeKey(SecretKey.Import(keyBytes[..length])));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            CryptographicOperations.ZeroMemory(kekBytes);
            CryptographicOperations.ZeroMemory(keyBytes);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_wrap_record", CallConvs = [typeof(CallConvCdecl)])]
    private static int WrapRecord(nint kek, nint key, uint version, byte* output, nuint* outputLength)
    {
        Span<byte> kekBytes = stackalloc byte[SecretKey.MaxSize];
        Span<byte> keyBytes = stackalloc byte[SecretKey.MaxSize];
        try
        {
            var wrapping = Handles.Get<NativeKey>(kek, "kek");
            var wrapped = Handles.Get<NativeKey>(key, "key");
            if (version == 0) throw new ArgumentException("key versions start at 1");
            var destination = NativeBuffers.Out(output, outputLength, WrappedKeyRecord.GetLength(wrapped.Secret.Size), "out");
            WrappedKeyRecord.Write(wrapping.ExportTo(kekBytes), wrapped.ExportTo(keyBytes), version, destination);
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            CryptographicOperations.ZeroMemory(kekBytes);
            CryptographicOperations.ZeroMemory(keyBytes);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_unwrap_record", CallConvs = [typeof(CallConvCdecl)])]
    private static int UnwrapRecord(nint kek, byte* record, nuint recordLength, nint* key, uint* version)
    {
        Span<byte> kekBytes = stackalloc byte[SecretKey.MaxSize];
        try
        {
            if (key == null) throw new ArgumentException("key is NULL");
            *key = 0;
            var wrapping = Handles.Get<NativeKey>(kek, "kek");
            var secret = WrappedKeyRecord.Read(wrapping.ExportTo(kekBytes), NativeBuffers.In(record, recordLength, "record"), out uint v);
            if (version != null) *version = v;
            *key = Handles.New(new NativeKey(secret));
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
        finally
        {
            CryptographicOperations.ZeroMemory(kekBytes);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "phi_key_record_version", CallConvs = [typeof(CallConvCdecl)])]
    private static int RecordVersion(byte* record, nuint recordLength, uint* version)
    {
        try
        {
            NativeBuffers.Write(version, WrappedKeyRecord.ReadVersion(NativeBuffers.In(record, recordLength, "record")), "version");
            return 0;
        }
        catch (Exception e) { return Abi.Fail(e); }
    }

    private static void CheckAlgorithm(int algorithm)
    {
        if (algorithm is not (WrapAesKw or WrapAesKwp)) throw new ArgumentException("algorithm must be PHI_WRAP_AES_KW or PHI_WRAP_AES_KWP");
    }
}
