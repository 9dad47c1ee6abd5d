using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// One gateway on the in-memory store (its limiter clock is fake and never moves, so every window stays the one it
/// started in) with the default test config plus a dry-run policy, shared by the tests of a class. Each test uses
/// subjects of its own, so their budgets never meet.
/// </summary>
public sealed class LimitsApiGateway : IAsyncLifetime
{
    /// <summary>Route <c>/api/dry/...</c>: 2 per hour, but <c>"DryRun": true</c>.</summary>
    public const string DryRunPolicy = "dry";
    public const int DryRunLimit = 2;

    public UpstreamServer Upstream { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public HttpClient Client => Gateway.Client;

    public static JsonObject Config(Uri upstream)
    {
        var config = GatewayConfig.Default(upstream)
            .WithPolicyRoute(DryRunPolicy, $$"""[ { "Algorithm": "FixedWindow", "Limit": {{DryRunLimit}}, "Window": "1h" } ]""");
        config["RateLimiting"]!["Policies"]![DryRunPolicy]!["DryRun"] = true;
        return config;
    }

    public async Task InitializeAsync()
    {
        Upstream = await UpstreamServer.StartAsync();
        Gateway = await GatewayInstance.StartAsync(Config(Upstream.Address));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
