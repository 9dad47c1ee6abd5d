using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Identity;

/// <summary>Anonymous callers are keyed by client address; X-Forwarded-For counts only from known proxies.</summary>
public sealed class AnonymousCallerTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public AnonymousCallerTests(GatewayFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Anonymous_IsLimitedByAddressWithAnonymousTier()
    {
        // Loopback is the one client address here; the anonymous tier allows 3 a minute.
        var path = "/api/orders/anon-" + Guid.NewGuid().ToString("N");
        var statuses = await _fixture.Gateway.Client.SendManyAsync(path, token: null, 5);

        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task ForgedForwardedFor_FromUnknownPeer_IsIgnored()
    {
        // Each request claims another client address; loopback is not a known proxy, so all share one budget.
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await gateway.Client.GetAsync("/api/orders/forged", token: null,
                r => r.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}"));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.OK));
    }

    [Fact]
    public async Task ForwardedFor_FromKnownProxy_KeysByClientAndGroupsIpv6By64()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        var config = GatewayConfig.Default(upstream.Address);
        config["RateLimiting"]!["Identity"]!["KnownProxies"] = new JsonArray("127.0.0.1");
        await using var gateway = await GatewayInstance.StartAsync(config);

        async Task<int> AdmittedFor(string forwardedFor, int attempts)
        {
            var statuses = await gateway.Client.SendManyAsync("/api/orders/proxied", token: null, attempts,
                r => r.Headers.Add("X-Forwarded-For", forwardedFor));
            return statuses.Count(s => s == HttpStatusCode.OK);
        }

        Assert.Equal(3, await AdmittedFor("203.0.113.7", 4));
        Assert.Equal(3, await AdmittedFor("203.0.113.8", 4));
        // A garbage hop left of a real client is not trusted; the real client is what counts.
        Assert.Equal(0, await AdmittedFor("garbage, 203.0.113.8", 1));
        // Two addresses of one IPv6 /64 share a budget; another /64 has its own.
        Assert.Equal(2, await AdmittedFor("2001:db8:1:2::1", 2));
        Assert.Equal(1, await AdmittedFor("2001:db8:1:2:ffff::9", 2));
        Assert.Equal(3, await AdmittedFor("2001:db8:1:3::1", 3));
        // An IPv4-mapped IPv6 address is the IPv4 client.
        Assert.Equal(0, await AdmittedFor("::ffff:203.0.113.7", 1));
    }

    [Fact]
    public async Task PolicyRejectingAnonymous_Answers401()
    {
        using var response = await _fixture.Gateway.Client.GetAsync("/api/members/x", token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _fixture.Upstream.Counter.ForPath("/api/members/x"));
    }

    [Fact]
    public async Task RouteRequiringToken_WithoutToken_Answers401()
    {
        using var response = await _fixture.Gateway.Client.GetAsync("/api/secure/x", token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _fixture.Upstream.Counter.ForPath("/api/secure/x"));
    }
}
