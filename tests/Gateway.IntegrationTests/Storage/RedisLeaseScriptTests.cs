using System.Collections.Immutable;
using System.Globalization;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.IntegrationTests.Storage;

/// <summary>
/// The lease half of the Redis scripts, on real Redis (standalone and Cluster) with a fake clock sent in the call:
/// how much a grant takes, how it shrinks near the limit and with more holders, what a refusal says about other
/// holders, and which returns the rules take back.
/// </summary>
public sealed class RedisLeaseScriptTests
{
    private static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long HoldMicros = 2_000_000;

    public static TheoryData<bool> Topologies() => new() { false, true };

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Grant_TakesWhatIsWanted_UpToHalfOfWhatIsLeft_AndConsumesItAtOnce(bool cluster)
    {
        var (store, _, key) = Setup(cluster);
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromMinutes(1)));

        var small = await store.GrantAsync(Request(key, rules, need: 1, want: 100), default);
        var large = await store.GrantAsync(Request(key, rules, need: 1, want: 1000), default);

        Assert.Equal(100, small.Granted);
        Assert.Equal(900, small.Results[0].Remaining);
        // One holder: at most half of the 900 left.
        Assert.Equal(450, large.Granted);
        Assert.Equal(450, await CounterRemainingAsync(store, key, rules));
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Grant_ShrinksWithEveryOtherLiveHolder(bool cluster)
    {
        var (first, clock, key) = Setup(cluster);
        var second = new RedisRateLimitStore(RedisTestServers.Connection(cluster), new RedisKeys(RedisTestServers.KeyPrefix), storeClock: null, clock);
        var third = new RedisRateLimitStore(RedisTestServers.Connection(cluster), new RedisKeys(RedisTestServers.KeyPrefix), storeClock: null, clock);
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 1200, TimeSpan.FromMinutes(1)));

        Assert.Equal(1, (await first.GrantAsync(Request(key, rules, 1, 1), default)).Granted);
        Assert.Equal(1, (await second.GrantAsync(Request(key, rules, 1, 1), default)).Granted);
        var third1 = await third.GrantAsync(Request(key, rules, need: 1, want: 1000), default);

        // Three holders share 1198: at most 1198 / (2 * 3).
        Assert.Equal(199, third1.Granted);

        // Once the other marks expire, the last holder is alone again.
        clock.Advance(TimeSpan.FromMicroseconds(HoldMicros) + TimeSpan.FromMilliseconds(1));
        var alone = await third.GrantAsync(Request(key, rules, need: 1, want: 1000), default);
        Assert.Equal((1200 - 1 - 1 - 199) / 2, alone.Granted);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Grant_NearTheLimit_GivesOnlyWhatIsNeeded_ThenRefusesWithTheRetryTime(bool cluster)
    {
        var (store, _, key) = Setup(cluster, startOffset: TimeSpan.FromSeconds(20));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 10, TimeSpan.FromMinutes(1)));
        var spent = await store.AcquireAsync(new RateLimitRequest(key, rules, 8), default);
        Assert.Equal(2, spent.Results[0].Remaining);

        var nearly = await store.GrantAsync(Request(key, rules, need: 1, want: 50), default);
        var last = await store.GrantAsync(Request(key, rules, need: 1, want: 50), default);
        var refused = await store.GrantAsync(Request(key, rules, need: 1, want: 50), default);

        Assert.Equal(1, nearly.Granted);
        Assert.Equal(1, last.Granted);
        Assert.Equal(0, refused.Granted);
        Assert.False(refused.Results[0].Allowed);
        Assert.Equal(40_000_000, refused.Results[0].RetryAfter);
        // The only holder is the caller itself: nobody else can give permits back.
        Assert.Equal(0, refused.OthersHoldFor);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Refusal_ReportsHowLongAnotherInstanceMayHoldPermits(bool cluster)
    {
        var (holder, clock, key) = Setup(cluster);
        var other = new RedisRateLimitStore(RedisTestServers.Connection(cluster), new RedisKeys(RedisTestServers.KeyPrefix), storeClock: null, clock);
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 4, TimeSpan.FromHours(1)));

        Assert.Equal(2, (await holder.GrantAsync(Request(key, rules, need: 1, want: 4), default)).Granted);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, (await other.GrantAsync(Request(key, rules, need: 1, want: 4), default)).Granted);
        Assert.Equal(1, (await other.GrantAsync(Request(key, rules, need: 1, want: 4), default)).Granted);
        var refused = await other.GrantAsync(Request(key, rules, need: 1, want: 4), default);

        Assert.Equal(0, refused.Granted);
        Assert.Equal(HoldMicros - 500_000, refused.OthersHoldFor);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Release_GoesBackIntoTheSameWindow_NotIntoALaterOne(bool cluster)
    {
        var (store, clock, key) = Setup(cluster, startOffset: TimeSpan.FromSeconds(10));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 100, TimeSpan.FromMinutes(1)));
        var grant = await store.GrantAsync(Request(key, rules, need: 1, want: 40), default);
        Assert.Equal(40, grant.Granted);

        await store.ReleaseAsync(new LeaseRelease(key, rules, 15, grant.StoreTime, LastLease: false), default);
        Assert.Equal(75, await CounterRemainingAsync(store, key, rules));

        var later = await store.GrantAsync(Request(key, rules, need: 1, want: 10), default);
        clock.Advance(TimeSpan.FromMinutes(1));
        await store.ReleaseAsync(new LeaseRelease(key, rules, 10, later.StoreTime, LastLease: true), default);
        // The window the permits were taken in is over: the new window starts full and stays so.
        Assert.Equal(100, await CounterRemainingAsync(store, key, rules));
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Release_RefillsABucket_ButNeverBeyondItsBurst(bool cluster)
    {
        var (store, clock, key) = Setup(cluster);
        var rules = Rules(Rule(RateLimitAlgorithm.TokenBucket, 10, TimeSpan.FromSeconds(1), burst: 20));
        var grant = await store.GrantAsync(Request(key, rules, need: 1, want: 8), default);
        Assert.Equal(8, grant.Granted);

        clock.Advance(TimeSpan.FromMilliseconds(500));
        await store.ReleaseAsync(new LeaseRelease(key, rules, 8, grant.StoreTime, LastLease: true), default);

        // 12 left, 5 refilled in half a second, 8 returned: 25, capped at the burst of 20.
        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default);
        Assert.Equal(20, peek.Results[0].Remaining);
        var marks = await RedisTestServers.Connection(cluster).Database.HashLengthAsync(MarksKey(key));
        Assert.Equal(0, marks);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Grant_WithSeveralRules_IsLimitedByTheTightest_AndTakesFromAll(bool cluster)
    {
        var (store, _, key) = Setup(cluster);
        var rules = Rules(
            Rule(RateLimitAlgorithm.SlidingWindow, 30, TimeSpan.FromSeconds(1)),
            Rule(RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromHours(1)));

        var grant = await store.GrantAsync(Request(key, rules, need: 1, want: 500), default);

        Assert.Equal(15, grant.Granted);
        Assert.Equal([15L, 985L], grant.Results.Select(r => r.Remaining));
        var ttl = await RedisTestServers.Connection(cluster).Database.KeyTimeToLiveAsync(MarksKey(key));
        Assert.True(ttl is { } t && t > TimeSpan.Zero && t <= TimeSpan.FromMicroseconds(HoldMicros), $"marks TTL {ttl}");
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Reconcile_AddsFallbackAdmissionsToTheOpenWindow_EvenIntoAnEmptyRedis(bool cluster)
    {
        var (store, clock, key) = Setup(cluster, startOffset: TimeSpan.FromSeconds(30));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 100, TimeSpan.FromMinutes(1)), Rule(RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromHours(1)));

        // Admitted on fallback 20 s ago: inside both the current minute and the current hour.
        await store.ReconcileAsync(Entry(key, rules, 40, UnixTime.NowMicroseconds(clock) - 20_000_000));

        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default);
        Assert.Equal([60L, 960L], peek.Results.ToArray().Select(r => r.Remaining));
        Assert.True(await RedisTestServers.Connection(cluster).Database.KeyTimeToLiveAsync($"{RedisTestServers.KeyPrefix}{{{key}}}:fw:60000000") is { } ttl && ttl > TimeSpan.Zero);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Reconcile_SkipsAWindowThatBeganAfterTheAdmissions_AndDrainsBuckets(bool cluster)
    {
        var (store, clock, key) = Setup(cluster, startOffset: TimeSpan.FromSeconds(10));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 100, TimeSpan.FromMinutes(1)), Rule(RateLimitAlgorithm.TokenBucket, 10, TimeSpan.FromSeconds(1), burst: 50));

        // Admitted 30 s ago: in the previous minute, so this minute's count is not theirs.
        await store.ReconcileAsync(Entry(key, rules, 70, UnixTime.NowMicroseconds(clock) - 30_000_000));

        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default);
        Assert.Equal(100, peek.Results[0].Remaining);
        // The bucket cannot go below empty.
        Assert.Equal(0, peek.Results[1].Remaining);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Reconcile_SlidingWindow_ChargesTheWindowTheAdmissionsFellIn(bool cluster)
    {
        var (store, clock, key) = Setup(cluster, startOffset: TimeSpan.FromSeconds(15));
        var rules = Rules(Rule(RateLimitAlgorithm.SlidingWindow, 100, TimeSpan.FromMinutes(1)));
        var now = UnixTime.NowMicroseconds(clock);

        // 40 admitted 30 s ago (the previous minute) and 20 admitted 5 s ago (this minute): an outage across a boundary.
        await store.ReconcileAsync(Entry(key, rules, 40, now - 30_000_000));
        await store.ReconcileAsync(Entry(key, rules, 20, now - 5_000_000));

        // 15 s into this minute the previous minute weighs 45/60: 40 x 0.75 + 20 = 50 of 100 spent.
        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default);
        Assert.Equal(50, peek.Results[0].Remaining);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Reconcile_AdmissionsOfAClosedFixedWindow_ChargeNothing(bool cluster)
    {
        var (store, clock, key) = Setup(cluster, startOffset: TimeSpan.FromSeconds(5));
        var rules = Rules(Rule(RateLimitAlgorithm.FixedWindow, 100, TimeSpan.FromMinutes(1)));

        await store.ReconcileAsync(Entry(key, rules, 40, UnixTime.NowMicroseconds(clock) - 10_000_000));

        var peek = await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default);
        Assert.Equal(100, peek.Results[0].Remaining);
    }

    private static LedgerEntry Entry(string key, RuleSet rules, long permits, long at) => new(key, rules, permits, at, long.MaxValue);

    private static LeaseRequest Request(string key, RuleSet rules, long need, long want) =>
        new(key, rules, need, want, HoldMicros, StillHolding: false);

    private static async Task<long> CounterRemainingAsync(RedisRateLimitStore store, string key, RuleSet rules) =>
        (await store.AcquireAsync(new RateLimitRequest(key, rules, 1, Consume: false), default)).Results[0].Remaining;

    private static string MarksKey(string key) => $"{RedisTestServers.KeyPrefix}{{{key}}}:leases";

    private static (RedisRateLimitStore Store, FakeTimeProvider Clock, string Key) Setup(bool cluster, TimeSpan? startOffset = null)
    {
        var clock = new FakeTimeProvider(Epoch + (startOffset ?? TimeSpan.Zero));
        var store = new RedisRateLimitStore(RedisTestServers.Connection(cluster), new RedisKeys(RedisTestServers.KeyPrefix), storeClock: null, clock);
        return (store, clock, "lease|" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));
    }

    private static RateLimitRule Rule(RateLimitAlgorithm algorithm, long limit, TimeSpan window, long? burst = null) =>
        new($"l-{RateLimitRule.AlgorithmCode(algorithm)}-{DurationFormat.Format(window)}", algorithm, limit, window, burst ?? limit);

    private static RuleSet Rules(params RateLimitRule[] rules) => new("lease", "test", rules.ToImmutableArray());
}
