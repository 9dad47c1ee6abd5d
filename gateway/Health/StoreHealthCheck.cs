using System.Globalization;
using Gateway.Limiting.Resilience;
using Gateway.Limiting.Storage.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>
/// Readiness of the rate limit store. The in-memory store is always ready. The Redis store is Unhealthy (503) until its
/// warm start has settled, so a load balancer sends no traffic to an instance that would decide cold; then Healthy
/// while its circuit is closed, and Degraded (200) while open: the gateway still serves, in each policy's failure
/// mode, and a load balancer that pulled every instance on a Redis outage would turn it into a full outage. Decisions
/// made in a failure mode and fallback admissions not yet counted in Redis are reported either way.
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

        var readiness = _services.GetRequiredService<StoreReadiness>();
        var instances = _services.GetRequiredService<InstanceRegistry>();
        var ledger = _services.GetRequiredService<FallbackLedger>();
        var decisions = _services.GetRequiredService<FailureModeDecisions>();
        var breaker = connection.Breaker;
        var data = new Dictionary<string, object>
        {
            ["store"] = "Redis",
            ["warmStart"] = readiness.Stage,
            ["circuit"] = breaker.State.ToString(),
            ["liveInstances"] = instances.LiveInstances,
            ["fallbackDivisor"] = instances.FallbackDivisor,
            // Redis's clock minus this gateway's: shown, never used for a decision.
            ["clockOffsetMs"] = (long)instances.ClockOffset.TotalMilliseconds,
            ["circuitOpenings"] = breaker.Openings,
            ["failureModeDecisions"] = decisions.Total,
            ["pendingReconciliation"] = ledger.PendingPermits,
        };
        if (breaker.LastOpenedAt is { } openedAt)
        {
            data["lastOpenedAt"] = openedAt.ToString("O", CultureInfo.InvariantCulture);
        }

        if (decisions.Latest is { } latest)
        {
            data["lastFailureModeDecision"] = $"{latest.At.ToString("O", CultureInfo.InvariantCulture)} {latest.Policy}: {latest.Reason}";
        }

        if (!readiness.IsSettled)
        {
            data["mode"] = "starting";
            return Task.FromResult(HealthCheckResult.Unhealthy($"warming up: {readiness.Stage}", data: data));
        }

        if (breaker.State == CircuitState.Closed)
        {
            data["mode"] = "shared";
            return Task.FromResult(HealthCheckResult.Healthy("Redis connected", data));
        }

        data["mode"] = "failure mode (per policy: LocalFallback, FailOpen or FailClosed)";
        data["openReason"] = breaker.OpenReason ?? string.Empty;
        return Task.FromResult(HealthCheckResult.Degraded("Redis unavailable: serving in each policy's failure mode", data: data));
    }
}
