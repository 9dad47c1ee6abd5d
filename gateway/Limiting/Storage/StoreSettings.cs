using Gateway.Limiting.Leasing;
using Gateway.Limiting.Resilience;

namespace Gateway.Limiting.Storage;

/// <summary>Section <c>RateLimiting:Store</c>. Read at start-up; a reload that changes it is logged and ignored.</summary>
/// <param name="Kind">The store in use.</param>
/// <param name="InMemoryMaxPartitions">
/// Bound on partitions (policy x subject) the in-memory store keeps. Past it, partitions closest to expiry are
/// evicted first, so a flood of distinct subjects costs bounded memory.
/// </param>
/// <param name="RedisConfiguration">StackExchange.Redis configuration string (<c>host:port,host:port,password=...</c>).</param>
/// <param name="RedisKeyPrefix">Prefix of every key, so several deployments can share one Redis.</param>
/// <param name="Leases">Local quota leases in front of the Redis store.</param>
public sealed record StoreSettings(StoreKind Kind, int InMemoryMaxPartitions, string? RedisConfiguration, string RedisKeyPrefix, LeaseSettings Leases)
{
    /// <summary>The longest a request waits on Redis before its policy's failure mode answers.</summary>
    public TimeSpan RedisDeadline { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The fewest instances local fallback divides limits by: it divides by the largest of this and the live counts of
    /// the last 30 heartbeats.
    /// </summary>
    public int ExpectedInstances { get; init; } = 1;

    /// <summary>How long the warm start waits for Redis before the gateway serves in its failure mode (<c>/readyz</c> Degraded).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>When failed calls open the circuit.</summary>
    public BreakerSettings Breaker { get; init; } = BreakerSettings.Default;
}
