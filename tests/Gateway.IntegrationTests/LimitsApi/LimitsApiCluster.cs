using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// Three real gateway instances on real Redis standalone, clocks in step with the machine's (an override's
/// <c>ExpiresAt</c> is judged by each gateway's clock, documented), leases of 500 ms so stranded permits come back
/// quickly. Shared by the tests of one class; each test uses subjects of its own, so its counters start fresh.
/// </summary>
public sealed class LimitsApiCluster : IAsyncLifetime
{
    /// <summary>Policies of 10 per hour (route <c>/api/{name}/...</c>): a test of seconds stays in one window.</summary>
    public const int Limit = 10;
    public const string OverridePolicy = "ov";
    public const string ResetPolicy = "rs";
    public const string CheckPolicy = "checked";

    private GatewayCluster? _cluster;

    public GatewayCluster Cluster => _cluster ?? throw new InvalidOperationException("Not started.");

    public IReadOnlyList<GatewayInstance> Instances => Cluster.Instances;

    public async Task InitializeAsync()
    {
        var rules = $$"""[ { "Algorithm": "FixedWindow", "Limit": {{Limit}}, "Window": "1h" } ]""";
        _cluster = await GatewayCluster.StartAsync(
            upstream => GatewayConfig.Default(upstream)
                .WithRedis(RedisTestServers.Standalone)
                .WithLeases("""{ "Duration": "500ms" }""")
                .WithPolicyRoute(OverridePolicy, rules)
                .WithPolicyRoute(ResetPolicy, rules)
                .WithPolicyRoute(CheckPolicy, rules),
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
