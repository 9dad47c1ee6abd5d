using Gateway.Limiting.Leasing;
using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
using Gateway.Limiting.Storage.Redis;
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
            services.AddSingleton(_ => new RedisConnection(settings.Store.RedisConfiguration!));
            services.AddSingleton(sp => new RedisRateLimitStore(sp.GetRequiredService<RedisConnection>(), new RedisKeys(settings.Store.RedisKeyPrefix)));
        }

        if (settings.Store.Kind == StoreKind.Redis && settings.Store.Leases.Enabled)
        {
            services.AddSingleton(sp =>
            {
                var redis = sp.GetRequiredService<RedisRateLimitStore>();
                return new LeasingRateLimitStore(
                    redis, redis, settings.Store.Leases, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeasingRateLimitStore>>());
            });
            services.AddSingleton<IRateLimitStore>(sp => sp.GetRequiredService<LeasingRateLimitStore>());
            return services;
        }

        services.AddSingleton<IRateLimitStore>(sp => settings.Store.Kind switch
        {
            StoreKind.InMemory => new InMemoryRateLimitStore(
                sp.GetRequiredService<TimeProvider>(),
                settings.Store.InMemoryMaxPartitions,
                sp.GetRequiredService<ILogger<InMemoryRateLimitStore>>()),
            StoreKind.Redis => sp.GetRequiredService<RedisRateLimitStore>(),
            _ => throw new InvalidOperationException($"Store kind {settings.Store.Kind} is not available."),
        });
        return services;
    }
}
