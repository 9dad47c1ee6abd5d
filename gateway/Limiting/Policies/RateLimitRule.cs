using System.Globalization;

namespace Gateway.Limiting.Policies;

/// <summary>One compiled limit: an algorithm, a quantity and a window. Immutable.</summary>
public sealed class RateLimitRule
{
    public RateLimitRule(string name, RateLimitAlgorithm algorithm, long limit, TimeSpan window, long burst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromMilliseconds(1));
        ArgumentException.ThrowIfNullOrEmpty(name);

        Algorithm = algorithm;
        Limit = limit;
        Window = window;
        WindowMicroseconds = window.Ticks / TimeSpan.TicksPerMicrosecond;
        Burst = algorithm == RateLimitAlgorithm.TokenBucket ? burst : limit;
        WindowText = DurationFormat.Format(window);
        Name = name;
        StateKey = $"{AlgorithmCode(algorithm)}:{WindowMicroseconds.ToString(CultureInfo.InvariantCulture)}";
        WindowSecondsForHeader = Math.Max(1, (long)Math.Ceiling(window.TotalSeconds));
    }

    public RateLimitAlgorithm Algorithm { get; }

    /// <summary>Permits per window; for a token bucket, the refill per window.</summary>
    public long Limit { get; }

    public TimeSpan Window { get; }

    public long WindowMicroseconds { get; }

    /// <summary>Bucket capacity for a token bucket; equal to <see cref="Limit"/> for window algorithms.</summary>
    public long Burst { get; }

    /// <summary>The window as configured users read it: <c>1s</c>, <c>1m</c>, <c>1h</c>, <c>1d</c>, <c>90s</c>.</summary>
    public string WindowText { get; }

    /// <summary>The name clients see in the RateLimit headers, e.g. <c>orders-1m</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Identifies the rule's counter within a partition. It names the algorithm and window but not the limit,
    /// so a limit changed by a reload or an override keeps the count already spent in the current window.
    /// </summary>
    public string StateKey { get; }

    /// <summary>The <c>w</c> parameter of RateLimit-Policy: whole seconds, at least 1.</summary>
    public long WindowSecondsForHeader { get; }

    /// <summary>The most a single request may cost and still be admissible under this rule.</summary>
    public long Capacity => Algorithm == RateLimitAlgorithm.TokenBucket ? Burst : Limit;

    internal static string AlgorithmCode(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.FixedWindow => "fw",
        RateLimitAlgorithm.SlidingWindow => "sw",
        RateLimitAlgorithm.TokenBucket => "tb",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
