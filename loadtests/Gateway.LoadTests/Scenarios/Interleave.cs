namespace Gateway.LoadTests.Scenarios;

/// <summary>Deterministic request mixing: lock-free, the same for request n on every run.</summary>
public static class Interleave
{
    /// <summary>
    /// True for an even spread of <paramref name="share"/> of all requests (0..1): request n is in the share when the
    /// running count floor((n + 1)·share) steps up at n (Bresenham), so 10% is every tenth request, not bursts.
    /// </summary>
    public static bool InShare(long n, double share) => Math.Floor((n + 1) * share) > Math.Floor(n * share);

    /// <summary>A uniform number in [0, 1) from request n and a salt (SplitMix64).</summary>
    public static double Uniform(long n, ulong salt = 0)
    {
        var z = unchecked((ulong)n + salt + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
