using Gateway.Limiting.Leasing;

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

    /// <summary>The instance count local fallback divides limits by until heartbeats have counted the live instances.</summary>
    public int ExpectedInstances { get; init; } = 1;
}
