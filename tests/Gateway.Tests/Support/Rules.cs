using System.Collections.Immutable;
using Gateway.Limiting.Policies;

namespace Gateway.Tests.Support;

/// <summary>Short builders for rules and rule sets.</summary>
internal static class Rules
{
    public static RateLimitRule Fixed(long limit, TimeSpan window, string? name = null) =>
        new(name ?? $"p-{DurationFormat.Format(window)}", RateLimitAlgorithm.FixedWindow, limit, window, limit);

    public static RateLimitRule Sliding(long limit, TimeSpan window, string? name = null) =>
        new(name ?? $"p-{DurationFormat.Format(window)}", RateLimitAlgorithm.SlidingWindow, limit, window, limit);

    public static RateLimitRule Bucket(long limit, TimeSpan window, long burst, string? name = null) =>
        new(name ?? $"p-{DurationFormat.Format(window)}", RateLimitAlgorithm.TokenBucket, limit, window, burst);

    public static RuleSet Set(params RateLimitRule[] rules) => new("p", "tier:free", [.. rules]);

    public static RuleSet Set(string policy, params RateLimitRule[] rules) => new(policy, "tier:free", rules.ToImmutableArray());
}
