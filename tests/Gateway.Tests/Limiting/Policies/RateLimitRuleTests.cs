using Gateway.Limiting.Policies;

namespace Gateway.Tests.Limiting.Policies;

public sealed class RateLimitRuleTests
{
    [Fact]
    public void Constructor_FixedWindow_BurstAndCapacityEqualTheLimit()
    {
        var rule = new RateLimitRule("orders-1m", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromMinutes(1), burst: 5);

        Assert.Equal(1000, rule.Burst);
        Assert.Equal(1000, rule.Capacity);
        Assert.Equal(60_000_000, rule.WindowMicroseconds);
        Assert.Equal("1m", rule.WindowText);
        Assert.Equal(60, rule.WindowSecondsForHeader);
    }

    [Fact]
    public void Constructor_TokenBucket_CapacityIsTheBurst()
    {
        var rule = new RateLimitRule("orders-1s", RateLimitAlgorithm.TokenBucket, 5, TimeSpan.FromSeconds(1), burst: 10);

        Assert.Equal(10, rule.Burst);
        Assert.Equal(10, rule.Capacity);
        Assert.Equal(5, rule.Limit);
    }

    [Theory]
    [InlineData(500, 1)]
    [InlineData(1_000, 1)]
    [InlineData(1_500, 2)]
    [InlineData(90_000, 90)]
    [InlineData(86_400_000, 86_400)]
    public void WindowSecondsForHeader_Window_IsWholeSecondsRoundedUpAndAtLeastOne(long milliseconds, long expected)
    {
        var rule = new RateLimitRule("p", RateLimitAlgorithm.SlidingWindow, 1, TimeSpan.FromMilliseconds(milliseconds), 1);

        Assert.Equal(expected, rule.WindowSecondsForHeader);
    }

    [Fact]
    public void StateKey_SameAlgorithmAndWindowDifferentLimitOrName_IsTheSame()
    {
        var before = new RateLimitRule("orders-1m", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromMinutes(1), 1000);
        var after = new RateLimitRule("alice-1m", RateLimitAlgorithm.FixedWindow, 50, TimeSpan.FromMinutes(1), 50);

        Assert.Equal("fw:60000000", before.StateKey);
        Assert.Equal(before.StateKey, after.StateKey);
    }

    [Fact]
    public void StateKey_DifferentAlgorithmOrWindow_Differs()
    {
        var keys = new[]
        {
            new RateLimitRule("p", RateLimitAlgorithm.FixedWindow, 10, TimeSpan.FromSeconds(1), 10).StateKey,
            new RateLimitRule("p", RateLimitAlgorithm.SlidingWindow, 10, TimeSpan.FromSeconds(1), 10).StateKey,
            new RateLimitRule("p", RateLimitAlgorithm.TokenBucket, 10, TimeSpan.FromSeconds(1), 10).StateKey,
            new RateLimitRule("p", RateLimitAlgorithm.FixedWindow, 10, TimeSpan.FromSeconds(2), 10).StateKey,
        };

        Assert.Equal(["fw:1000000", "sw:1000000", "tb:1000000", "fw:2000000"], keys);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitRule("p", RateLimitAlgorithm.FixedWindow, 0, TimeSpan.FromSeconds(1), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitRule("p", RateLimitAlgorithm.TokenBucket, 1, TimeSpan.FromSeconds(1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimitRule("p", RateLimitAlgorithm.FixedWindow, 1, TimeSpan.FromTicks(9_999), 1));
        Assert.Throws<ArgumentException>(() => new RateLimitRule("", RateLimitAlgorithm.FixedWindow, 1, TimeSpan.FromSeconds(1), 1));
    }
}
