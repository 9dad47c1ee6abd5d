using System.Collections.Immutable;
using Gateway.Limiting.Policies;

namespace Gateway.Tests.Limiting.Policies;

public sealed class RuleSetTests
{
    [Fact]
    public void PolicyHeaderValue_FixedWindowRule_IsQuotedNameWithQuotaAndWindowSeconds()
    {
        var rules = new RuleSet("orders", "tier:free", [new RateLimitRule("orders-1m", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromMinutes(1), 1000)]);

        Assert.Equal("\"orders-1m\";q=1000;w=60", rules.PolicyHeaderValue);
    }

    [Fact]
    public void PolicyHeaderValue_SeveralRulesWithTokenBucket_JoinsItemsAndAddsBurst()
    {
        var rules = new RuleSet("orders", "tier:free",
        [
            new RateLimitRule("orders-1s", RateLimitAlgorithm.TokenBucket, 5, TimeSpan.FromSeconds(1), 10),
            new RateLimitRule("orders-1d", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromDays(1), 1000),
            new RateLimitRule("orders-500ms", RateLimitAlgorithm.SlidingWindow, 3, TimeSpan.FromMilliseconds(500), 3),
        ]);

        Assert.Equal("\"orders-1s\";q=5;w=1;burst=10, \"orders-1d\";q=1000;w=86400, \"orders-500ms\";q=3;w=1", rules.PolicyHeaderValue);
    }

    [Theory]
    [InlineData(RateLimitAlgorithm.FixedWindow, 60_000, false, "orders-1m")]
    [InlineData(RateLimitAlgorithm.FixedWindow, 90_000, false, "orders-90s")]
    [InlineData(RateLimitAlgorithm.FixedWindow, 1_000, true, "orders-1s-fw")]
    [InlineData(RateLimitAlgorithm.SlidingWindow, 1_000, true, "orders-1s-sw")]
    [InlineData(RateLimitAlgorithm.TokenBucket, 1_000, true, "orders-1s-tb")]
    public void RuleName_PolicyAndWindow_AddsTheAlgorithmOnlyWhenTheWindowIsShared(RateLimitAlgorithm algorithm, long windowMilliseconds, bool shared, string expected)
    {
        Assert.Equal(expected, RuleSet.RuleName("orders", algorithm, TimeSpan.FromMilliseconds(windowMilliseconds), shared));
    }

    [Fact]
    public void Constructor_NoRules_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RuleSet("orders", "tier:free", ImmutableArray<RateLimitRule>.Empty));
        Assert.Throws<ArgumentException>(() => new RuleSet("orders", "tier:free", default));
    }
}
