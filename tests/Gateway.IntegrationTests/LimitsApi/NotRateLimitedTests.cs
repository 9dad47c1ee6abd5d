using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// The limits API is outside the proxy: however many calls it gets, the proxy's policies never answer them, even on
/// a gateway whose catch-all route is limited to one request an hour. (The check endpoint's own 429 is its answer
/// about the budget asked after, not a limit on the endpoint; these calls all ask about budgets with room to spare.)
/// </summary>
public sealed class NotRateLimitedTests : IClassFixture<NotRateLimitedTests.CatchAllGateway>
{
    private const int Calls = 60;

    private readonly CatchAllGateway _fixture;

    public NotRateLimitedTests(CatchAllGateway fixture) => _fixture = fixture;

    private HttpClient Client => _fixture.Gateway.Client;

    [Fact]
    public async Task CatchAllRoute_IsLimited_SoTheProxyWouldRefuse()
    {
        // The control: the proxy does refuse on this gateway, from the second request of the hour on.
        var token = TestTokens.Create("catch-all-" + Guid.NewGuid().ToString("N"), "free");
        var statuses = await Client.SendManyAsync("/anything/at/all", token, 3);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task AdminEndpointsAndCheck_ManyCalls_NeverRefusedOrForwardedByTheProxy()
    {
        var subject = "api-heavy-" + Guid.NewGuid().ToString("N");
        var caller = TestTokens.Create(subject, "pro");
        var overrideDocument = """{ "Policies": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 1000, "Window": "1h" } ] } }""";
        var calls = new (string Name, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Expected)[]
        {
            ("check peek", () => Client.CheckAsync(caller, """{ "policy": "orders", "consume": false }"""), HttpStatusCode.OK),
            ("admin check peek", () => Client.CheckAsync(LimitsApiCalls.AdminToken(), $$"""{ "policy": "orders", "subject": "{{subject}}", "consume": false }"""), HttpStatusCode.OK),
            ("usage", () => Client.SendJsonAsync(HttpMethod.Get, $"/admin/subjects/{subject}/usage", LimitsApiCalls.AdminToken()), HttpStatusCode.OK),
            ("put override", () => Client.PutOverrideAsync(subject, overrideDocument), HttpStatusCode.OK),
            ("get override", () => Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken()), HttpStatusCode.OK),
            ("reset", () => Client.ResetAsync(subject, policy: "orders"), HttpStatusCode.OK),
            ("openapi", () => Client.SendJsonAsync(HttpMethod.Get, "/openapi/v1.json", token: null), HttpStatusCode.OK),
        };

        // Tests of one class run one at a time: nothing else sends through this gateway meanwhile.
        var forwardedBefore = _fixture.Upstream.Counter.Total;
        foreach (var (name, send, expected) in calls)
        {
            for (var i = 0; i < Calls; i++)
            {
                using var response = await send();
                Assert.True(response.StatusCode == expected, $"{name}, call {i + 1}: expected {(int)expected}, got {(int)response.StatusCode}");
                // The proxy's limiter would have stamped the catch-all policy's fields on anything it handled (a check
                // answer carries the fields of the policy it was asked about, orders).
                Assert.DoesNotContain("everything-", response.Header("RateLimit-Policy") ?? string.Empty, StringComparison.Ordinal);
            }
        }

        // And none of it went to the backend: the API answered every call itself.
        Assert.Equal(forwardedBefore, _fixture.Upstream.Counter.Total);
    }

    [Fact]
    public async Task Check_ConsumingCalls_AreDecidedByTheBudgetNotByAnEndpointLimit()
    {
        // 60 spending checks of a 1000-per-hour override: all admitted, remaining counting down one by one.
        var subject = "api-spender-" + Guid.NewGuid().ToString("N");
        using (var put = await Client.PutOverrideAsync(subject, """{ "Policies": { "everything": [ { "Algorithm": "FixedWindow", "Limit": 1000, "Window": "1h" } ] } }"""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var token = TestTokens.Create(subject, "free");
        for (var i = 1; i <= Calls; i++)
        {
            using var response = await Client.CheckAsync(token, """{ "policy": "everything" }""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1000 - i, (long)Assert.Single((await response.JsonAsync())["rules"]!.AsArray())!["remaining"]!);
        }
    }

    /// <summary>The default test gateway plus a catch-all route limited by policy "everything": 1 per hour.</summary>
    public sealed class CatchAllGateway : IAsyncLifetime
    {
        public UpstreamServer Upstream { get; private set; } = null!;

        public GatewayInstance Gateway { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Upstream = await UpstreamServer.StartAsync();
            var config = GatewayConfig.Default(Upstream.Address);
            config["ReverseProxy"]!["Routes"]!["everything"] = JsonNode.Parse(
                """{ "ClusterId": "backend", "Match": { "Path": "/{**rest}" }, "Metadata": { "RateLimitPolicy": "everything" } }""");
            config["RateLimiting"]!["Policies"]!["everything"] = JsonNode.Parse(
                """{ "Tiers": { "free": [ { "Algorithm": "FixedWindow", "Limit": 1, "Window": "1h" } ] } }""");
            Gateway = await GatewayInstance.StartAsync(config);
        }

        public async Task DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }
}
