using System.Diagnostics;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Observability;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// Counters in Redis (standalone or Cluster), shared by every gateway instance. A decision, or a lease of many
/// permits, is one script call (<c>acquire.lua</c>): it reads Redis's own clock, evaluates every rule and consumes
/// from all or none, so several instances together never admit more than one limiter would, and gateway clocks play
/// no part. Unused leased permits go back through <c>release.lua</c>.
/// </summary>
internal sealed class RedisRateLimitStore : IRateLimitStore, ILeaseSource
{
    private const int FirstRuleArgument = 7;

    private static readonly RedisScript AcquireScript = RedisScript.Load("acquire");
    private static readonly RedisScript ReleaseScript = RedisScript.Load("release");
    private static readonly RedisScript ReconcileScript = RedisScript.Load("reconcile");
    private static readonly RedisValue UseRedisClock = -1;

    private readonly RedisConnection _connection;
    private readonly RedisKeys _keys;
    private readonly TimeProvider? _testClock;

    public RedisRateLimitStore(RedisConnection connection, RedisKeys keys)
        : this(connection, keys, testClock: null)
    {
    }

    /// <summary>
    /// For the store contract tests only: they move a fake clock, which Redis cannot do. The script then takes the
    /// time from the call instead of <c>TIME</c>; the gateway itself never uses this constructor.
    /// </summary>
    internal RedisRateLimitStore(RedisConnection connection, RedisKeys keys, TimeProvider? testClock)
    {
        _connection = connection;
        _keys = keys;
        _testClock = testClock;
    }

