using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Leasing;

/// <summary>
/// A <see cref="LeasingRateLimitStore"/> in front of a <see cref="FakeLeaseSource"/>, both on one fake clock. The
/// store's sweep timer never fires unless <c>sweepOnTimer</c> is set: tests call <see cref="LeasingRateLimitStore.Sweep"/>
/// themselves, so moving the clock changes nothing but the time.
/// </summary>
internal sealed class LeaseRig : IDisposable
{
    public const string Key = "p|alice";

    /// <summary>1s into the UTC day: one-minute windows end 59s later.</summary>
    public const long Start = T0 + MicrosPerSecond;

    public LeaseRig(
        long limit = 1_000,
        TimeSpan? window = null,
        long maxLeaseSize = 100,
        TimeSpan? duration = null,
        int maxKeys = 10_000,
        long start = Start,
        bool sweepOnTimer = false,
        ILateGrantAbsorber? absorber = null)
    {
        Clock = ClockAt(start);
        Source = new FakeLeaseSource(Clock, limit, window ?? TimeSpan.FromMinutes(1));
        Settings = new LeaseSettings(
            Enabled: true, maxLeaseSize, Coverage: TimeSpan.FromMilliseconds(100), duration ?? TimeSpan.FromSeconds(1), maxKeys);
        TimeProvider time = sweepOnTimer ? Clock : new TimerlessClock(Clock);
        Store = new LeasingRateLimitStore(Source, Source, Settings, time, NullLogger<LeasingRateLimitStore>.Instance, absorber);
        Rules = Source.NewRuleSet();
    }

    public FakeTimeProvider Clock { get; }

    public FakeLeaseSource Source { get; }

    public LeaseSettings Settings { get; }

    public LeasingRateLimitStore Store { get; }

    /// <summary>The rule set requests carry unless a test passes another.</summary>
    public RuleSet Rules { get; }

    public long HoldMicros => Settings.HoldTime.Ticks / TimeSpan.TicksPerMicrosecond;

    public long HeldPermits(string key = Key) => Store.HeldPermits(key);

    public ValueTask<RateLimitDecision> AcquireAsync(long cost = 1, string key = Key, RuleSet? rules = null) =>
        Store.AcquireAsync(new RateLimitRequest(key, rules ?? Rules, cost), CancellationToken.None);

    /// <summary>
    /// Acquires synchronously. With a source that answers at once, every path through the store completes at
    /// once: one that does not is a bug of its own.
    /// </summary>
    public RateLimitDecision Acquire(long cost = 1, string key = Key, RuleSet? rules = null) =>
        Acquire(new RateLimitRequest(key, rules ?? Rules, cost));

    /// <inheritdoc cref="Acquire(long, string, RuleSet?)"/>
    public RateLimitDecision Acquire(RateLimitRequest request)
    {
        var pending = Store.AcquireAsync(request, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully, "The store did not decide synchronously although the source answered at once.");
        return pending.Result;
    }

    /// <summary>Acquires <paramref name="count"/> times; returns how many were admitted.</summary>
    public int AcquireMany(int count, long cost = 1, string key = Key)
    {
        var admitted = 0;
        for (var i = 0; i < count; i++)
        {
            if (Acquire(cost, key).Allowed)
            {
                admitted++;
            }
        }

        return admitted;
    }

    /// <summary>
    /// Acquires on <paramref name="key"/>, with no time passing, until the store has been asked for a full lease
    /// (<see cref="LeaseSettings.MaxLeaseSize"/>): the key then looks as hot as it can, and holds a large lease. Leases
    /// grow a few times over per refill, so this takes some requests; returns how many were admitted.
    /// </summary>
    public int Warm(string key = Key)
    {
        var admitted = 0;
        while (Source.GrantRequests.Where(r => r.PartitionKey == key).Select(static r => r.Want).DefaultIfEmpty(0).Last() < Settings.MaxLeaseSize)
        {
            Assert.True(Acquire(key: key).Allowed, "A request was refused while warming a lease: the limit is too low for this test.");
            admitted++;
            Assert.True(admitted <= 10 * Settings.MaxLeaseSize, "The lease never grew to MaxLeaseSize.");
        }

        return admitted;
    }

    public void Dispose() => Store.Dispose();
}
