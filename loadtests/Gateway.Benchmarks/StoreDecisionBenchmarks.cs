using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>
/// The cost of one rate-limit decision: the in-memory store; the Redis store in exact mode (one script call per
/// decision); and the Redis store behind quota leases, where a decision is served from a live lease. The lease
/// benchmarks allow leases of up to a million permits, so refills (one script call each, asynchronous, started at
/// the low watermark) are too rare to show and what is measured is the hot path itself. The Redis benchmarks need
/// a Redis on loopback: GATEWAY_BENCH_REDIS (default 127.0.0.1:6379).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class StoreDecisionBenchmarks
{
    private InMemoryRateLimitStore _inMemory = null!;
    private RedisConnection _redisConnection = null!;
    private RedisRateLimitStore _redis = null!;
    private LeasingRateLimitStore _leased = null!;
    private RateLimitRequest _oneRule;
    private RateLimitRequest _threeRules;

    [GlobalSetup]
    public void Setup()
    {
        _inMemory = new InMemoryRateLimitStore(TimeProvider.System, 100_000, NullLogger<InMemoryRateLimitStore>.Instance);
        _redisConnection = new RedisConnection(Environment.GetEnvironmentVariable("GATEWAY_BENCH_REDIS") ?? "127.0.0.1:6379");
        _redis = new RedisRateLimitStore(_redisConnection, new RedisKeys("bench:"));
        var leases = LeaseSettings.Default with { MaxLeaseSize = 1_000_000 };
        _leased = new LeasingRateLimitStore(_redis, _redis, leases, TimeProvider.System, NullLogger<LeasingRateLimitStore>.Instance);

        // Limits so large nothing is ever refused: the benchmark measures the admitting path.
        var one = new RuleSet("bench", "bench", [new RateLimitRule("bench-1h", RateLimitAlgorithm.FixedWindow, long.MaxValue / 4, TimeSpan.FromHours(1), 1)]);
        var three = new RuleSet("bench", "bench", ImmutableArray.Create(
            new RateLimitRule("bench-1s", RateLimitAlgorithm.TokenBucket, 1_000_000_000, TimeSpan.FromSeconds(1), 1_000_000_000),
            new RateLimitRule("bench-1m", RateLimitAlgorithm.SlidingWindow, long.MaxValue / 4, TimeSpan.FromMinutes(1), 1),
            new RateLimitRule("bench-1d", RateLimitAlgorithm.FixedWindow, long.MaxValue / 4, TimeSpan.FromDays(1), 1)));
        _oneRule = new RateLimitRequest("bench|u:one", one, 1);
        _threeRules = new RateLimitRequest("bench|u:three", three, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inMemory.Dispose();
        _leased.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redisConnection.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<RateLimitDecision> InMemory_OneRule() => _inMemory.AcquireAsync(_oneRule, default);

    [Benchmark]
    public ValueTask<RateLimitDecision> InMemory_ThreeRules() => _inMemory.AcquireAsync(_threeRules, default);

    [Benchmark]
    public ValueTask<RateLimitDecision> Leased_OneRule() => _leased.AcquireAsync(_oneRule, default);

    [Benchmark]
    public ValueTask<RateLimitDecision> Leased_ThreeRules() => _leased.AcquireAsync(_threeRules, default);

    [Benchmark]
    public ValueTask<RateLimitDecision> Redis_OneRule() => _redis.AcquireAsync(_oneRule, default);

    [Benchmark]
    public ValueTask<RateLimitDecision> Redis_ThreeRules() => _redis.AcquireAsync(_threeRules, default);
}
