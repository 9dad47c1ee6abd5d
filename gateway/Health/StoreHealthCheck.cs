using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>
/// Readiness of the rate limit store. The in-memory store is always ready. The Redis store is Healthy while its
/// circuit is closed, and Degraded (not Unhealthy) while open: the gateway still serves, in each policy's failure
/// mode, and a load balancer that pulled every instance on a Redis outage would turn it into a full outage.
/// </summary>
internal sealed class StoreHealthCheck : IHealthCheck
{
    private readonly IServiceProvider _services;

    public StoreHealthCheck(IServiceProvider services) => _services = services;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connection = _services.GetService<RedisConnection>();
        if (connection is null)
        {
            return Task.FromResult(HealthCheckResult.Healthy(
                "in-memory store", new Dictionary<string, object> { ["store"] = "InMemory", ["mode"] = "shared" }));
        }

        var instances = _services.GetRequiredService<InstanceRegistry>();
        var data = new Dictionary<string, object>
        {
            ["store"] = "Redis",
            ["circuit"] = connection.Breaker.State.ToString(),
            ["liveInstances"] = instances.LiveInstances,
            ["circuitOpenings"] = connection.Breaker.Openings,
        };
        if (connection.Breaker.LastOpenedAt is { } openedAt)
        {
            data["lastOpenedAt"] = openedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (connection.Breaker.State == CircuitState.Closed)
        {
            data["mode"] = "shared";
            return Task.FromResult(HealthCheckResult.Healthy("Redis connected", data));
        }

        data["mode"] = "failure mode (per policy: LocalFallback, FailOpen or FailClosed)";
        return Task.FromResult(HealthCheckResult.Degraded("Redis unavailable: serving in each policy's failure mode", data: data));
    }
}
