using Gateway.Limiting.Policies;
using Gateway.Limiting.Storage;
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
        services.AddSingleton<IRateLimitStore>(sp => settings.Store.Kind switch
        {
            StoreKind.InMemory => new InMemoryRateLimitStore(
                sp.GetRequiredService<TimeProvider>(),
                settings.Store.InMemoryMaxPartitions,
                sp.GetRequiredService<ILogger<InMemoryRateLimitStore>>()),
            _ => throw new InvalidOperationException($"Store kind {settings.Store.Kind} is not available."),
        });
        return services;
    }
}
