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
/// no part. Unused leased permits go back through <c>release.lua</c>; permits admitted on local fallback are added
/// through <c>reconcile.lua</c>.
/// </summary>
internal sealed class RedisRateLimitStore : IRateLimitStore, ILeaseSource
{
    private const int FirstRuleArgument = 7;

    /// <summary>How many more deadlines a late call may take while Redis has been punctual (see <see cref="WithinDeadlineAsync"/>).</summary>
    private const int GraceDeadlines = 3;

    private static readonly RedisValue UseRedisClock = -1;

    /// <summary>The partition the warm start exercises: '~' is not allowed in policy names, so no real key can collide.</summary>
    private static readonly RuleSet WarmUpRules = new("~warmup", "warm-up", [new RateLimitRule("~warmup-1s", RateLimitAlgorithm.FixedWindow, 1000, TimeSpan.FromSeconds(1), 1000)]);

    private readonly RedisConnection _connection;
    private readonly RedisKeys _keys;
    private readonly StoreClock? _storeClock;
    private readonly TimeProvider? _testClock;

    public RedisRateLimitStore(RedisConnection connection, RedisKeys keys, StoreClock? storeClock = null)
        : this(connection, keys, storeClock, testClock: null)
    {
    }

    /// <summary>
    /// For the store contract tests only: they move a fake clock, which Redis cannot do. The script then takes the
    /// time from the call instead of <c>TIME</c>; the gateway itself never uses this constructor.
    /// </summary>
    internal RedisRateLimitStore(RedisConnection connection, RedisKeys keys, StoreClock? storeClock, TimeProvider? testClock)
    {
        _connection = connection;
        _keys = keys;
        _storeClock = storeClock;
        _testClock = testClock;
    }

