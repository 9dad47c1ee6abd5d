using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Tests.Support;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>A policy's rules divided among the live instances, for local fallback while the store is down.</summary>
public sealed class FallbackRuleSetsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-3)]
    public void For_OneInstanceOrFewer_ReturnsTheOriginal(int instances)
    {
        var rules = Rules.Set(Rules.Fixed(10, TimeSpan.FromSeconds(1)));

        // Alone, this instance may take the whole limit; a count below 1 is nonsense and must not divide by it.
        Assert.Same(rules, FallbackRuleSets.For(rules, instances));
    }

    [Fact]
    public void For_SeveralInstances_DividesLimitsAndBurstsRoundingDown()
    {
        var rules = Rules.Set(
            Rules.Fixed(10, TimeSpan.FromSeconds(1), "p-1s"),
            Rules.Sliding(1_000, TimeSpan.FromHours(1), "p-1h"),
            Rules.Bucket(7, TimeSpan.FromMinutes(1), burst: 20, "p-1m-tb"));

        var scaled = FallbackRuleSets.For(rules, 3);

        // Rounding down: N instances together never exceed the configured total.
        Assert.Equal([3L, 333L, 2L], scaled.Rules.Select(static r => r.Limit));
        Assert.Equal([3L, 333L, 6L], scaled.Rules.Select(static r => r.Burst));
    }

    [Fact]
    public void For_LimitBelowTheInstanceCount_KeepsOnePermitPerRule()
    {
        var rules = Rules.Set(Rules.Fixed(2, TimeSpan.FromSeconds(1), "p-1s"), Rules.Bucket(3, TimeSpan.FromMinutes(1), burst: 4, "p-1m"));

        var scaled = FallbackRuleSets.For(rules, 5);

        // 0 would refuse everything everywhere; 1 per instance overshoots a tiny limit, which the design accepts.
        Assert.All(scaled.Rules, static r => Assert.Equal(1, r.Limit));
        Assert.All(scaled.Rules, static r => Assert.Equal(1, r.Burst));
    }

    [Fact]
    public void For_SeveralInstances_PreservesEverythingButTheQuantities()
    {
        var rules = new RuleSet(
            "orders",
            "override",
            [
                Rules.Fixed(100, TimeSpan.FromSeconds(1), "orders-1s"),
                Rules.Sliding(5_000, TimeSpan.FromDays(1), "orders-1d"),
                Rules.Bucket(60, TimeSpan.FromMinutes(1), burst: 90, "orders-1m"),
            ]);

        var scaled = FallbackRuleSets.For(rules, 4);

        Assert.Equal(rules.PolicyName, scaled.PolicyName);
        Assert.Equal(rules.Source, scaled.Source);
        Assert.Equal(rules.Rules.Select(static r => r.Name), scaled.Rules.Select(static r => r.Name));
        Assert.Equal(rules.Rules.Select(static r => r.Window), scaled.Rules.Select(static r => r.Window));
        Assert.Equal(rules.Rules.Select(static r => r.Algorithm), scaled.Rules.Select(static r => r.Algorithm));
        // The same counters: a change of instance count mid-outage keeps what the fallback already counted.
        Assert.Equal(rules.Rules.Select(static r => r.StateKey), scaled.Rules.Select(static r => r.StateKey));
    }

    [Fact]
    public void For_SameInstanceCount_ReturnsTheCachedRuleSet()
    {
        var rules = Rules.Set(Rules.Fixed(10, TimeSpan.FromSeconds(1)));

        var first = FallbackRuleSets.For(rules, 3);
        var second = FallbackRuleSets.For(rules, 3);

        // Built once, not per request: the fallback path runs for every request of an outage.
        Assert.NotSame(rules, first);
        Assert.Same(first, second);
    }

    [Fact]
    public void For_InstanceCountChanges_BuildsANewRuleSetForTheNewCount()
    {
        var rules = Rules.Set(Rules.Fixed(12, TimeSpan.FromSeconds(1)));
        var forThree = FallbackRuleSets.For(rules, 3);

        var forFour = FallbackRuleSets.For(rules, 4);
        var backToThree = FallbackRuleSets.For(rules, 3);

        Assert.NotSame(forThree, forFour);
        Assert.Equal(4, forThree.Rules[0].Limit);
        Assert.Equal(3, forFour.Rules[0].Limit);
        Assert.Equal(4, backToThree.Rules[0].Limit);
        Assert.Same(backToThree, FallbackRuleSets.For(rules, 3));
    }

    [Fact]
    public void For_TwoRuleSetsWithEqualContents_CachesEachSeparately()
    {
        // A reload builds new rule set objects with the same contents; each is keyed by identity.
        var first = Rules.Set(Rules.Fixed(10, TimeSpan.FromSeconds(1)));
        var second = Rules.Set(Rules.Fixed(20, TimeSpan.FromSeconds(1)));

        var firstScaled = FallbackRuleSets.For(first, 2);
        var secondScaled = FallbackRuleSets.For(second, 2);

        Assert.Equal(5, firstScaled.Rules[0].Limit);
        Assert.Equal(10, secondScaled.Rules[0].Limit);
        Assert.Same(firstScaled, FallbackRuleSets.For(first, 2));
    }
}
