using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>
/// Three gateway instances in lease mode on Redis standalone, and three on Redis Cluster, shared by the lease tests
/// (each test uses its own subject, so its keys are fresh). Leases last 500 ms here, so tests that wait for unused
/// permits to come back wait less than a second.
/// </summary>
public sealed class LeaseClusters : IAsyncLifetime
{
    /// <summary>Every lease policy: 1000 per hour, so a run of a few seconds stays in one window (or refills nothing).</summary>
    public const int Limit = 1000;

    private GatewayCluster? _standalone;
    private GatewayCluster? _cluster;

    public GatewayCluster For(bool cluster) => (cluster ? _cluster : _standalone) ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _standalone = await StartAsync(cluster: false);
        _cluster = await StartAsync(cluster: true);
    }

    public async Task DisposeAsync()
    {
        if (_standalone is not null)
        {
            await _standalone.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private static Task<GatewayCluster> StartAsync(bool cluster) => GatewayCluster.StartAsync(
        upstream => GatewayConfig.Default(upstream)
            .WithRedis(RedisTestServers.Configuration(cluster))
            .WithLeases("""{ "Duration": "500ms" }""")
            .WithPolicyRoute("lease-fixed", $$"""[ { "Algorithm": "FixedWindow", "Limit": {{Limit}}, "Window": "1h" } ]""")
            .WithPolicyRoute("lease-sliding", $$"""[ { "Algorithm": "SlidingWindow", "Limit": {{Limit}}, "Window": "1h" } ]""")
            // Refills one token an hour: over a run of seconds, an exact limiter admits exactly the burst.
            .WithPolicyRoute("lease-bucket", $$"""[ { "Algorithm": "TokenBucket", "Limit": 1, "Window": "1h", "Burst": {{Limit}} } ]""")
            .WithPolicyRoute("lease-moved", $$"""[ { "Algorithm": "FixedWindow", "Limit": {{Limit}}, "Window": "1h" } ]"""),
        TimeSpan.Zero, TimeSpan.FromMinutes(-2), TimeSpan.FromMinutes(2));
}