    /// <summary>Names this instance in lease marks, so the store can tell holders apart.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public async ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        var (results, _, _, _) = await EvaluateAsync(
            request.PartitionKey, request.Rules, request.Cost, request.Cost, request.Consume, holdMicros: 0, stillHolding: false).ConfigureAwait(false);
        return new RateLimitDecision(request.Rules, results);
    }

    public async ValueTask<LeaseGrant> GrantAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        var (results, granted, storeTime, othersHoldFor) = await EvaluateAsync(
            request.PartitionKey, request.Rules, request.Need, request.Want, consume: true, request.HoldForMicroseconds, request.StillHolding)
            .ConfigureAwait(false);
        return new LeaseGrant(granted, results, storeTime, othersHoldFor);
    }

    public async ValueTask RefundAsync(RateLimitRequest request, DecisionBasis basis, CancellationToken cancellationToken) =>
        await ReleaseAsync(new LeaseRelease(request.PartitionKey, request.Rules, request.Cost, GrantedAtStoreTime: -1, LastLease: false), cancellationToken)
            .ConfigureAwait(false);

    public async Task ReleaseAsync(LeaseRelease release, CancellationToken cancellationToken)
    {
        var rules = release.Rules.Rules;
        var keys = new RedisKey[rules.Length + 1];
        var values = new RedisValue[5 + (4 * rules.Length)];
        values[0] = release.Count;
        values[1] = release.GrantedAtStoreTime;
        values[2] = Now();
        values[3] = InstanceId;
        values[4] = release.LastLease ? 1 : 0;
        for (var i = 0; i < rules.Length; i++)
        {
            keys[i] = _keys.ForRule(release.PartitionKey, rules[i]);
            WriteRule(values, 5 + (4 * i), rules[i]);
        }

        keys[^1] = _keys.ForLeaseMarks(release.PartitionKey);
        await CallAsync(ReleaseScript, keys, values).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds <paramref name="permits"/> admitted on local fallback, the first <paramref name="ageMicroseconds"/> ago, to
    /// the counters of windows still open (and takes them from buckets).
    /// </summary>
    /// <param name="whileCircuitOpen">True when called from the probe that is about to close the circuit.</param>
    public async Task ReconcileAsync(string partitionKey, RuleSet ruleSet, long permits, long ageMicroseconds, bool whileCircuitOpen = false)
    {
        var rules = ruleSet.Rules;
        var keys = new RedisKey[rules.Length];
        var values = new RedisValue[3 + (4 * rules.Length)];
        values[0] = permits;
        values[1] = ageMicroseconds;
        values[2] = Now();
        for (var i = 0; i < rules.Length; i++)
        {
            keys[i] = _keys.ForRule(partitionKey, rules[i]);
            WriteRule(values, 3 + (4 * i), rules[i]);
        }

        await CallAsync(ReconcileScript, keys, values, whileCircuitOpen).ConfigureAwait(false);
    }

    private async Task<(RuleResult[] Results, long Granted, long StoreTime, long OthersHoldFor)> EvaluateAsync(
        string partitionKey, RuleSet ruleSet, long need, long want, bool consume, long holdMicros, bool stillHolding)
    {
        var rules = ruleSet.Rules;
        var leasing = holdMicros > 0;
        var keys = new RedisKey[rules.Length + (leasing ? 1 : 0)];
        var values = new RedisValue[FirstRuleArgument + (4 * rules.Length)];
        values[0] = need;
        values[1] = consume ? 1 : 0;
        values[2] = Now();
        values[3] = want;
        values[4] = holdMicros;
        values[5] = leasing ? InstanceId : string.Empty;
        values[6] = stillHolding ? 1 : 0;
        for (var i = 0; i < rules.Length; i++)
        {
            keys[i] = _keys.ForRule(partitionKey, rules[i]);
            WriteRule(values, FirstRuleArgument + (4 * i), rules[i]);
        }

        if (leasing)
        {
            keys[^1] = _keys.ForLeaseMarks(partitionKey);
        }

        var reply = await CallAsync(AcquireScript, keys, values).ConfigureAwait(false);
        var fields = (RedisResult[])reply!;
        if (fields.Length != (4 * rules.Length) + 3)
        {
            throw new InvalidOperationException($"acquire.lua answered {fields.Length} values for {rules.Length} rules.");
        }

        var results = new RuleResult[rules.Length];
        for (var i = 0; i < rules.Length; i++)
        {
            results[i] = new RuleResult(
                Allowed: (long)fields[4 * i] == 1,
                Remaining: (long)fields[(4 * i) + 1],
                ResetAfter: (long)fields[(4 * i) + 2],
                RetryAfter: (long)fields[(4 * i) + 3]);
        }

        var tail = 4 * rules.Length;
        return (results, (long)fields[tail], (long)fields[tail + 1], (long)fields[tail + 2]);
    }

    /// <summary>
    /// One script call under the circuit breaker and our own deadline. Any failure to answer in time (a stalled or
    /// unreachable Redis, a Cluster without a primary for the slot) becomes <see cref="StoreUnavailableException"/>,
    /// for the policy's failure mode to handle; a call that outlives its deadline may still complete in Redis, which
    /// only ever counts a permit that nobody used (stricter, never looser).
    /// </summary>
    private async Task<RedisResult> CallAsync(RedisScript script, RedisKey[] keys, RedisValue[] values, bool whileCircuitOpen = false)
    {
        var breaker = _connection.Breaker;
        if (breaker.IsOpen && !whileCircuitOpen)
        {
            throw new StoreUnavailableException("The Redis circuit is open.");
        }

        if (!_connection.TryGetDatabase(out var database))
        {
            breaker.Open("not connected");
            throw new StoreUnavailableException("Redis is not connected yet.");
        }

        var started = Stopwatch.GetTimestamp();
        var scriptTag = new KeyValuePair<string, object?>("script", script.Name);
        GatewayMetrics.StoreCalls.Add(1, scriptTag);
        try
        {
            // Never from a replica: a decision must see every permit already taken. The deadline runs on real time:
            // it bounds real I/O, whatever clock decisions use.
            var reply = await script.EvaluateAsync(database, keys, values, CommandFlags.DemandMaster)
                .WaitAsync(_connection.Deadline, TimeProvider.System).ConfigureAwait(false);
            breaker.RecordSuccess();
            GatewayMetrics.StoreLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, scriptTag);
            return reply;
        }
        catch (Exception e) when (e is TimeoutException or RedisException or ObjectDisposedException)
        {
            GatewayMetrics.StoreErrors.Add(1, scriptTag);
            breaker.RecordFailure(e);
            throw new StoreUnavailableException($"Redis did not answer within {_connection.Deadline.TotalMilliseconds} ms: {e.Message}", e);
        }
    }

    private RedisValue Now() => _testClock is null ? UseRedisClock : UnixTime.NowMicroseconds(_testClock);

    private static void WriteRule(RedisValue[] values, int offset, RateLimitRule rule)
    {
        values[offset] = AlgorithmCode(rule.Algorithm);
        values[offset + 1] = rule.Limit;
        values[offset + 2] = rule.WindowMicroseconds;
        values[offset + 3] = rule.Burst;
    }

    private static int AlgorithmCode(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.FixedWindow => 1,
        RateLimitAlgorithm.SlidingWindow => 2,
        RateLimitAlgorithm.TokenBucket => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
