using System.Collections.Immutable;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.IntegrationTests.Storage;

/// <summary>
/// The algorithm contract, run unchanged against the in-memory store, Redis standalone and Redis Cluster: the same
/// requests at the same (fake) instants must get the same answers, to the microsecond.
/// </summary>
public sealed class StoreContractTests
{
    private static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Micro = TimeSpan.FromTicks(10);

    public static TheoryData<StoreKindUnderTest> Stores() => StoreUnderTest.All();

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task FixedWindow_AdmitsLimit_ThenRefusesUntilWindowEnd(StoreKindUnderTest kind)
    {
        var (store, clock, key) = Setup(kind, startOffset: TimeSpan.FromSeconds(10));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 5, TimeSpan.FromMinutes(1)));

        var admitted = await AcquireMany(store, key, rules, 5);
        var refused = await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default);

        Assert.Equal(5, admitted);
        Assert.False(refused.Allowed);
        Assert.Equal(50_000_000, refused.RetryAfterMicroseconds);
        Assert.Equal(0, refused.Results[0].Remaining);
        Assert.Equal(50_000_000, refused.Results[0].ResetAfter);

        var next = await AssertAdmittedExactlyAfterAsync(store, clock, key, rules, TimeSpan.FromSeconds(50));
        Assert.Equal(4, next.Results[0].Remaining);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task FixedWindow_AcrossBoundary_AdmitsTwiceTheLimitInAShortSpan(StoreKindUnderTest kind)
    {
        // The documented weakness of fixed windows: the limit at the end of one window and again at the start of the next.
        var (store, clock, key) = Setup(kind, startOffset: TimeSpan.FromMinutes(1) - TimeSpan.FromMilliseconds(1));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 10, TimeSpan.FromMinutes(1)));

        var before = await AcquireMany(store, key, rules, 10);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var after = await AcquireMany(store, key, rules, 10);

        Assert.Equal(20, before + after);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SlidingWindow_WeighsPreviousWindowByOverlap_AndRetryAfterIsExact(StoreKindUnderTest kind)
    {
        var (store, clock, key) = Setup(kind, startOffset: TimeSpan.Zero);
        var rules = Rules(Rule(RateLimitAlgorithm.SlidingWindow, 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(10, await AcquireMany(store, key, rules, 12));

        // 25% into the next window, the previous 10 weigh 7.5: two more fit (7.5 + 2 <= 10), the third does not.
        clock.Advance(TimeSpan.FromSeconds(75));
        Assert.Equal(2, await AcquireMany(store, key, rules, 3));
        var refused = await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default);
        Assert.False(refused.Allowed);
        Assert.Equal(0, refused.Results[0].Remaining);

        await AssertAdmittedExactlyAfterAsync(store, clock, key, rules, TimeSpan.FromTicks(refused.RetryAfterMicroseconds * 10));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TokenBucket_BurstsThenRefillsContinuously(StoreKindUnderTest kind)
    {
        var (store, clock, key) = Setup(kind, startOffset: TimeSpan.FromMilliseconds(123));
        var rules = Rules(Rule(RateLimitAlgorithm.TokenBucket, 5, TimeSpan.FromSeconds(1), burst: 10));

        Assert.Equal(10, await AcquireMany(store, key, rules, 12));
        var refused = await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default);
        Assert.Equal(200_000, refused.RetryAfterMicroseconds);

        await AssertAdmittedExactlyAfterAsync(store, clock, key, rules, TimeSpan.FromMilliseconds(200));

        // A long idle refills to the burst, never past it.
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(10, await AcquireMany(store, key, rules, 15));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task MultipleRules_RefusedRequest_ConsumesFromNone(StoreKindUnderTest kind)
    {
        var (store, _, key) = Setup(kind, startOffset: TimeSpan.FromSeconds(1));
        var rules = Rules(
            Rule(RateLimitAlgorithm.FixedWindow, 3, TimeSpan.FromMinutes(1)),
            Rule(RateLimitAlgorithm.SlidingWindow, 100, TimeSpan.FromHours(1)),
            Rule(RateLimitAlgorithm.TokenBucket, 1, TimeSpan.FromHours(1), burst: 50));

        Assert.Equal(3, await AcquireMany(store, key, rules, 10));
        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default);

        Assert.False(peek.Allowed);
        Assert.Equal(0, peek.DecidingRuleIndex);
        Assert.Equal(97, peek.Results[1].Remaining);
        Assert.Equal(47, peek.Results[2].Remaining);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Cost_IsTakenFromEveryRule_AndPeekTakesNothing(StoreKindUnderTest kind)
    {
        var (store, _, key) = Setup(kind, startOffset: TimeSpan.FromSeconds(1));
        var rules = Rules(
            Rule(RateLimitAlgorithm.FixedWindow, 10, TimeSpan.FromMinutes(1)),
            Rule(RateLimitAlgorithm.TokenBucket, 1, TimeSpan.FromHours(1), burst: 9));

        var first = await store.AcquireAsync(new RateLimitRequest(key, rules, 4), default);
        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 4, Consume: false), default);
        var second = await store.AcquireAsync(new RateLimitRequest(key, rules, 4), default);
        var third = await store.AcquireAsync(new RateLimitRequest(key, rules, 4), default);

        Assert.Equal([6, 5], first.Results.ToArray().Select(r => r.Remaining));
        Assert.True(peek.Allowed);
        Assert.Equal([6, 5], peek.Results.ToArray().Select(r => r.Remaining));
        Assert.Equal([2, 1], second.Results.ToArray().Select(r => r.Remaining));
        Assert.False(third.Allowed);
        Assert.Equal([false, false], third.Results.ToArray().Select(r => r.Allowed));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ChangedLimit_KeepsTheCountSpentInTheWindow(StoreKindUnderTest kind)
    {
        var (store, _, key) = Setup(kind, startOffset: TimeSpan.FromSeconds(1));
        var before = Rules(Rule(RateLimitAlgorithm.FixedWindow, 5, TimeSpan.FromMinutes(1)));
        var after = Rules(Rule(RateLimitAlgorithm.FixedWindow, 8, TimeSpan.FromMinutes(1)));

        Assert.Equal(5, await AcquireMany(store, key, before, 6));
        Assert.Equal(3, await AcquireMany(store, key, after, 6));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task RefusedByTwoRules_RetryAfterIsTheLaterOne(StoreKindUnderTest kind)
    {
        var (store, _, key) = Setup(kind, startOffset: TimeSpan.FromSeconds(30));
        var rules = Rules(
            Rule(RateLimitAlgorithm.FixedWindow, 2, TimeSpan.FromMinutes(1)),
            Rule(RateLimitAlgorithm.FixedWindow, 2, TimeSpan.FromHours(1)));

        Assert.Equal(2, await AcquireMany(store, key, rules, 2));
        var refused = await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default);

        Assert.Equal([false, false], refused.Results.ToArray().Select(r => r.Allowed));
        Assert.Equal(1, refused.DecidingRuleIndex);
        Assert.Equal((long)TimeSpan.FromSeconds(3570).TotalMicroseconds, refused.RetryAfterMicroseconds);
    }

    private static (IRateLimitStore Store, FakeTimeProvider Clock, string Key) Setup(StoreKindUnderTest kind, TimeSpan startOffset)
    {
        var clock = new FakeTimeProvider(Epoch + startOffset);
        return (StoreUnderTest.Create(kind, clock), clock, "contract|" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>Refused one microsecond before <paramref name="wait"/> has passed, admitted exactly when it has.</summary>
    private static async Task<RateLimitDecision> AssertAdmittedExactlyAfterAsync(
        IRateLimitStore store, FakeTimeProvider clock, string key, RuleSet rules, TimeSpan wait)
    {
        clock.Advance(wait - Micro);
        Assert.False((await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default)).Allowed);
        clock.Advance(Micro);
        var admitted = await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default);
        Assert.True(admitted.Allowed);
        return admitted;
    }

    private static async Task<int> AcquireMany(IRateLimitStore store, string key, RuleSet rules, int attempts)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            if ((await store.AcquireAsync(new RateLimitRequest(key, rules, 1), default)).Allowed)
            {
                admitted++;
            }
        }

        return admitted;
    }

    private static RateLimitRule Rule(RateLimitAlgorithm algorithm, long limit, TimeSpan window, long? burst = null) =>
        new($"c-{RateLimitRule.AlgorithmCode(algorithm)}-{DurationFormat.Format(window)}", algorithm, limit, window, burst ?? limit);

    private static RuleSet Rules(params RateLimitRule[] rules) => new("contract", "test", rules.ToImmutableArray());
}
