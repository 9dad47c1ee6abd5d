using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>The three stores the contract suite runs against.</summary>
public enum StoreKindUnderTest
{
    InMemory,
    RedisStandalone,
    RedisCluster,
}

public static class StoreUnderTest
{
    public static TheoryData<StoreKindUnderTest> All() =>
        new() { StoreKindUnderTest.InMemory, StoreKindUnderTest.RedisStandalone, StoreKindUnderTest.RedisCluster };

    /// <summary>A store on the given clock. Redis stores take the time from the call (test-only) so the clock can move.</summary>
    internal static IRateLimitStore Create(StoreKindUnderTest kind, TimeProvider clock) => kind switch
    {
        StoreKindUnderTest.InMemory => new InMemoryRateLimitStore(clock, 10_000, NullLogger<InMemoryRateLimitStore>.Instance),
        StoreKindUnderTest.RedisStandalone => new RedisRateLimitStore(RedisTestServers.Connection(cluster: false), new RedisKeys(RedisTestServers.KeyPrefix), storeClock: null, clock),
        StoreKindUnderTest.RedisCluster => new RedisRateLimitStore(RedisTestServers.Connection(cluster: true), new RedisKeys(RedisTestServers.KeyPrefix), storeClock: null, clock),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
