using Gateway.Limiting;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting;

public sealed class RateLimitHeadersTests
{
    private static readonly RateLimitRule OrdersPerMinute = new("orders-1m", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromMinutes(1), 1000);
    private static readonly RateLimitRule OrdersBucket = new("orders-1s", RateLimitAlgorithm.TokenBucket, 5, TimeSpan.FromSeconds(1), 10);
    private static readonly RateLimitRule OrdersPerDay = new("orders-1d", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromDays(1), 1000);

    private static RuleSet Orders(params RateLimitRule[] rules) => Rules.Set("orders", rules);

    [Fact]
    public void Write_AllowedSingleRule_WritesPolicyAndRateLimitFields()
    {
        var decision = new RateLimitDecision(Orders(OrdersPerMinute), [new RuleResult(true, 998, 41_200_000, 0)]);
        var headers = new HeaderDictionary();

        RateLimitHeaders.Write(headers, decision, legacy: false);

        Assert.Equal("\"orders-1m\";q=1000;w=60", headers["RateLimit-Policy"].ToString());
        Assert.Equal("\"orders-1m\";r=998;t=42", headers["RateLimit"].ToString());
        Assert.Equal(2, headers.Count);
    }

    [Fact]
    public void Write_AllowedWithLegacy_WritesXRateLimitFieldsOfTheDecidingRule()
    {
        var decision = new RateLimitDecision(
            Orders(OrdersBucket, OrdersPerDay),
            [new RuleResult(true, 7, 600_000, 0), new RuleResult(true, 3, 3_600_000_001, 0)]);
        var headers = new HeaderDictionary();

        RateLimitHeaders.Write(headers, decision, legacy: true);

        Assert.Equal("\"orders-1s\";q=5;w=1;burst=10, \"orders-1d\";q=1000;w=86400", headers["RateLimit-Policy"].ToString());
        Assert.Equal("\"orders-1s\";r=7;t=1, \"orders-1d\";r=3;t=3601", headers["RateLimit"].ToString());
        Assert.Equal("1000", headers["X-RateLimit-Limit"].ToString());
        Assert.Equal("3", headers["X-RateLimit-Remaining"].ToString());
        Assert.Equal("3601", headers["X-RateLimit-Reset"].ToString());
        Assert.False(headers.ContainsKey("Retry-After"));
    }

    [Fact]
    public void Write_Denied_WritesRetryAfterFromTheRuleThatAdmitsLast()
    {
        var decision = new RateLimitDecision(
            Orders(OrdersBucket, OrdersPerMinute),
            [new RuleResult(false, 0, 2_000_000, 200_000), new RuleResult(false, 0, 12_500_000, 12_500_000)]);
        var headers = new HeaderDictionary();

        RateLimitHeaders.Write(headers, decision, legacy: true);

        Assert.Equal("13", headers["Retry-After"].ToString());
        Assert.Equal("1000", headers["X-RateLimit-Limit"].ToString());
        Assert.Equal("0", headers["X-RateLimit-Remaining"].ToString());
        Assert.Equal("13", headers["X-RateLimit-Reset"].ToString());
        Assert.Equal("\"orders-1s\";r=0;t=2, \"orders-1m\";r=0;t=13", headers["RateLimit"].ToString());
    }

    [Fact]
    public void Write_LegacyOff_WritesNoXRateLimitFields()
    {
        var decision = new RateLimitDecision(Orders(OrdersPerMinute), [new RuleResult(false, 0, 5_000_000, 5_000_000)]);
        var headers = new HeaderDictionary();

        RateLimitHeaders.Write(headers, decision, legacy: false);

        Assert.DoesNotContain(headers.Keys, k => k.StartsWith("X-RateLimit", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("5", headers["Retry-After"].ToString());
        Assert.Equal(3, headers.Count);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(999_999, 1)]
    [InlineData(1_000_000, 1)]
    [InlineData(1_000_001, 2)]
    [InlineData(59_000_000, 59)]
    [InlineData(59_000_001, 60)]
    [InlineData(86_400_000_000, 86_400)]
    public void RetryAfterSeconds_DeniedDecision_IsWholeSecondsRoundedUpAndAtLeastOne(long retryAfterMicros, long expected)
    {
        var decision = new RateLimitDecision(Orders(OrdersPerDay), [new RuleResult(false, 0, 86_400_000_000, retryAfterMicros)]);
        var headers = new HeaderDictionary();

        RateLimitHeaders.Write(headers, decision, legacy: false);

        Assert.Equal(expected, RateLimitHeaders.RetryAfterSeconds(decision));
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), headers["Retry-After"].ToString());
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(999_999, 1)]
    [InlineData(1_000_000, 1)]
    [InlineData(1_000_001, 2)]
    [InlineData(42_000_000, 42)]
    public void CeilSeconds_Microseconds_RoundsUpToWholeSeconds(long micros, long expected)
    {
        Assert.Equal(expected, RateLimitHeaders.CeilSeconds(micros));
    }

    [Fact]
    public void FormatRateLimit_FullBucket_ReportsZeroSecondsToReset()
    {
        var decision = new RateLimitDecision(Orders(OrdersBucket), [new RuleResult(true, 10, 0, 0)]);

        Assert.Equal("\"orders-1s\";r=10;t=0", RateLimitHeaders.FormatRateLimit(decision));
    }

    [Fact]
    public void Write_ExistingValues_AreReplacedNotAppended()
    {
        var headers = new HeaderDictionary { ["RateLimit"] = "stale", ["Retry-After"] = "99" };
        var decision = new RateLimitDecision(Orders(OrdersPerMinute), [new RuleResult(false, 0, 1_500_000, 1_500_000)]);

        RateLimitHeaders.Write(headers, decision, legacy: false);

        Assert.Equal("\"orders-1m\";r=0;t=2", headers["RateLimit"].ToString());
        Assert.Equal("2", headers["Retry-After"].ToString());
    }

    [Fact]
    public void Write_DecisionFromTheStore_MatchesTheDocumentedExample()
    {
        var clock = ClockAt(T0 + (18 * MicrosPerSecond) + 500_000);
        using var store = StoreFactory.Create(clock);
        var rules = Orders(OrdersPerMinute);
        store.Acquire("orders|u:alice", rules);

        var decision = store.Acquire("orders|u:alice", rules);
        var headers = new HeaderDictionary();
        RateLimitHeaders.Write(headers, decision, legacy: true);

        Assert.Equal("\"orders-1m\";q=1000;w=60", headers["RateLimit-Policy"].ToString());
        Assert.Equal("\"orders-1m\";r=998;t=42", headers["RateLimit"].ToString());
        Assert.Equal("998", headers["X-RateLimit-Remaining"].ToString());
        Assert.Equal("42", headers["X-RateLimit-Reset"].ToString());
    }
}
