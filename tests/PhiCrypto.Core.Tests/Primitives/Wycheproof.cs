// One loader for every Wycheproof file (C2SP/wycheproof testvectors_v1, schemas in
// shared/vectors/wycheproof/schemas): {algorithm, testGroups:[{<group params>, tests:[{tcId, result, flags, ...}]}]}.
// Rows for xunit are (file, tcId[, backend]) so each vector is its own visible test case.
using System.Collections.Concurrent;
using System.Text.Json;

namespace PhiCrypto.Tests.Primitives;

public enum WycheproofResult { Valid, Invalid, Acceptable }

/// <summary>One test of a Wycheproof file with its group's parameters.</summary>
public sealed class WycheproofCase(string file, JsonElement group, JsonElement test)
{
    public string File { get; } = file;
    public int TcId => test.GetProperty("tcId").GetInt32();
    public string Comment => test.TryGetProperty("comment", out var c) ? c.GetString() ?? "" : "";

    public WycheproofResult Result => test.GetProperty("result").GetString() switch
    {
        "valid" => WycheproofResult.Valid,
        "invalid" => WycheproofResult.Invalid,
        "acceptable" => WycheproofResult.Acceptable,
        var r => throw new InvalidDataException($"unknown result {r}"),
    };

    public IReadOnlyList<string> Flags =>
        test.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];

    /// <summary>A hex field of the test as bytes.</summary>
    public byte[] Bytes(string name) => Convert.FromHexString(test.GetProperty(name).GetString()!);

    public int Int(string name) => test.GetProperty(name).GetInt32();

    /// <summary>A numeric group parameter (keySize, ivSize, tagSize: in bits), or null.</summary>
    public int? GroupInt(string name) => group.TryGetProperty(name, out var v) ? v.GetInt32() : null;

    public override string ToString() => $"{File} tcId {TcId} ({Result}; {string.Join(",", Flags)}) {Comment}";
}

public static class Wycheproof
{
    private static readonly ConcurrentDictionary<string, JsonDocument?> s_files = new();

    private static JsonDocument? Document(string file) => s_files.GetOrAdd(file, f =>
    {
        var path = TestVectors.Path("wycheproof", f);
        return path is null ? null : JsonDocument.Parse(File.ReadAllBytes(path));
    });

    /// <summary>Every test of <paramref name="file"/>, or nothing when the vectors are absent outside CI.</summary>
    public static IEnumerable<WycheproofCase> Cases(string file)
    {
        var doc = Document(file);
        if (doc is null) yield break;
        foreach (var group in doc.RootElement.GetProperty("testGroups").EnumerateArray())
            foreach (var test in group.GetProperty("tests").EnumerateArray())
                yield return new WycheproofCase(file, group, test);
    }

    /// <summary>The test with <paramref name="tcId"/> in <paramref name="file"/>.</summary>
    public static WycheproofCase Case(string file, int tcId) =>
        s_index.GetOrAdd(file, f => Cases(f).ToDictionary(c => c.TcId))[tcId];

    private static readonly ConcurrentDictionary<string, Dictionary<int, WycheproofCase>> s_index = new();

    /// <summary>The number of tests the file's header announces (checked against what the loader yields).</summary>
    public static int? AnnouncedCount(string file) => Document(file)?.RootElement.GetProperty("numberOfTests").GetInt32();

    /// <summary>xunit rows: one per test, optionally crossed with <paramref name="variants"/>. A single
    /// (file, 0) row when the vectors are absent outside CI, so the theory still has data.</summary>
    public static IEnumerable<object[]> Rows(string file, params object[] variants)
    {
        var ids = Cases(file).Select(c => c.TcId).ToList();
        if (ids.Count == 0) ids.Add(0);
        foreach (var id in ids)
        {
            if (variants.Length == 0) yield return [file, id];
            else foreach (var v in variants) yield return [file, id, v];
        }
    }

    /// <summary>The case for a row, or null for the "vectors absent" row.</summary>
    public static WycheproofCase? Row(string file, int tcId) => tcId == 0 ? null : Case(file, tcId);
}
