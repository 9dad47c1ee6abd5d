using Gateway.Limiting.Storage;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Storage;

public sealed class RateLimitDecisionTests
{
    private static readonly Gateway.Limiting.Policies.RuleSet ThreeRules = Rules.Set(
        Rules.Fixed(10, TimeSpan.FromSeconds(1), "p-1s"),
        Rules.Fixed(100, TimeSpan.FromMinutes(1), "p-1m"),
        Rules.Fixed(1000, TimeSpan.FromHours(1), "p-1h"));

    [Fact]
    public void Constructor_AllRulesAllow_IsAllowedAndPicksFewestRemaining()
    {
        var decision = new RateLimitDecision(ThreeRules, [new(true, 7, 500, 0), new(true, 3, 40_000, 0), new(true, 9, 9_000_000, 0)]);

        Assert.True(decision.Allowed);
        Assert.Equal(1, decision.DecidingRuleIndex);
        Assert.Equal("p-1m", decision.DecidingRule.Name);
        Assert.Equal(0, decision.RetryAfterMicroseconds);
    }

    [Fact]
    public void Constructor_AllowedWithTiedRemaining_PicksTheLongerReset()
    {
        var decision = new RateLimitDecision(ThreeRules, [new(true, 3, 500, 0), new(true, 3, 40_000, 0), new(true, 3, 20_000, 0)]);

        Assert.Equal(1, decision.DecidingRuleIndex);
    }

    [Fact]
    public void Constructor_OneRuleDenies_IsDeniedAndPicksTheDenyingRule()
    {
        var decision = new RateLimitDecision(ThreeRules, [new(true, 0, 500, 0), new(false, 0, 40_000, 40_000), new(true, 9, 9_000_000, 0)]);

        Assert.False(decision.Allowed);
        Assert.Equal(1, decision.DecidingRuleIndex);
        Assert.Equal(40_000, decision.RetryAfterMicroseconds);
    }

    [Fact]
    public void Constructor_SeveralRulesDeny_PicksTheLongestRetryAfterNotTheFirst()
    {
        var decision = new RateLimitDecision(ThreeRules, [new(false, 0, 500, 500), new(true, 50, 40_000, 0), new(false, 0, 9_000_000, 8_000_000)]);

        Assert.Equal(2, decision.DecidingRuleIndex);
        Assert.Equal(8_000_000, decision.RetryAfterMicroseconds);
        Assert.Equal(new RuleResult(false, 0, 9_000_000, 8_000_000), decision.DecidingResult);
    }

    [Fact]
    public void Constructor_DeniedRuleWithFewerRemainingButShorterRetry_IsNotTheDecidingRule()
    {
        var decision = new RateLimitDecision(ThreeRules, [new(false, 0, 900_000, 900_000), new(false, 2, 40_000_000, 30_000_000), new(true, 0, 9, 0)]);

        Assert.Equal(1, decision.DecidingRuleIndex);
    }

    [Fact]
    public void Constructor_ResultCountDiffersFromRuleCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RateLimitDecision(ThreeRules, [new(true, 1, 1, 0)]));
    }
}