    /// <summary>Names this instance in lease marks, so the store can tell holders apart.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public async ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        var grant = await EvaluateAsync(request.PartitionKey, request.Rules, request.Cost, request.Cost, request.Consume, holdMicros: 0, stillHolding: false)
            .ConfigureAwait(false);
        return new RateLimitDecision(request.Rules, grant.Results);
    }

    public async ValueTask<LeaseGrant> GrantAsync(LeaseRequest request, CancellationToken cancellationToken) =>
        await EvaluateAsync(request.PartitionKey, request.Rules, request.Need, request.Want, consume: true, request.HoldForMicroseconds, request.StillHolding)
            .ConfigureAwait(false);

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
        await CallAsync(RedisScripts.Release, keys, values, static reply => reply).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the permits of a ledger entry, admitted on local fallback at Redis time <see cref="LedgerEntry.At"/>, to the
    /// counters of the windows they were admitted in, if those still matter (and takes them from buckets).
    /// </summary>
    /// <param name="entry">What to add.</param>
    /// <param name="whileCircuitOpen">True when called from the probe that is about to close the circuit.</param>
    public async Task ReconcileAsync(LedgerEntry entry, bool whileCircuitOpen = false)
    {
        var rules = entry.Rules.Rules;
        var keys = new RedisKey[rules.Length];
        var values = new RedisValue[3 + (4 * rules.Length)];
        values[0] = entry.Permits;
        values[1] = entry.At;
        values[2] = Now();
        for (var i = 0; i < rules.Length; i++)
        {
            keys[i] = _keys.ForRule(entry.PartitionKey, rules[i]);
            WriteRule(values, 3 + (4 * i), rules[i]);
        }

        await CallAsync(RedisScripts.Reconcile, keys, values, static reply => reply, whileCircuitOpen).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs every script once on a partition of this instance's own (keys that expire within a second), so the first
    /// real decision finds the code paths compiled: part of the warm start, after the probe closed the circuit.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var partition = "~warmup|" + InstanceId;
        var grant = await GrantAsync(new LeaseRequest(partition, WarmUpRules, 1, 2, 1_000_000, StillHolding: false), cancellationToken).ConfigureAwait(false);
        await AcquireAsync(new RateLimitRequest(partition, WarmUpRules, 1, Consume: false), cancellationToken).ConfigureAwait(false);
        await ReleaseAsync(new LeaseRelease(partition, WarmUpRules, grant.Granted, grant.StoreTime, LastLease: true), cancellationToken).ConfigureAwait(false);
        await ReconcileAsync(new LedgerEntry(partition, WarmUpRules, 1, grant.StoreTime, grant.StoreTime)).ConfigureAwait(false);
    }

    private async Task<LeaseGrant> EvaluateAsync(
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

        return await CallAsync(RedisScripts.Acquire, keys, values, reply => ParseGrant(reply, rules.Length)).ConfigureAwait(false);
    }

    private LeaseGrant ParseGrant(RedisResult reply, int ruleCount)
    {
        var fields = (RedisResult[])reply!;
        if (fields.Length != (4 * ruleCount) + 3)
        {
            throw new InvalidOperationException($"acquire.lua answered {fields.Length} values for {ruleCount} rules.");
        }

        var results = new RuleResult[ruleCount];
        for (var i = 0; i < ruleCount; i++)
        {
            results[i] = new RuleResult(
                Allowed: (long)fields[4 * i] == 1,
                Remaining: (long)fields[(4 * i) + 1],
                ResetAfter: (long)fields[(4 * i) + 2],
                RetryAfter: (long)fields[(4 * i) + 3]);
        }

        var tail = 4 * ruleCount;
        var storeTime = (long)fields[tail + 1];
        _storeClock?.Observe(storeTime);
        return new LeaseGrant((long)fields[tail], results, storeTime, (long)fields[tail + 2]);
    }

    /// <summary>
    /// One script call under the circuit breaker and our own deadline. A call that fails, or is still unanswered at the
    /// deadline, becomes <see cref="StoreUnavailableException"/> for the policy's failure mode to handle; one past the
    /// deadline becomes <see cref="StoreDeadlineExceededException"/>, which carries the call on, so what it does in Redis
    /// when it does answer is accounted for by the caller instead of lost. An answer that arrived in time but was
    /// noticed late (this process, not Redis, was slow) is used as if on time.
    /// </summary>
    private async Task<T> CallAsync<T>(RedisScript script, RedisKey[] keys, RedisValue[] values, Func<RedisResult, T> parse, bool whileCircuitOpen = false)
    {
        var breaker = _connection.Breaker;
        if (breaker.IsOpen && !whileCircuitOpen)
        {
            throw new StoreUnavailableException("The Redis circuit is open.");
        }

        if (!_connection.TryGetDatabase(out var database))
        {
            throw new StoreUnavailableException("Redis is not connected yet.");
        }

        var started = Stopwatch.GetTimestamp();
        var scriptTag = new KeyValuePair<string, object?>("script", script.Name);
        GatewayMetrics.StoreCalls.Add(1, scriptTag);
        RedisResult reply;
        try
        {
            // Never from a replica: a decision must see every permit already taken.
            try
            {
                var call = script.EvaluateAsync(database, keys, values, CommandFlags.DemandMaster);
                reply = await WithinDeadlineAsync(call, _connection.Deadline, parse, scriptTag, started).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (RedisScript.IsNoScript(e))
            {
                // A node that lost its scripts: the body once (which loads it there), in what is left of the deadline.
                var left = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (_connection.Deadline - Stopwatch.GetElapsedTime(started)).Ticks));
                var call = script.EvaluateBodyAsync(database, keys, values, CommandFlags.DemandMaster);
                reply = await WithinDeadlineAsync(call, left, parse, scriptTag, started).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException or ObjectDisposedException)
        {
            GatewayMetrics.StoreErrors.Add(1, scriptTag);
            breaker.RecordFailure(e);
            throw new StoreUnavailableException($"Redis call failed: {e.Message}", e);
        }

        breaker.RecordSuccess();
        GatewayMetrics.StoreLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, scriptTag);
        return parse(reply);
    }

    /// <summary>
    /// The reply of <paramref name="call"/> if Redis answered within the deadline. Waiting ends at the deadline, but the
    /// verdict is the call's own state: a reply the client read in time counts even when this process was too busy to
    /// notice it before the timer fired.
    /// </summary>
    private async Task<RedisResult> WithinDeadlineAsync<T>(
        Task<RedisResult> call, TimeSpan deadline, Func<RedisResult, T> parse, KeyValuePair<string, object?> scriptTag, long started)
    {
        try
        {
            // The deadline runs on real time: it bounds real I/O, whatever clock decisions use.
            return await call.WaitAsync(deadline, TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException) when (call.IsCompletedSuccessfully)
        {
            return call.Result;
        }
        catch (TimeoutException e) when (e is not RedisTimeoutException)
        {
            GatewayMetrics.StoreErrors.Add(1, scriptTag);
            // Late either way: the breaker counts it. But a first late answer after punctual ones is more likely a busy
            // moment (a GC, a cold JIT, a host short of CPU) than an outage: it gets a grace before the request is
            // decided without Redis. Once late calls are common, none does, and the deadline holds.
            var punctual = _connection.Breaker.IsPunctual;
            _connection.Breaker.RecordFailure(e);
            if (punctual && await AnswersWithinAsync(call, _connection.Deadline * GraceDeadlines).ConfigureAwait(false))
            {
                GatewayMetrics.LateAnswers.Add(1, scriptTag);
                return call.Result;
            }

            var answer = ParseWhenAnsweredAsync(call, parse, scriptTag, started);
            // Nobody may ever await it (a release's answer): observe its failure, so it is not an unobserved exception.
            _ = answer.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw new StoreDeadlineExceededException($"Redis did not answer within {_connection.Deadline.TotalMilliseconds} ms.", e, answer);
        }
    }

    private static async Task<bool> AnswersWithinAsync(Task<RedisResult> call, TimeSpan grace)
    {
        try
        {
            await call.WaitAsync(grace, TimeProvider.System).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return call.IsCompletedSuccessfully;
        }
    }

    private static async Task<T> ParseWhenAnsweredAsync<T>(Task<RedisResult> call, Func<RedisResult, T> parse, KeyValuePair<string, object?> scriptTag, long started)
    {
        var reply = await call.ConfigureAwait(false);
        // How late, in the same histogram as answers in time: its tail shows what the deadline cut.
        GatewayMetrics.StoreLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, scriptTag);
        GatewayMetrics.LateAnswers.Add(1, scriptTag);
        return parse(reply);
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
