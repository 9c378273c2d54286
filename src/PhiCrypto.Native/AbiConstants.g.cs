// GENERATED from interop/abi.json by interop/generate.py: do not edit. The ABI's constants for the
// exports; the status codes are PhiCrypto.PhiStatus (checked against the description by
// bindings/python/tests/test_abi.py, as are the [UnmanagedCallersOnly] signatures).
namespace PhiCrypto.Native;

internal static class AbiConstants
{
    /// <summary>PHI_FIELD_RANDOMIZED: mode: AES-256-GCM, random nonce: 29 bytes of overhead</summary>
    internal const int FieldRandomized = 0;
    /// <summary>PHI_FIELD_DETERMINISTIC: mode: AES-256-SIV: 17 bytes of overhead, equal inputs give equal envelopes</summary>
    internal const int FieldDeterministic = 1;
    /// <summary>PHI_FIELD_MAX_PLAINTEXT: the largest field value in bytes</summary>
    internal const int FieldMaxPlaintext = 1048576;
    /// <summary>PHI_FIELD_MAX_HEADER: the longest envelope header in bytes (a first byte and a 5-byte varint key version); phi_field_versions reads no more of an item</summary>
    internal const int FieldMaxHeader = 6;
    /// <summary>PHI_FIELD_BATCH_MAX_COUNT: the most items one batch call takes (count); more is PHI_ERR_INVALID_ARGUMENT</summary>
    internal const int FieldBatchMaxCount = 1048576;
    /// <summary>PHI_CONTEXT_JSON_MAX: the longest context_json / expected_context_json in bytes (headers are limited to 1 MiB)</summary>
    internal const int ContextJsonMax = 1048576;
    /// <summary>PHI_STRING_MAX: the longest other NUL-terminated input (purpose, location, KEK spec, passphrase) in bytes</summary>
    internal const int StringMax = 65536;
    /// <summary>PHI_STREAM_PUSH_MAX: the most bytes one phi_stream_push takes (pull between pushes)</summary>
    internal const int StreamPushMax = 16777216;
    /// <summary>PHI_WRAP_AES_KWP: RFC 5649: any key length, output rounded up to 8, + 8 (PhiCrypto.Keys.WrapAlgorithm.AesKwp)</summary>
    internal const int WrapAesKwp = 1;
    /// <summary>PHI_WRAP_AES_KW: RFC 3394: keys of a multiple of 8 bytes, output key + 8 (PhiCrypto.Keys.WrapAlgorithm.AesKw)</summary>
    internal const int WrapAesKw = 2;
    /// <summary>PHI_STREAM_SIGNED: flag: suite 0x0578 (adds an ECDSA P-384 signature) instead of 0x0478</summary>
    internal const int StreamSigned = 1;
    /// <summary>PHI_DECRYPT_ALLOW_LEGACY: decrypt flag: also read suites without key commitment (format v1); refused by default</summary>
    internal const int DecryptAllowLegacy = 1;
    /// <summary>PHI_DECRYPT_VERIFY_FIRST: decrypt flag: a signed (0x0578) message releases no plaintext before its signature verified</summary>
    internal const int DecryptVerifyFirst = 2;
    /// <summary>PHI_INSPECT_HEADER_ONLY: flag: describe the header only (no frame walk: frame_count and plaintext_length are -1)</summary>
    internal const int InspectHeaderOnly = 1;
    /// <summary>PHI_KEYRING_CREATE: flag: start a new keyring in an empty store (the explicit act; without it an empty store is an error)</summary>
    internal const int KeyringCreate = 1;
    /// <summary>PHI_INDEX_EXACT: blind index kind: the whole value (exact, in; iexact with PHI_NORM_CASE_INSENSITIVE)</summary>
    internal const int IndexExact = 1;
    /// <summary>PHI_INDEX_PREFIX: blind index kind: one value per prefix length min_prefix..max_prefix (startswith)</summary>
    internal const int IndexPrefix = 2;
    /// <summary>PHI_INDEX_COMPOUND: blind index kind: several fields together, e.g. last name + date of birth</summary>
    internal const int IndexCompound = 3;
    /// <summary>PHI_NORM_CASE_INSENSITIVE: normalization bit (bit i: field i): NFKC, case folding, whitespace collapse</summary>
    internal const int NormCaseInsensitive = 1;
}
