using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Hardening;

/// <summary>
/// The default test gateway and upstream, with loopback (where the tests connect from) as a known proxy: every request
/// can name its client in <c>X-Forwarded-For</c>, so each test gets anonymous budgets of its own by picking addresses.
/// </summary>
public sealed class KnownProxyGatewayFixture : IAsyncLifetime
{
    /// <summary>The one address the tests connect from, and so the proxy's own address.</summary>
    public const string ProxyAddress = "127.0.0.1";

    public UpstreamServer Upstream { get; private set; } = null!;

    public GatewayInstance Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await UpstreamServer.StartAsync();
        var config = GatewayConfig.Default(Upstream.Address);
        config["RateLimiting"]!["Identity"]!["KnownProxies"] = new JsonArray(ProxyAddress);
        Gateway = await GatewayInstance.StartAsync(config);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
