using System.Net;
using System.Text.Json;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Proxy;

/// <summary>/healthz and /readyz: open to anyone (no token, a bad token is not even looked at), never rate limited.</summary>
public sealed class HealthEndpointTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public HealthEndpointTests(GatewayFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Readiness_InMemoryStore_IsHealthy()
    {
        using var response = await _fixture.Gateway.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("InMemory", body.RootElement.GetProperty("store").GetProperty("store").GetString());
    }

    [Fact]
    public async Task Liveness_ManyCallsWithoutToken_NeverLimitedNorProxied()
    {
        for (var i = 0; i < 50; i++)
        {
            using var response = await _fixture.Gateway.Client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("RateLimit"));
        }

        Assert.Equal(0, _fixture.Upstream.Counter.ForPath("/healthz"));
    }
}
