using Gateway.Limiting.Leasing;
using Gateway.Limiting.Overrides;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
using Gateway.Observability;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Limiting;

/// <summary>Adds the limiter: the settings snapshot (validated now, so a bad config never starts), and the store.</summary>
public static class RateLimitingServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services, RateLimitingSettings settings)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new RateLimitingSettingsProvider(
            sp.GetRequiredService<IConfiguration>(), settings, sp.GetRequiredService<ILogger<RateLimitingSettingsProvider>>()));
        if (settings.Store.Kind == StoreKind.Redis)
        {
            AddRedisStore(services, settings.Store);
            return services;
        }

        services.AddSingleton(sp => new InMemoryRateLimitStore(
            sp.GetRequiredService<TimeProvider>(),
            settings.Store.InMemoryMaxPartitions,
            sp.GetRequiredService<ILogger<InMemoryRateLimitStore>>()));
        services.AddSingleton<IRateLimitStore>(sp => sp.GetRequiredService<InMemoryRateLimitStore>());
        services.AddSingleton<ILimitsControlStore>(sp => new InMemoryLimitsControlStore(sp.GetRequiredService<InMemoryRateLimitStore>()));
        AddOverrides(services, reset: static (sp, partitionKey) => sp.GetRequiredService<InMemoryRateLimitStore>().Reset(partitionKey));
        return services;
    }

    /// <summary>
    /// Redis, behind leases (unless turned off), behind the failure handling: circuit breaker, deadline, local
    /// fallback with reconciliation, live-instance heartbeats.
    /// </summary>
    private static void AddRedisStore(IServiceCollection services, StoreSettings store)
    {
        services.AddSingleton(sp => new RedisConnection(store.RedisConfiguration!, store.RedisDeadline, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new RedisRateLimitStore(sp.GetRequiredService<RedisConnection>(), new RedisKeys(store.RedisKeyPrefix)));
        services.AddSingleton(sp => new InstanceRegistry(
            sp.GetRequiredService<RedisConnection>(),
            store.RedisKeyPrefix,
            sp.GetRequiredService<RedisRateLimitStore>().InstanceId,
            store.ExpectedInstances,
            sp.GetRequiredService<ILogger<InstanceRegistry>>()));
        if (store.Leases.Enabled)
        {
            services.AddSingleton(sp =>
            {
                var redis = sp.GetRequiredService<RedisRateLimitStore>();
                return new LeasingRateLimitStore(
                    redis, redis, store.Leases, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeasingRateLimitStore>>());
            });
        }

        services.AddSingleton(sp => new ResilientRateLimitStore(
            store.Leases.Enabled ? sp.GetRequiredService<LeasingRateLimitStore>() : sp.GetRequiredService<RedisRateLimitStore>(),
            sp.GetRequiredService<RedisRateLimitStore>(),
            sp.GetRequiredService<RedisConnection>().Breaker,
            sp.GetRequiredService<InstanceRegistry>(),
            new InMemoryRateLimitStore(sp.GetRequiredService<TimeProvider>(), store.InMemoryMaxPartitions, sp.GetRequiredService<ILogger<InMemoryRateLimitStore>>()),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ResilientRateLimitStore>>()));
        services.AddSingleton<IRateLimitStore>(sp =>
        {
            // Heartbeats start with the store.
            var instances = sp.GetRequiredService<InstanceRegistry>();
            var breaker = sp.GetRequiredService<RedisConnection>().Breaker;
            GatewayMetrics.ObserveStore(() => breaker.IsOpen ? 1 : 0, () => instances.LiveInstances, () => instances.ClockOffset.TotalMilliseconds);
            return sp.GetRequiredService<ResilientRateLimitStore>();
        });
        services.AddSingleton<ILimitsControlStore>(sp => new RedisLimitsControlStore(
            sp.GetRequiredService<RedisConnection>(), new RedisKeys(store.RedisKeyPrefix), store.RedisKeyPrefix));
        AddOverrides(services, reset: static (sp, partitionKey) => sp.GetRequiredService<ResilientRateLimitStore>().Invalidate(partitionKey));
    }

    /// <summary>Runtime overrides, and what a reset announced by any instance drops here.</summary>
    private static void AddOverrides(IServiceCollection services, Action<IServiceProvider, string> reset) =>
        services.AddSingleton(sp =>
        {
            var registry = new OverrideRegistry(
                sp.GetRequiredService<ILimitsControlStore>(),
                sp.GetRequiredService<RateLimitingSettingsProvider>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<OverrideRegistry>>());
            registry.PartitionReset += partitionKey => reset(sp, partitionKey);
            return registry;
        });
}
