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
/// nothing listens on, so its circuit, open from the start, never closes (its probe cannot connect); no heartbeat
/// runs, so the fallback divides by <c>expectedInstances</c>. The fallback counters run on a fake clock whose timers
/// never fire, through a <see cref="StoreClock"/> that has never seen Redis's time.
/// <para>
/// By default the store uses that connection's breaker, which stays open for the rig's life. A test that needs to
/// move the circuit passes its own breaker (scripted probe): the store and the reconciler read the breaker they are
/// given. Late answers give permits back to <see cref="Releases"/>.
/// </para>
/// </summary>
internal sealed class UnreachableRedisRig : IDisposable
{
    public const string Key = "p|alice";

    /// <summary>Refuses connections on any host without a service on port 1.</summary>
    private const string Unreachable = "127.0.0.1:1,connectTimeout=1000,connectRetry=0";

    public UnreachableRedisRig(
        int expectedInstances = 1, FakeTimeProvider? clock = null, IRateLimitStore? shared = null, StoreCircuitBreaker? breaker = null, StoreReadiness? readiness = null)
    {
        Clock = clock ?? ClockAt(T0 + MicrosPerSecond);
        Connection = new RedisConnection(Unreachable, TimeSpan.FromMilliseconds(200), BreakerSettings.Default, "resilience-tests:", NullLoggerFactory.Instance);
        Redis = new RedisRateLimitStore(Connection, new RedisKeys("resilience-tests:"));
        Instances = new InstanceRegistry(Connection, "resilience-tests:", Redis.InstanceId, expectedInstances, NullLogger<InstanceRegistry>.Instance);
        StoreClock = new StoreClock(new TimerlessClock(Clock));
        Fallback = new InMemoryRateLimitStore(StoreClock, 10_000, NullLogger<InMemoryRateLimitStore>.Instance);
        Ledger = new FallbackLedger();
        Decisions = new FailureModeDecisions(NullLogger<FailureModeDecisions>.Instance);
        Breaker = breaker ?? Connection.Breaker;
        Store = new ResilientRateLimitStore(
            shared ?? Redis,
            Breaker,
            readiness ?? StoreReadiness.Immediate(),
            new LocalFallback(Fallback, Ledger, Instances, StoreClock),
            new LateAnswers(Ledger, Releases, NullLogger<LateAnswers>.Instance),
            Decisions,
            NullLogger<ResilientRateLimitStore>.Instance);
        Reconciler = new FallbackReconciler(Ledger, Redis, Breaker, StoreClock, NullLogger<FallbackReconciler>.Instance);
    }

    public FakeTimeProvider Clock { get; }

    public RedisConnection Connection { get; }

    public RedisRateLimitStore Redis { get; }

    public InstanceRegistry Instances { get; }

    /// <summary>Redis's time as the rig's instance estimates it (never synchronized here: the rig's fake clock).</summary>
    public StoreClock StoreClock { get; }

    public InMemoryRateLimitStore Fallback { get; }

    public FallbackLedger Ledger { get; }

    public FailureModeDecisions Decisions { get; }

    /// <summary>The breaker the resilient store and the reconciler consult.</summary>
    public StoreCircuitBreaker Breaker { get; }

    public ResilientRateLimitStore Store { get; }

    /// <summary>Attached to <see cref="Breaker"/> (reconciles before it closes); its loop is not started.</summary>
    public FallbackReconciler Reconciler { get; }

    /// <summary>What late answers gave back.</summary>
    public ReleaseRecorder Releases { get; } = new();

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
        Reconciler.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Fallback.Dispose();
        Instances.Dispose();
        Connection.Dispose();
    }
}
