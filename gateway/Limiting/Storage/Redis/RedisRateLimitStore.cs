using Gateway.Limiting.Policies;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// Counters in Redis (standalone or Cluster), shared by every gateway instance. One decision is one script call
/// (<c>acquire.lua</c>): it reads Redis's own clock, evaluates every rule and consumes from all or none, so several
/// instances together admit exactly what one limiter would, and gateway clocks play no part.
/// </summary>
internal sealed class RedisRateLimitStore : IRateLimitStore
{
    private static readonly RedisScript AcquireScript = RedisScript.Load("acquire");
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

    public async ValueTask<RateLimitDecision> AcquireAsync(RateLimitRequest request, CancellationToken cancellationToken)
    {
        var rules = request.Rules.Rules;
        var keys = new RedisKey[rules.Length];
        var values = new RedisValue[3 + (4 * rules.Length)];
        values[0] = request.Cost;
        values[1] = request.Consume ? 1 : 0;
        values[2] = _testClock is null ? UseRedisClock : UnixTime.NowMicroseconds(_testClock);
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = rules[i];
            keys[i] = _keys.ForRule(request.PartitionKey, rule);
            values[3 + (4 * i)] = AlgorithmCode(rule.Algorithm);
            values[4 + (4 * i)] = rule.Limit;
            values[5 + (4 * i)] = rule.WindowMicroseconds;
            values[6 + (4 * i)] = rule.Burst;
        }

        // Never from a replica: a decision must see every permit already taken.
        var reply = await AcquireScript.EvaluateAsync(_connection.Database, keys, values, CommandFlags.DemandMaster).ConfigureAwait(false);
        var fields = (RedisResult[])reply!;
        if (fields.Length != 4 * rules.Length)
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

        return new RateLimitDecision(request.Rules, results);
    }

    private static int AlgorithmCode(RateLimitAlgorithm algorithm) => algorithm switch
    {
        RateLimitAlgorithm.FixedWindow => 1,
        RateLimitAlgorithm.SlidingWindow => 2,
        RateLimitAlgorithm.TokenBucket => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
