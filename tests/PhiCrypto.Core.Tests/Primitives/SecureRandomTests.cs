using PhiCrypto.Primitives;

namespace PhiCrypto.Tests.Primitives;

public class SecureRandomTests
{
    [Fact]
    public void Buffering_is_on_with_a_fork_handler_on_linux()
    {
        if (OperatingSystem.IsLinux()) Assert.True(SecureRandom.IsBuffered);
    }

    [Fact]
    public void A_page_wiped_as_in_a_forked_child_is_refilled_before_any_byte_is_served()
    {
        Span<byte> before = stackalloc byte[12], after = stackalloc byte[12];
        SecureRandom.Fill(before);
        SecureRandom.SimulateForkWipe(); // MADV_WIPEONFORK: the child's copy of the page reads as zeros
        SecureRandom.Fill(after);
        Assert.False(after.IndexOfAnyExcept((byte)0) < 0, "served the wiped (all-zero) bytes");
        Assert.False(after.SequenceEqual(before));
    }

    [Fact]
    public void Nonces_never_repeat_across_many_draws_and_threads()
    {
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();
        Parallel.For(0, 8, _ =>
        {
            Span<byte> nonce = stackalloc byte[12];
            for (int i = 0; i < 5000; i++)
            {
                SecureRandom.Fill(nonce);
                Assert.True(seen.TryAdd(Convert.ToHexString(nonce), 0));
            }
        });
        Assert.Equal(40_000, seen.Count);
    }

    [Fact]
    public void Output_is_not_all_zero_for_any_size()
    {
        foreach (int n in new[] { 1, 12, 32, 255, 256, 257, 4096, 10_000 })
        {
            var a = SecureRandom.GetBytes(n);
            var b = SecureRandom.GetBytes(n);
            Assert.Equal(n, a.Length);
            if (n >= 12) Assert.False(a.AsSpan().SequenceEqual(b));
        }
    }
}
