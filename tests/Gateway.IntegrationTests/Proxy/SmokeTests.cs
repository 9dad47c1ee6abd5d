using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Proxy;

public sealed class SmokeTests
{
    [Fact]
    public async Task Proxy_UnlimitedRoute_ForwardsToUpstream()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address));

        using var response = await gateway.Client.GetAsync("/api/open/x", token: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, upstream.Counter.ForPath("/api/open/x"));
    }
}
