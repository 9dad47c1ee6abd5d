using System.Diagnostics.Metrics;

namespace Gateway.Observability;

/// <summary>
/// The limiter's instruments, on one <see cref="Meter"/> (<see cref="MeterName"/>) exported at <c>/metrics</c>.
/// Label sets are bounded by configuration: policy names and rule sources (<c>tier:free</c>, <c>override</c>), never
/// a subject. Adding to a counter without tags allocates nothing, so the lease hot path can count too.
/// </summary>
public static class GatewayMetrics
{
    public const string MeterName = "Gateway.RateLimiting";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Decisions by policy, rule source and outcome (allowed, limited, dry_run_limited, fallback_allowed, ...).</summary>
    public static readonly Counter<long> Decisions = Meter.CreateCounter<long>(
        "gateway.ratelimit.decisions", unit: "{decision}", description: "Rate limit decisions by policy, rule source and outcome.");

    /// <summary>Decisions answered from a local lease or cached refusal, without the store.</summary>
    public static readonly Counter<long> LeaseDecisions = Meter.CreateCounter<long>(
        "gateway.ratelimit.lease.decisions", unit: "{decision}", description: "Decisions served from a local lease or cached refusal, with no store call.");

    /// <summary>Calls to the shared store, by script.</summary>
    public static readonly Counter<long> StoreCalls = Meter.CreateCounter<long>(
        "gateway.ratelimit.store.calls", unit: "{call}", description: "Script calls to Redis, by script.");

    /// <summary>Store calls that failed or missed the deadline.</summary>
    public static readonly Counter<long> StoreErrors = Meter.CreateCounter<long>(
        "gateway.ratelimit.store.errors", unit: "{call}", description: "Redis calls that failed or missed the deadline.");

    /// <summary>Store calls that missed the deadline and answered later: what they did is accounted for, not lost.</summary>
    public static readonly Counter<long> LateAnswers = Meter.CreateCounter<long>(
        "gateway.ratelimit.store.late_answers", unit: "{call}", description: "Redis calls that missed the deadline and answered later, by script.");

    /// <summary>Permits late answers took in Redis, by what they went to: absorbed (paid for fallback admissions), leased, returned.</summary>
    public static readonly Counter<long> LatePermits = Meter.CreateCounter<long>(
        "gateway.ratelimit.store.late_permits", unit: "{permit}", description: "Permits taken by late answers: absorbed fallback admissions, leased, or returned to Redis.");

    /// <summary>Permits admitted on local fallback and then added to Redis's counters, or dropped.</summary>
    public static readonly Counter<long> ReconciledPermits = Meter.CreateCounter<long>(
        "gateway.ratelimit.fallback.reconciled_permits", unit: "{permit}", description: "Permits admitted on local fallback, by outcome: reconciled into Redis, or expired (their windows closed).");

    /// <summary>Permits admitted on local fallback that Redis will never count: the fallback ledger was full.</summary>
    public static readonly Counter<long> UnrecordedPermits = Meter.CreateCounter<long>(
        "gateway.ratelimit.fallback.unrecorded_permits", unit: "{permit}", description: "Permits admitted on local fallback and never counted in Redis: the fallback ledger was full.");

    /// <summary>Latency of store calls.</summary>
    public static readonly Histogram<double> StoreLatency = Meter.CreateHistogram<double>(
        "gateway.ratelimit.store.duration", unit: "ms", description: "Duration of Redis script calls.");

    private static Func<int> _circuitOpen = static () => 0;
    private static Func<int> _liveInstances = static () => 1;
    private static Func<double> _clockOffset = static () => 0;
    private static Func<long> _pendingPermits = static () => 0;

    static GatewayMetrics()
    {
        // Created once per process; the store that starts last is the one they read (one per process in production).
        Meter.CreateObservableGauge("gateway.ratelimit.store.circuit_open", static () => Volatile.Read(ref _circuitOpen)(),
            description: "1 while the store circuit is open (policies in their failure mode), else 0.");
        Meter.CreateObservableGauge("gateway.ratelimit.instances", static () => Volatile.Read(ref _liveInstances)(),
            unit: "{instance}", description: "Live gateway instances counted from heartbeats.");
        Meter.CreateObservableGauge("gateway.ratelimit.store.clock_offset", static () => Volatile.Read(ref _clockOffset)(),
            unit: "ms", description: "Redis's clock minus this gateway's, at the last heartbeat.");
        Meter.CreateObservableGauge("gateway.ratelimit.fallback.pending_permits", static () => Volatile.Read(ref _pendingPermits)(),
            unit: "{permit}", description: "Permits admitted on local fallback and not yet counted in Redis.");
    }

    /// <summary>Points the gauges at the Redis store's live state (circuit, live instances, clock offset, fallback ledger).</summary>
    public static void ObserveStore(Func<int> circuitOpen, Func<int> liveInstances, Func<double> clockOffsetMilliseconds, Func<long> pendingPermits)
    {
        Volatile.Write(ref _pendingPermits, pendingPermits);
        Volatile.Write(ref _circuitOpen, circuitOpen);
        Volatile.Write(ref _liveInstances, liveInstances);
        Volatile.Write(ref _clockOffset, clockOffsetMilliseconds);
    }
}
