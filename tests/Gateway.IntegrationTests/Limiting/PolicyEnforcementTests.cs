using System.Net;
using System.Text.Json;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Limiting;

/// <summary>Policies applied end to end: real gateway, real upstream, limiter on a fake clock.</summary>
public sealed class PolicyEnforcementTests : IClassFixture<GatewayFixture>
{
    private readonly GatewayFixture _fixture;

    public PolicyEnforcementTests(GatewayFixture fixture) => _fixture = fixture;

    private HttpClient Client => _fixture.Gateway.Client;

    [Fact]
    public async Task Tiers_SameRoute_GetTheirOwnLimits()
    {
        var path = UniquePath("/api/orders");
        var free = TestTokens.Create("tier-free-user", "free");
        var pro = TestTokens.Create("tier-pro-user", "pro");

        var freeStatuses = await Client.SendManyAsync(path, free, 8);
        var proStatuses = await Client.SendManyAsync(path, pro, 60);

        Assert.Equal(5, freeStatuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, freeStatuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(50, proStatuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(10, proStatuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(55, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task Routes_SameUser_GetTheirOwnPoliciesAndCosts()
    {
        var token = TestTokens.Create("two-routes-user", "free");
        var orders = UniquePath("/api/orders");
        var search = UniquePath("/api/search");

        var orderStatuses = await Client.SendManyAsync(orders, token, 7);
        // search: 10 per minute, each request costs 2, so 5 fit.
        var searchStatuses = await Client.SendManyAsync(search, token, 7);

        Assert.Equal(5, orderStatuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, searchStatuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, _fixture.Upstream.Counter.ForPath(orders));
        Assert.Equal(5, _fixture.Upstream.Counter.ForPath(search));
    }

    [Fact]
    public async Task Override_ForSubject_BeatsTierRules()
    {
        var path = UniquePath("/api/orders");
        var token = TestTokens.Create("contract-customer", "free");

        var statuses = await Client.SendManyAsync(path, token, 10);

        Assert.Equal(8, statuses.Count(s => s == HttpStatusCode.OK));
        using var response = await Client.GetAsync(path, token);
        Assert.Equal("\"orders-1m\";q=8;w=60", response.Header("RateLimit-Policy"));
    }

    [Fact]
    public async Task GlobalScope_SharesOneBudgetAcrossUsers()
    {
        var path = UniquePath("/api/export");
        var statuses = new List<HttpStatusCode>();
        foreach (var user in new[] { "global-a", "global-b", "global-c" })
        {
            statuses.AddRange(await Client.SendManyAsync(path, TestTokens.Create(user, "free"), 2));
        }

        // One bucket of burst 4 for everybody, and the fake clock does not move: 4 of 6 pass.
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(4, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task Rejection_Is429WithRetryAfterRateLimitFieldsAndProblemBody()
    {
        var path = UniquePath("/api/orders");
        var token = TestTokens.Create("rejected-user", "free");
        await Client.SendManyAsync(path, token, 5);

        using var response = await Client.GetAsync(path, token);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = long.Parse(response.Header("Retry-After")!);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("\"orders-1m\";q=5;w=60, \"orders-1d\";q=20;w=86400", response.Header("RateLimit-Policy"));
        Assert.StartsWith("\"orders-1m\";r=0;t=", response.Header("RateLimit"));
        Assert.Contains("\"orders-1d\";r=15;t=", response.Header("RateLimit"));
        Assert.Equal("5", response.Header("X-RateLimit-Limit"));
        Assert.Equal("0", response.Header("X-RateLimit-Remaining"));

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(429, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("orders", body.RootElement.GetProperty("policy").GetString());
        Assert.Equal("orders-1m", body.RootElement.GetProperty("rule").GetString());
        Assert.Equal("1m", body.RootElement.GetProperty("window").GetString());
        Assert.Equal(retryAfter, body.RootElement.GetProperty("retryAfter").GetInt64());
        Assert.Equal(5, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task Admitted_ResponseCarriesRateLimitFields()
    {
        var path = UniquePath("/api/orders");
        var token = TestTokens.Create("headers-user", "pro");

        using var first = await Client.GetAsync(path, token);
        using var second = await Client.GetAsync(path, token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"orders-1m\";q=50;w=60", first.Header("RateLimit-Policy"));
        Assert.Matches("^\"orders-1m\";r=49;t=\\d+$", first.Header("RateLimit"));
        Assert.Matches("^\"orders-1m\";r=48;t=\\d+$", second.Header("RateLimit"));
        Assert.Equal("48", second.Header("X-RateLimit-Remaining"));
        Assert.Null(second.Header("Retry-After"));
    }

    [Fact]
    public async Task UnlimitedRoute_HasNoRateLimitFields()
    {
        using var response = await Client.GetAsync(UniquePath("/api/open"), token: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Header("RateLimit"));
        Assert.Null(response.Header("RateLimit-Policy"));
    }

    private static string UniquePath(string prefix) => $"{prefix}/{Guid.NewGuid():N}";
}
