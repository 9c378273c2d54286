using PhiCrypto.Keys;

namespace PhiCrypto.Core.Tests.Keys;

public class AuditChainTests
{
    private static readonly byte[] Key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    private static List<AuditEvent> Chain(int n)
    {
        var list = new List<AuditEvent>();
        var prev = new byte[32];
        for (int i = 1; i <= n; i++)
        {
            var e = new AuditEvent
            {
                Sequence = i, Time = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000 + i), Kind = AuditKind.Rotate,
                Purpose = "files", Version = (uint)i, ToState = KeyState.Active, Actor = "test@host", Detail = $"event {i}", PreviousHash = prev,
            }.Sealed(Key);
            list.Add(e);
            prev = e.Hash;
        }
        return list;
    }

    [Fact]
    public void Intact_chain_verifies()
    {
        var v = AuditChain.Verify(Chain(5), Key);
        Assert.True(v.IsValid);
        Assert.Equal(5, v.Count);
    }

    [Fact]
    public void Edited_record_is_named()
    {
        var c = Chain(5);
        c[2] = c[2] with { Detail = "nothing happened" };
        var v = AuditChain.Verify(c, Key);
        Assert.False(v.IsValid);
        Assert.Equal(3, v.BrokenAtSequence);
        Assert.Contains("edited", v.Message);
    }

    [Fact]
    public void Edited_and_rehashed_record_breaks_the_next_link()
    {
        var c = Chain(5);
        c[2] = (c[2] with { Detail = "nothing happened" }).Sealed(Key);
        var v = AuditChain.Verify(c, Key);
        Assert.Equal(4, v.BrokenAtSequence);
        Assert.Contains("previous-MAC", v.Message);
    }

    [Fact]
    public void Deleted_record_is_named()
    {
        var c = Chain(5);
        c.RemoveAt(1);
        var v = AuditChain.Verify(c, Key);
        Assert.False(v.IsValid);
        Assert.Equal(1, v.BrokenAtIndex);
    }

    [Fact]
    public void Binary_form_round_trips_and_hash_matches()
    {
        var e = Chain(1)[0];
        var back = AuditEvent.Parse(e.ToBytes(), e.Hash);
        Assert.Equal(e.ToBytes(), back.ToBytes());
        Assert.Equal(AuditEvent.FormatVersion, e.ToBytes()[0]);
        Assert.True(AuditChain.Verify([back], Key).IsValid);
    }

    [Fact]
    public void Keyring_operations_leave_a_verifiable_chain_without_key_bytes()
    {
        using var t = new TempKeyring();
        using (var k = t.Init("files"))
        {
            k.Rotate("files");
            k.SetState("files", 1, KeyState.Compromised, reason: "laptop lost");
            Assert.True(k.VerifyAudit().IsValid);
            var kinds = k.AuditTrail.Select(a => a.Kind).ToList();
            Assert.Equal([AuditKind.Init, AuditKind.Create, AuditKind.Activate, AuditKind.StateChange, AuditKind.Create, AuditKind.Activate, AuditKind.Rotate, AuditKind.StateChange], kinds);
            Assert.Equal(KeyState.Compromised, k.AuditTrail[^1].ToState);
            Assert.Contains("laptop lost", k.AuditTrail[^1].Detail);
        }
        var json = File.ReadAllText(t.Path);
        // the file holds wrapped keys in "wrapped" only; audit details never contain base64 of 32 bytes
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        foreach (var a in doc.RootElement.GetProperty("audit").EnumerateArray())
            Assert.DoesNotContain("wrapped", a.ToString());
    }

    [Fact]
    public void Tampered_audit_file_is_refused_on_open_naming_the_event()
    {
        using var t = new TempKeyring();
        using (var k = t.Init("files")) k.Rotate("files");
        var text = File.ReadAllText(t.Path).Replace("\"detail\": \"rotated\"", "\"detail\": \"nothing to see\"");
        File.WriteAllText(t.Path, text);
        var e = Assert.Throws<KeyringIntegrityException>(() => t.Open());
        Assert.Contains("sequence 4", e.Message);
    }

    [Fact]
    public void A_chain_made_under_another_key_does_not_verify()
    {
        var v = AuditChain.Verify(Chain(3), System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Assert.False(v.IsValid);
        Assert.Equal(1, v.BrokenAtSequence);
    }
}
