// The wrapped-key record of the functional API (Python key_wrap / key_unwrap): a DEK wrapped under a
// KEK together with its key version. Layout (all integers big-endian):
//
//   offset  size  field
//   0       4     magic "PHWK" (0x50 0x48 0x57 0x4B)
//   4       1     record format, 1
//   5       4     key version (uint32, 1 or more), in the clear so tools can read it without the KEK
//   9       n     AES-KWP (NIST SP 800-38F, RFC 5649) under the KEK of: key version (uint32) || key
//
// The version is wrapped with the key, so an edited clear version is detected on unwrap (the two
// must agree). A 32-byte DEK gives 9 + 48 = 57 bytes. Keys of 16 to 64 bytes, so a record is 41 to
// 89 bytes: any other length is refused before anything is allocated (the record is caller input).
using System.Buffers.Binary;
using System.Security.Cryptography;
using PhiCrypto.Primitives;

namespace PhiCrypto.Native;

internal static class WrappedKeyRecord
{
    internal const byte Format = 1;
    internal const int HeaderLength = 9;
    private static ReadOnlySpan<byte> Magic => "PHWK"u8;

    internal static int GetLength(int keyLength) => HeaderLength + AesKeyWrap.WrappedLengthPadded(4 + keyLength);

    /// <summary>The longest record: a 64-byte key.</summary>
    internal static int MaxLength => GetLength(SecretKey.MaxSize);

    private const int MaxInnerLength = 4 + SecretKey.MaxSize;

    /// <summary>Writes the record of <paramref name="key"/> into <paramref name="record"/> (exactly GetLength bytes).</summary>
    internal static void Write(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, uint version, Span<byte> record)
    {
        if (version == 0) throw new ArgumentException("key versions start at 1");
        Magic.CopyTo(record);
        record[4] = Format;
        BinaryPrimitives.WriteUInt32BigEndian(record[5..], version);
        Span<byte> inner = stackalloc byte[MaxInnerLength];
        inner = inner[..(4 + key.Length)];
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(inner, version);
            key.CopyTo(inner[4..]);
            AesKeyWrap.WrapPadded(kek, inner, record[HeaderLength..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(inner);
        }
    }

    /// <summary>The clear key version of a record, without unwrapping. Throws MalformedDataException.</summary>
    internal static uint ReadVersion(ReadOnlySpan<byte> record)
    {
        if (record.Length < HeaderLength + 24 || !record[..4].SequenceEqual(Magic))
            throw new MalformedDataException("not a wrapped-key record");
        if (record.Length > MaxLength) throw new MalformedDataException($"wrapped-key record longer than {MaxLength} bytes");
        if (record[4] != Format) throw new MalformedDataException($"unsupported wrapped-key record format {record[4]}");
        if ((record.Length - HeaderLength) % 8 != 0) throw new MalformedDataException("wrapped-key record has a bad length");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(record[5..]);
        return version != 0 ? version : throw new MalformedDataException("wrapped-key record has key version 0");
    }

    /// <summary>Unwraps a record into a new SecretKey; throws AuthenticationFailedException on a wrong KEK or edit.</summary>
    internal static SecretKey Read(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> record, out uint version)
    {
        version = ReadVersion(record);
        var wrapped = record[HeaderLength..];
        Span<byte> inner = stackalloc byte[MaxLength]; // fixed size: ReadVersion bounded the record
        inner = inner[..(wrapped.Length - AesKeyWrap.Overhead)];
        try
        {
            int length = AesKeyWrap.UnwrapPadded(kek, wrapped, inner);
            if (length < 4 + 16 || length > 4 + SecretKey.MaxSize) throw new MalformedDataException("wrapped-key record holds a key of a bad size");
            if (BinaryPrimitives.ReadUInt32BigEndian(inner) != version) throw new AuthenticationFailedException();
            return SecretKey.Import(inner[4..length]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(inner);
        }
    }
}
