using System.Collections.Immutable;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.IntegrationTests.Storage;

/// <summary>
/// The reconciler against real Redis (standalone and Cluster): fallback admissions reach Redis's counters while Redis
/// answers, with no outage needed to trigger it; many keys at once; and on a graceful stop, before the connection the
/// reconciler was built on closes.
/// </summary>
public sealed class FallbackReconcilerTests
{
    private static readonly RuleSet PerHour = new(
        "reconcile", "test", ImmutableArray.Create(new RateLimitRule("reconcile-1h", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromHours(1), 1000)));

    public static TheoryData<bool> Topologies() => new() { false, true };

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Loop_WhileRedisAnswers_ReconcilesWithoutWaitingForAnOutage(bool cluster)
    {
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        var rig = new Rig(cluster);
        var key = rig.Record(permits: 7);
        using var stop = new CancellationTokenSource();

        await rig.Reconciler.StartAsync(stop.Token);
        try
        {
            await Eventually.HoldsAsync(async () => await rig.CountAsync(key) == 7, "the loop added the permits to Redis's counter");
        }
        finally
        {
            await rig.Reconciler.StopAsync(CancellationToken.None);
        }

        Assert.Equal(0, rig.Ledger.PendingPermits);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task ReconcileAsync_ManyKeys_ReachesEveryCounter(bool cluster)
    {
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        var rig = new Rig(cluster);
        var keys = Enumerable.Range(0, 300).Select(i => rig.Record(permits: 1 + (i % 3))).ToList();

        await rig.Reconciler.ReconcileAsync();

        Assert.Equal(0, rig.Ledger.Count);
        var counts = await Task.WhenAll(keys.Select(rig.CountAsync));
        Assert.Equal(keys.Select((_, i) => 1L + (i % 3)), counts);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task DisposeAsync_GracefulStop_FlushesTheLedgerIntoRedis(bool cluster)
    {
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        var rig = new Rig(cluster);
        var key = rig.Record(permits: 4);

        // What the container does when the gateway stops: the reconciler goes before the connection it was built on.
        await rig.Reconciler.DisposeAsync();

        Assert.Equal(4, await rig.CountAsync(key));
        Assert.Equal(0, rig.Ledger.Count);
    }

    /// <summary>A ledger, the Redis store and a reconciler on the shared test connection (its circuit closed), on Redis's own clock.</summary>
    private sealed class Rig
    {
        private readonly bool _cluster;
        private readonly StoreClock _clock = new(TimeProvider.System);

        public Rig(bool cluster)
        {
            _cluster = cluster;
            var connection = RedisTestServers.Connection(cluster);
            var store = new RedisRateLimitStore(connection, new RedisKeys(RedisTestServers.KeyPrefix), _clock);
            // A breaker of its own, closed: the reconciler attaches to it, and the shared connection's stays untouched.
            var breaker = new StoreCircuitBreaker(_ => Task.CompletedTask, TimeSpan.FromSeconds(5), BreakerSettings.Default, NullLogger<StoreCircuitBreaker>.Instance);
            Reconciler = new FallbackReconciler(Ledger, store, breaker, _clock, NullLogger<FallbackReconciler>.Instance);
        }

        public FallbackLedger Ledger { get; } = new();

        public FallbackReconciler Reconciler { get; }

        /// <summary>Records <paramref name="permits"/> fallback admissions, now, for a new key; returns its partition key.</summary>
        public string Record(long permits)
        {
            var key = "reconcile|" + Guid.NewGuid().ToString("N");
            Ledger.Record(key, PerHour, permits, UnixTime.NowMicroseconds(TimeProvider.System));
            return key;
        }

        public Task<long> CountAsync(string partitionKey) =>
            RedisInspector.CounterAsync(_cluster, $"{RedisTestServers.KeyPrefix}{{{partitionKey}}}:fw:3600000000");
    }
}
