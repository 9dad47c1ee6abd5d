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
        services.AddSingleton(settings.Store);
        services.AddSingleton(sp => new RateLimitingSettingsProvider(
            sp.GetRequiredService<IConfiguration>(), settings, sp.GetRequiredService<ILogger<RateLimitingSettingsProvider>>()));
        if (settings.Store.Kind == StoreKind.Redis)
        {
            AddRedisStore(services, settings.Store);
            return services;
        }

        services.AddSingleton(StoreReadiness.Immediate());
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
    /// Redis, behind leases (unless turned off), behind the failure handling: warm start, circuit breaker, deadline with
    /// late answers accounted, local fallback with its ledger and continuous reconciliation, live-instance heartbeats.
    /// </summary>
    private static void AddRedisStore(IServiceCollection services, StoreSettings store)
    {
        services.AddSingleton(StoreReadiness.Pending());
        services.AddSingleton(sp => new StoreClock(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RedisConnection(
            store.RedisConfiguration!, store.RedisDeadline, store.Breaker, store.RedisKeyPrefix, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new RedisRateLimitStore(
            sp.GetRequiredService<RedisConnection>(), new RedisKeys(store.RedisKeyPrefix), sp.GetRequiredService<StoreClock>()));
        services.AddSingleton(sp => new InstanceRegistry(
            sp.GetRequiredService<RedisConnection>(),
            store.RedisKeyPrefix,
            sp.GetRequiredService<RedisRateLimitStore>().InstanceId,
            store.ExpectedInstances,
            sp.GetRequiredService<ILogger<InstanceRegistry>>(),
            sp.GetRequiredService<StoreClock>()));
        services.AddSingleton<FallbackLedger>();
        services.AddSingleton<FailureModeDecisions>();
        services.AddSingleton(sp =>
        {
            // The fallback counts in Redis's windows, as far as this instance can tell Redis's time.
            var clock = sp.GetRequiredService<StoreClock>();
            return new LocalFallback(
                new InMemoryRateLimitStore(clock, store.InMemoryMaxPartitions, sp.GetRequiredService<ILogger<InMemoryRateLimitStore>>()),
                sp.GetRequiredService<FallbackLedger>(),
                sp.GetRequiredService<InstanceRegistry>(),
                clock);
        });
        services.AddSingleton(sp => new LateAnswers(
            sp.GetRequiredService<FallbackLedger>(), sp.GetRequiredService<RedisRateLimitStore>(), sp.GetRequiredService<ILogger<LateAnswers>>()));
        if (store.Leases.Enabled)
        {
            services.AddSingleton(sp =>
            {
                var redis = sp.GetRequiredService<RedisRateLimitStore>();
                return new LeasingRateLimitStore(
                    redis,
                    redis,
                    store.Leases,
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<LeasingRateLimitStore>>(),
                    sp.GetRequiredService<FallbackLedger>());
            });
        }

        services.AddSingleton(sp => new ResilientRateLimitStore(
            store.Leases.Enabled ? sp.GetRequiredService<LeasingRateLimitStore>() : sp.GetRequiredService<RedisRateLimitStore>(),
            sp.GetRequiredService<RedisConnection>().Breaker,
            sp.GetRequiredService<StoreReadiness>(),
            sp.GetRequiredService<LocalFallback>(),
            sp.GetRequiredService<LateAnswers>(),
            sp.GetRequiredService<FailureModeDecisions>(),
            sp.GetRequiredService<ILogger<ResilientRateLimitStore>>()));
        services.AddSingleton<IRateLimitStore>(sp =>
        {
            var instances = sp.GetRequiredService<InstanceRegistry>();
            var breaker = sp.GetRequiredService<RedisConnection>().Breaker;
            var ledger = sp.GetRequiredService<FallbackLedger>();
            GatewayMetrics.ObserveStore(
                () => breaker.IsOpen ? 1 : 0, () => instances.LiveInstances, () => instances.ClockOffset.TotalMilliseconds, () => ledger.PendingPermits);
            return sp.GetRequiredService<ResilientRateLimitStore>();
        });
        services.AddSingleton<ILimitsControlStore>(sp => new RedisLimitsControlStore(
            sp.GetRequiredService<RedisConnection>(), new RedisKeys(store.RedisKeyPrefix), store.RedisKeyPrefix));
        AddOverrides(services, reset: static (sp, partitionKey) => sp.GetRequiredService<ResilientRateLimitStore>().Invalidate(partitionKey));

        // Background work, started in this order: the warm start (which resolves the store and everything it needs),
        // then continuous reconciliation. Disposed in reverse creation order: the reconciler's last flush and the
        // leases' returns run before the Redis connection they were built on closes.
        services.AddHostedService<StoreWarmup>();
        services.AddSingleton(sp => new FallbackReconciler(
            sp.GetRequiredService<FallbackLedger>(),
            sp.GetRequiredService<RedisRateLimitStore>(),
            sp.GetRequiredService<RedisConnection>().Breaker,
            sp.GetRequiredService<StoreClock>(),
            sp.GetRequiredService<ILogger<FallbackReconciler>>()));
        services.AddHostedService(sp => sp.GetRequiredService<FallbackReconciler>());
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
