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
        Assert.Same(rules, FallbackRuleSets.For(rules, instances, cost: 1));
    }

    [Fact]
    public void For_SeveralInstances_DividesLimitsAndBurstsRoundingDown()
    {
        var rules = Rules.Set(
            Rules.Fixed(10, TimeSpan.FromSeconds(1), "p-1s"),
            Rules.Sliding(1_000, TimeSpan.FromHours(1), "p-1h"),
            Rules.Bucket(7, TimeSpan.FromMinutes(1), burst: 20, "p-1m-tb"));

        var scaled = FallbackRuleSets.For(rules, 3, cost: 1);

        // Rounding down: N instances together never exceed the configured total.
        Assert.Equal([3L, 333L, 2L], scaled.Rules.Select(static r => r.Limit));
        Assert.Equal([3L, 333L, 6L], scaled.Rules.Select(static r => r.Burst));
    }

    [Fact]
    public void For_LimitBelowTheInstanceCount_KeepsOnePermitPerRule()
    {
        var rules = Rules.Set(Rules.Fixed(2, TimeSpan.FromSeconds(1), "p-1s"), Rules.Bucket(3, TimeSpan.FromMinutes(1), burst: 4, "p-1m"));

        var scaled = FallbackRuleSets.For(rules, 5, cost: 1);

        // 0 would refuse everything everywhere; 1 per instance overshoots a tiny limit, which the design accepts.
        Assert.All(scaled.Rules, static r => Assert.Equal(1, r.Limit));
        Assert.All(scaled.Rules, static r => Assert.Equal(1, r.Burst));
    }

    [Fact]
    public void For_ShareBelowTheCost_RaisesEachShareToTheCost()
    {
        // Limit 5 over 3 instances is 1 each, below a route cost of 2: refusing every request for the whole outage, with a
        // Retry-After that never admits, would be worse than admitting one request a window per instance.
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromMinutes(1), "p-1m"), Rules.Bucket(6, TimeSpan.FromSeconds(1), burst: 3, "p-1s"));

        var scaled = FallbackRuleSets.For(rules, 3, cost: 2);

        Assert.Equal([2L, 2L], scaled.Rules.Select(static r => r.Limit));
        Assert.Equal([2L, 2L], scaled.Rules.Select(static r => r.Burst));
    }

    [Fact]
    public void For_CostAboveWhatARuleCanAdmit_CapsTheShareAtTheRule()
    {
        var rules = Rules.Set(Rules.Fixed(5, TimeSpan.FromMinutes(1), "p-1m"), Rules.Fixed(100, TimeSpan.FromHours(1), "p-1h"));

        var scaled = FallbackRuleSets.For(rules, 3, cost: 8);

        // No share exceeds the rule itself: a request the rule can never admit is not admitted on fallback either.
        Assert.Equal([5L, 33L], scaled.Rules.Select(static r => r.Limit));
    }

    [Fact]
    public void For_CostWithinEveryShare_SharesTheCostOneEntry()
    {
        var rules = Rules.Set(Rules.Fixed(100, TimeSpan.FromMinutes(1), "p-1m"));

        var forOne = FallbackRuleSets.For(rules, 4, cost: 1);
        var forFive = FallbackRuleSets.For(rules, 4, cost: 5);
        var forFifty = FallbackRuleSets.For(rules, 4, cost: 50);

        Assert.Same(forOne, forFive);
        Assert.Equal(25, forOne.Rules[0].Limit);
        Assert.Equal(50, forFifty.Rules[0].Limit);
        Assert.Same(forFifty, FallbackRuleSets.For(rules, 4, cost: 50));
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

        var scaled = FallbackRuleSets.For(rules, 4, cost: 1);

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

        var first = FallbackRuleSets.For(rules, 3, cost: 1);
        var second = FallbackRuleSets.For(rules, 3, cost: 1);

        // Built once, not per request: the fallback path runs for every request of an outage.
        Assert.NotSame(rules, first);
        Assert.Same(first, second);
    }

    [Fact]
    public void For_InstanceCountChanges_BuildsANewRuleSetForTheNewCount()
    {
        var rules = Rules.Set(Rules.Fixed(12, TimeSpan.FromSeconds(1)));
        var forThree = FallbackRuleSets.For(rules, 3, cost: 1);

        var forFour = FallbackRuleSets.For(rules, 4, cost: 1);
        var backToThree = FallbackRuleSets.For(rules, 3, cost: 1);

        Assert.NotSame(forThree, forFour);
        Assert.Equal(4, forThree.Rules[0].Limit);
        Assert.Equal(3, forFour.Rules[0].Limit);
        Assert.Equal(4, backToThree.Rules[0].Limit);
        Assert.Same(backToThree, FallbackRuleSets.For(rules, 3, cost: 1));
    }

    [Fact]
    public void For_TwoRuleSetsWithEqualContents_CachesEachSeparately()
    {
        // A reload builds new rule set objects with the same contents; each is keyed by identity.
        var first = Rules.Set(Rules.Fixed(10, TimeSpan.FromSeconds(1)));
        var second = Rules.Set(Rules.Fixed(20, TimeSpan.FromSeconds(1)));

        var firstScaled = FallbackRuleSets.For(first, 2, cost: 1);
        var secondScaled = FallbackRuleSets.For(second, 2, cost: 1);

        Assert.Equal(5, firstScaled.Rules[0].Limit);
        Assert.Equal(10, secondScaled.Rules[0].Limit);
        Assert.Same(firstScaled, FallbackRuleSets.For(first, 2, cost: 1));
    }
}
