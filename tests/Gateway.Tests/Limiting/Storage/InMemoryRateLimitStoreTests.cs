using Gateway.Limiting.Storage;
using Gateway.Tests.Support;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Storage;

public sealed class InMemoryRateLimitStoreTests
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OneMinute = TimeSpan.FromMinutes(1);

    [Fact]
    public void AcquireAsync_SingleRule_AdmitsExactlyLimitThenDenies()
    {
        var clock = ClockAt(T0 + 1_000);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(5, OneSecond));

        var admitted = store.AcquireMany("p|alice", rules, attempts: 9);
        var denied = store.Acquire("p|alice", rules);

        Assert.Equal(5, admitted);
        Assert.False(denied.Allowed);
        Assert.Equal(999_000, denied.RetryAfterMicroseconds);
    }

    [Fact]
    public void AcquireAsync_Allowed_ReportsRemainingAfterTheRequest()
    {
        var clock = ClockAt(T0 + 250_000);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(5, OneSecond));

        var first = store.Acquire("p|alice", rules);
        var second = store.Acquire("p|alice", rules, cost: 2);

        Assert.True(first.Allowed);
        Assert.Equal(new RuleResult(true, 4, 750_000, 0), first.Results[0]);
        Assert.Equal(new RuleResult(true, 2, 750_000, 0), second.Results[0]);
        Assert.Equal(0, second.RetryAfterMicroseconds);
    }

    [Fact]
    public void AcquireAsync_OneOfTwoRulesDenies_ConsumesNothingFromTheOtherRule()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var perSecond = Rules.Fixed(2, OneSecond, "p-1s");
        var perMinute = Rules.Fixed(100, OneMinute, "p-1m");
        var rules = Rules.Set(perSecond, perMinute);
        Assert.Equal(2, store.AcquireMany("p|alice", rules, attempts: 2));

        var denials = Enumerable.Range(0, 10).Select(_ => store.Acquire("p|alice", rules)).ToList();

        Assert.All(denials, d => Assert.False(d.Allowed));
        Assert.All(denials, d => Assert.Equal(new RuleResult(true, 98, MicrosPerMinute, 0), d.Results[1]));
        Assert.All(denials, d => Assert.Equal(new RuleResult(false, 0, MicrosPerSecond, MicrosPerSecond), d.Results[0]));
        Assert.Equal(98, store.Peek("p|alice", Rules.Set(perMinute)).Results[0].Remaining);
    }

    [Fact]
    public void AcquireAsync_LongRuleDeniesAfterShortRuleResets_ShortRuleKeepsItsPermits()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var perSecond = Rules.Fixed(3, OneSecond, "p-1s");
        var perMinute = Rules.Fixed(4, OneMinute, "p-1m");
        var rules = Rules.Set(perSecond, perMinute);
        Assert.Equal(3, store.AcquireMany("p|alice", rules, attempts: 5));

        clock.AdvanceMicros(MicrosPerSecond);
        var admitted = store.AcquireMany("p|alice", rules, attempts: 5);

        Assert.Equal(1, admitted);
        var peek = store.Peek("p|alice", rules);
        Assert.Equal(2, peek.Results[0].Remaining); // the per-second rule gave one permit, not three
        Assert.Equal(0, peek.Results[1].Remaining);
        Assert.Equal(1, peek.DecidingRuleIndex);
        Assert.Equal(MicrosPerMinute - MicrosPerSecond, peek.RetryAfterMicroseconds);
    }

    [Fact]
    public void AcquireAsync_CostAboveOne_ConsumesTheCostFromEveryRule()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(
            Rules.Fixed(10, OneSecond, "p-1s"),
            Rules.Sliding(20, OneMinute, "p-1m"),
            Rules.Bucket(5, OneSecond, burst: 8, name: "p-1s-tb"));

        var decision = store.Acquire("p|alice", rules, cost: 3);

        Assert.True(decision.Allowed);
        Assert.Equal([7L, 17L, 5L], decision.Results.ToArray().Select(r => r.Remaining));
    }

    [Fact]
    public void AcquireAsync_CostDeniedByOneRule_ConsumesNothingFromAny()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(
            Rules.Fixed(10, OneSecond, "p-1s"),
            Rules.Bucket(5, OneSecond, burst: 4, name: "p-1s-tb"));

        var denied = store.Acquire("p|alice", rules, cost: 5);
        var peek = store.Peek("p|alice", rules);

        Assert.False(denied.Allowed);
        Assert.True(denied.Results[0].Allowed);
        Assert.False(denied.Results[1].Allowed);
        Assert.Equal([10L, 4L], peek.Results.ToArray().Select(r => r.Remaining));
    }

    [Fact]
    public void AcquireAsync_Peek_ConsumesNothing()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(3, OneSecond, "p-1s"), Rules.Bucket(1, OneSecond, burst: 3, name: "p-1s-tb"));

        var peeks = Enumerable.Range(0, 10).Select(_ => store.Peek("p|alice", rules)).ToList();

        Assert.All(peeks, p => Assert.True(p.Allowed));
        Assert.All(peeks, p => Assert.Equal([3L, 3L], p.Results.ToArray().Select(r => r.Remaining)));
        Assert.Equal(3, store.AcquireMany("p|alice", rules, attempts: 10));
    }

    [Fact]
    public void AcquireAsync_PeekOnExhaustedPartition_ReportsTheDenialWithoutChangingIt()
    {
        var clock = ClockAt(T0 + 600_000);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(2, OneSecond));
        store.AcquireMany("p|alice", rules, attempts: 2);

        var peek = store.Peek("p|alice", rules);

        Assert.False(peek.Allowed);
        Assert.Equal(400_000, peek.RetryAfterMicroseconds);
        clock.AdvanceMicros(400_000);
        Assert.Equal(2, store.AcquireMany("p|alice", rules, attempts: 5));
    }

    [Fact]
    public void AcquireAsync_DistinctPartitionKeys_HaveIndependentBudgets()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(3, OneSecond));

        var alice = store.AcquireMany("p|u:alice", rules, attempts: 10);
        var bob = store.AcquireMany("p|u:bob", rules, attempts: 10);
        var otherPolicy = store.AcquireMany("q|u:alice", rules, attempts: 10);

        Assert.Equal((3, 3, 3), (alice, bob, otherPolicy));
        Assert.Equal(3, store.PartitionCount);
    }

    [Fact]
    public void AcquireAsync_WindowRollsOver_BudgetReturns()
    {
        var clock = ClockAt(T0 + 900_000);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Fixed(3, OneSecond));
        Assert.Equal(3, store.AcquireMany("p|alice", rules, attempts: 5));

        clock.AdvanceMicros(99_999);
        Assert.Equal(0, store.AcquireMany("p|alice", rules, attempts: 5));
        clock.AdvanceMicros(1);
        Assert.Equal(3, store.AcquireMany("p|alice", rules, attempts: 5));
    }

    [Fact]
    public void AcquireAsync_LimitLoweredWithinTheWindow_KeepsTheCountAlreadySpent()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var before = Rules.Set(Rules.Fixed(10, OneMinute, "p-1m"));
        var lowered = Rules.Set(Rules.Fixed(8, OneMinute, "p-1m"));
        Assert.Equal(6, store.AcquireMany("p|alice", before, attempts: 6));

        var peek = store.Peek("p|alice", lowered);
        var admitted = store.AcquireMany("p|alice", lowered, attempts: 10);

        Assert.Equal(2, peek.Results[0].Remaining);
        Assert.Equal(2, admitted);
    }

    [Fact]
    public void AcquireAsync_LimitRaisedWithinTheWindow_AdmitsOnlyTheDifference()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var before = Rules.Set(Rules.Fixed(5, OneMinute, "p-1m"));
        var raised = Rules.Set(Rules.Fixed(20, OneMinute, "p-1m"));
        Assert.Equal(5, store.AcquireMany("p|alice", before, attempts: 10));

        Assert.Equal(15, store.AcquireMany("p|alice", raised, attempts: 30));
    }

    [Fact]
    public void AcquireAsync_LimitLoweredBelowTheCountSpent_DeniesWithZeroRemaining()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        Assert.Equal(6, store.AcquireMany("p|alice", Rules.Set(Rules.Fixed(10, OneMinute)), attempts: 6));

        var denied = store.Acquire("p|alice", Rules.Set(Rules.Fixed(4, OneMinute)));

        Assert.False(denied.Allowed);
        Assert.Equal(0, denied.Results[0].Remaining);
    }

    [Fact]
    public void AcquireAsync_SameWindowDifferentAlgorithm_DoesNotShareTheCounter()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        Assert.Equal(5, store.AcquireMany("p|alice", Rules.Set(Rules.Fixed(5, OneMinute)), attempts: 5));

        var admitted = store.AcquireMany("p|alice", Rules.Set(Rules.Sliding(5, OneMinute)), attempts: 10);

        Assert.Equal(5, admitted);
    }

    /// <summary>
    /// A caller whose rule set gains a rule (a reload, a new override, a tier change) while one of its existing
    /// counters has expired: the new rule must get its own slot, not the expired one the other rule still uses.
    /// </summary>
    [Fact]
    public void AcquireAsync_RuleSetGainsARuleWhileAnotherRulesCounterExpired_KeepsBothCountersApart()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var perSecond = Rules.Fixed(5, OneSecond, "p-1s");
        var perMinute = Rules.Fixed(5, OneMinute, "p-1m");
        store.Acquire("p|alice", Rules.Set(perSecond));
        clock.AdvanceMicros(2 * MicrosPerSecond); // the per-second counter has expired; the sweep has not run
        var both = Rules.Set(perMinute, perSecond);

        var first = store.Acquire("p|alice", both);
        var second = store.Acquire("p|alice", both);

        Assert.Equal([4L, 4L], first.Results.ToArray().Select(r => r.Remaining));
        Assert.Equal([3L, 3L], second.Results.ToArray().Select(r => r.Remaining));
        Assert.Equal(3, store.Peek("p|alice", Rules.Set(perMinute)).Results[0].Remaining);
        Assert.Equal(3, store.Peek("p|alice", Rules.Set(perSecond)).Results[0].Remaining);
    }

    [Fact]
    public void AcquireAsync_RuleRemovedAndItsCounterExpired_ReusesNothingStaleForANewRule()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var perSecond = Rules.Fixed(5, OneSecond, "p-1s");
        var perHour = Rules.Fixed(50, TimeSpan.FromHours(1), "p-1h");
        var perMinute = Rules.Fixed(5, OneMinute, "p-1m");
        store.AcquireMany("p|alice", Rules.Set(perSecond, perHour), attempts: 5);
        clock.AdvanceMicros(2 * MicrosPerSecond);

        var admitted = store.AcquireMany("p|alice", Rules.Set(perMinute, perHour), attempts: 10);
        var peek = store.Peek("p|alice", Rules.Set(perSecond, perMinute, perHour));

        Assert.Equal(5, admitted);
        Assert.Equal([5L, 0L, 40L], peek.Results.ToArray().Select(r => r.Remaining));
    }

    [Fact]
    public void AcquireAsync_DeniedByTwoRules_DecidingRuleIsTheOneWithTheLongestRetryAfter()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(
            Rules.Fixed(100, TimeSpan.FromHours(1), "p-1h"),
            Rules.Fixed(2, OneMinute, "p-1m"),
            Rules.Fixed(2, OneSecond, "p-1s"));
        store.AcquireMany("p|alice", rules, attempts: 2);

        var denied = store.Acquire("p|alice", rules);

        Assert.False(denied.Allowed);
        Assert.Equal([true, false, false], denied.Results.ToArray().Select(r => r.Allowed));
        Assert.Equal(1, denied.DecidingRuleIndex);
        Assert.Same(rules.Rules[1], denied.DecidingRule);
        Assert.Equal(MicrosPerMinute, denied.RetryAfterMicroseconds);
    }

    [Fact]
    public void AcquireAsync_Allowed_DecidingRuleIsTheOneWithFewestRemaining()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(
            Rules.Fixed(10, OneSecond, "p-1s"),
            Rules.Fixed(4, OneMinute, "p-1m"),
            Rules.Fixed(1000, TimeSpan.FromDays(1), "p-1d"));

        var decision = store.Acquire("p|alice", rules);

        Assert.True(decision.Allowed);
        Assert.Equal(1, decision.DecidingRuleIndex);
        Assert.Equal(3, decision.DecidingResult.Remaining);
    }

    [Fact]
    public void AcquireAsync_SeveralRuleKinds_ReportsEachRulesResetAfter()
    {
        var clock = ClockAt(T0 + (30 * MicrosPerSecond) + 250_000);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(
            Rules.Fixed(10, OneMinute, "p-1m"),
            Rules.Sliding(10, OneSecond, "p-1s"),
            Rules.Bucket(5, OneSecond, burst: 10, name: "p-1s-tb"));

        var decision = store.Acquire("p|alice", rules, cost: 2);

        Assert.Equal(29_750_000, decision.Results[0].ResetAfter);
        Assert.Equal(750_000, decision.Results[1].ResetAfter);
        Assert.Equal(400_000, decision.Results[2].ResetAfter); // two tokens at 200 ms each
    }

    [Fact]
    public void AcquireAsync_TokenBucketThroughTheStore_RefillsWithTheFakeClock()
    {
        var clock = ClockAt(T0);
        using var store = StoreFactory.Create(clock);
        var rules = Rules.Set(Rules.Bucket(5, OneSecond, burst: 10));
        Assert.Equal(10, store.AcquireMany("p|alice", rules, attempts: 20));

        var denied = store.Acquire("p|alice", rules);
        clock.AdvanceMicros(denied.RetryAfterMicroseconds);

        Assert.Equal(200_000, denied.RetryAfterMicroseconds);
        Assert.Equal(1, store.AcquireMany("p|alice", rules, attempts: 5));
    }

    [Fact]
    public void Constructor_MaxPartitionsBelowOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StoreFactory.Create(ClockAt(), maxPartitions: 0));
    }
}
