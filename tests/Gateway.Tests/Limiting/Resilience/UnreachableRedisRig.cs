using Gateway.Limiting.Leasing;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Gateway.Tests.Limiting.Leasing;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Gateway.Tests.Support.Time;

namespace Gateway.Tests.Limiting.Resilience;

/// <summary>
/// A <see cref="ResilientRateLimitStore"/> whose Redis cannot be reached: the connection points at a loopback port
/// nothing listens on (connections are refused at once), so the connection opens its circuit at start-up and its
/// probe (a PING) never succeeds; no heartbeat runs, so the live-instance count stays at <c>expectedInstances</c>.
/// The fallback counters run on a fake clock whose timers never fire.
/// <para>
/// By default the store uses that connection's breaker, which stays open for the rig's life. A test that needs to
/// move the circuit passes its own breaker (scripted probe): the store only reads the breaker it is given, while
/// the Redis store and the registry keep the connection's.
/// </para>
/// </summary>
internal sealed class UnreachableRedisRig : IDisposable
{
    public const string Key = "p|alice";

    /// <summary>Refuses connections on any host without a service on port 1.</summary>
    private const string Unreachable = "127.0.0.1:1,connectTimeout=1000,connectRetry=0";

    public UnreachableRedisRig(int expectedInstances = 1, FakeTimeProvider? clock = null, IRateLimitStore? shared = null, StoreCircuitBreaker? breaker = null)
    {
        Clock = clock ?? ClockAt(T0 + MicrosPerSecond);
        Connection = new RedisConnection(Unreachable, TimeSpan.FromMilliseconds(200), NullLoggerFactory.Instance);
        Assert.True(Connection.Breaker.IsOpen, "Something answers on 127.0.0.1:1: these tests need a port that refuses connections.");
        Redis = new RedisRateLimitStore(Connection, new RedisKeys("resilience-tests:"));
        Instances = new InstanceRegistry(Connection, "resilience-tests:", Redis.InstanceId, expectedInstances, NullLogger<InstanceRegistry>.Instance);
        Fallback = new InMemoryRateLimitStore(new TimerlessClock(Clock), 10_000, NullLogger<InMemoryRateLimitStore>.Instance);
        Breaker = breaker ?? Connection.Breaker;
        Store = new ResilientRateLimitStore(shared ?? Redis, Redis, Breaker, Instances, Fallback, Clock, NullLogger<ResilientRateLimitStore>.Instance);
    }

    public FakeTimeProvider Clock { get; }

    public RedisConnection Connection { get; }

    public RedisRateLimitStore Redis { get; }

    public InstanceRegistry Instances { get; }

    public InMemoryRateLimitStore Fallback { get; }

    /// <summary>The breaker the resilient store consults.</summary>
    public StoreCircuitBreaker Breaker { get; }

    public ResilientRateLimitStore Store { get; }

    /// <summary>
    /// Decides synchronously: with the circuit open nothing waits on Redis, and the fallback store never goes
    /// asynchronous, so a decision that does not complete at once is a bug of its own.
    /// </summary>
    public RateLimitDecision Acquire(RateLimitRequest request)
    {
        var pending = Store.AcquireAsync(request, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully, "A decision with the circuit open did not complete at once.");
        return pending.Result;
    }

    /// <summary>Acquires <paramref name="count"/> times; returns how many were admitted.</summary>
    public int AcquireMany(int count, RateLimitRequest request)
    {
        var admitted = 0;
        for (var i = 0; i < count; i++)
        {
            if (Acquire(request).Allowed)
            {
                admitted++;
            }
        }

        return admitted;
    }

    public void Dispose()
    {
        Store.Dispose();
        Fallback.Dispose();
        Instances.Dispose();
        Connection.Dispose();
    }
}
