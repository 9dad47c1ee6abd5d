using System.Collections.Frozen;
using Gateway.Hosting;
using Gateway.Limiting.Leasing;
using Gateway.Limiting.Resilience;
using static Gateway.Hosting.ConfigurationValues;

namespace Gateway.Limiting.Storage;

/// <summary>Reads and validates <c>RateLimiting:Store</c>: the store, its Redis connection and breaker, and leases.</summary>
internal static class StoreSettingsReader
{
    private static readonly FrozenSet<string> StoreKeys = Keys("Kind", "InMemory", "Redis", "Leases");
    private static readonly FrozenSet<string> LeaseKeys = Keys("Enabled", "MaxLeaseSize", "Coverage", "Duration", "MaxKeys");
    private static readonly FrozenSet<string> RedisKeys = Keys("Configuration", "KeyPrefix", "Deadline", "ExpectedInstances", "StartupTimeout", "Breaker");
    private static readonly FrozenSet<string> BreakerKeys = Keys("FailureRatio", "MinimumCalls", "SamplingWindow");
    private static readonly FrozenSet<string> InMemoryKeys = Keys("MaxPartitions");

    public static StoreSettings Read(IConfigurationSection section, ConfigurationErrors errors)
    {
        RejectUnknownKeys(section, StoreKeys, errors);
        var inMemory = section.GetSection("InMemory");
        RejectUnknownKeys(inMemory, InMemoryKeys, errors);
        var maxPartitions = ReadPositiveLong(inMemory, "MaxPartitions", 200_000, errors);
        if (maxPartitions > 50_000_000)
        {
            errors.Add(Combine(inMemory.Path, "MaxPartitions"), "must be at most 50000000");
        }

        var kind = ReadEnum<StoreKind>(section, "Kind", StoreKind.InMemory, errors);
        var redis = section.GetSection("Redis");
        RejectUnknownKeys(redis, RedisKeys, errors);
        var redisConfiguration = redis["Configuration"];
        if (kind == StoreKind.Redis && string.IsNullOrWhiteSpace(redisConfiguration))
        {
            errors.Add(Combine(redis.Path, "Configuration"), "is required when RateLimiting:Store:Kind is Redis (e.g. 127.0.0.1:6379)");
        }
        else if (!string.IsNullOrWhiteSpace(redisConfiguration))
        {
            try
            {
                // Parsed now, so a typo stops start-up naming the key instead of failing on the first request.
                if (StackExchange.Redis.ConfigurationOptions.Parse(redisConfiguration).EndPoints.Count == 0)
                {
                    errors.Add(Combine(redis.Path, "Configuration"), $"names no server (host:port), got '{redisConfiguration}'");
                }
            }
            catch (ArgumentException e)
            {
                errors.Add(Combine(redis.Path, "Configuration"), $"is not a StackExchange.Redis configuration string: {e.Message}");
            }
        }

        var prefix = redis["KeyPrefix"] ?? "rl:";
        if (prefix.IndexOfAny(['{', '}']) >= 0 || prefix.Any(char.IsWhiteSpace))
        {
            errors.Add(Combine(redis.Path, "KeyPrefix"), $"must not contain braces or spaces, got '{prefix}'");
        }

        var deadline = ReadDuration(redis, "Deadline", TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(30), errors);
        var expectedInstances = ReadPositiveLong(redis, "ExpectedInstances", 1, errors);
        if (expectedInstances > 10_000)
        {
            errors.Add(Combine(redis.Path, "ExpectedInstances"), "must be at most 10000");
        }

        return new StoreSettings(kind, (int)Math.Min(maxPartitions, 50_000_000), redisConfiguration, prefix, ReadLeases(section.GetSection("Leases"), errors))
        {
            RedisDeadline = deadline,
            ExpectedInstances = (int)Math.Min(expectedInstances, 10_000),
            StartupTimeout = ReadDuration(redis, "StartupTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10), errors),
            Breaker = ReadBreaker(redis.GetSection("Breaker"), errors),
        };
    }

    private static BreakerSettings ReadBreaker(IConfigurationSection section, ConfigurationErrors errors)
    {
        RejectUnknownKeys(section, BreakerKeys, errors);
        var defaults = BreakerSettings.Default;
        var minimumCalls = ReadPositiveLong(section, "MinimumCalls", defaults.MinimumCalls, errors);
        if (minimumCalls > 1_000_000)
        {
            errors.Add(Combine(section.Path, "MinimumCalls"), "must be at most 1000000");
        }

        var window = ReadDuration(section, "SamplingWindow", defaults.SamplingWindow, TimeSpan.FromMinutes(10), errors);
        if (window < TimeSpan.FromMilliseconds(100))
        {
            errors.Add(Combine(section.Path, "SamplingWindow"), "must be at least 100ms");
        }

        return new BreakerSettings(ReadFraction(section, "FailureRatio", defaults.FailureRatio, errors), (int)Math.Min(minimumCalls, 1_000_000), window);
    }

    private static LeaseSettings ReadLeases(IConfigurationSection section, ConfigurationErrors errors)
    {
        RejectUnknownKeys(section, LeaseKeys, errors);
        var defaults = LeaseSettings.Default;
        var maxLeaseSize = ReadPositiveLong(section, "MaxLeaseSize", defaults.MaxLeaseSize, errors);
        if (maxLeaseSize > 1_000_000)
        {
            errors.Add(Combine(section.Path, "MaxLeaseSize"), "must be at most 1000000");
        }

        var maxKeys = ReadPositiveLong(section, "MaxKeys", defaults.MaxKeys, errors);
        if (maxKeys > 50_000_000)
        {
            errors.Add(Combine(section.Path, "MaxKeys"), "must be at most 50000000");
        }

        return new LeaseSettings(
            Enabled: ReadBool(section, "Enabled", defaults.Enabled, errors),
            MaxLeaseSize: maxLeaseSize,
            Coverage: ReadDuration(section, "Coverage", defaults.Coverage, TimeSpan.FromMinutes(1), errors),
            Duration: ReadDuration(section, "Duration", defaults.Duration, TimeSpan.FromMinutes(5), errors),
            MaxKeys: (int)Math.Min(maxKeys, 50_000_000));
    }
}
