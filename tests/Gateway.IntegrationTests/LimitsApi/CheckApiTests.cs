using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// <c>POST /v1/limits/check</c> on the in-memory store against the proxy: one budget, whichever way it is spent.
/// Policy orders, tier free: 5 per minute (decides here) and 20 per day; the fake clock never moves, so counts are exact.
/// </summary>
public sealed class CheckApiTests : IClassFixture<LimitsApiGateway>
{
    private const int PerMinute = 5;

    private readonly LimitsApiGateway _fixture;

    public CheckApiTests(LimitsApiGateway fixture) => _fixture = fixture;

    private HttpClient Client => _fixture.Client;

    [Fact]
    public async Task Check_SpendingTheQuota_ThenTheProxyRefusesTheSubject()
    {
        var subject = Unique("check-first");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/orders/" + subject;

        for (var i = 1; i <= PerMinute; i++)
        {
            using var allowed = await Client.CheckAsync(token, """{ "policy": "orders" }""");
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            var body = await allowed.JsonAsync();
            Assert.True((bool)body["allowed"]!);
            Assert.Equal("orders", (string?)body["policy"]);
            Assert.Equal("tier:free", (string?)body["source"]);
            Assert.Null(body["retryAfterSeconds"]);
            var minute = Rule(body, "orders-1m");
            Assert.Equal(PerMinute, (long)minute["limit"]!);
            Assert.Equal(PerMinute - i, (long)minute["remaining"]!);
            Assert.Equal(20 - i, (long)Rule(body, "orders-1d")["remaining"]!);
            // The same fields as the proxy's answers.
            Assert.Equal("\"orders-1m\";q=5;w=60, \"orders-1d\";q=20;w=86400", allowed.Header("RateLimit-Policy"));
            Assert.StartsWith($"\"orders-1m\";r={PerMinute - i};t=", allowed.Header("RateLimit"), StringComparison.Ordinal);
            Assert.Equal((PerMinute - i).ToString(System.Globalization.CultureInfo.InvariantCulture), allowed.Header("X-RateLimit-Remaining"));
        }

        using (var refused = await Client.CheckAsync(token, """{ "policy": "orders", "consume": true }"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("application/json", refused.Content.Headers.ContentType?.MediaType);
            var body = await refused.JsonAsync();
            Assert.False((bool)body["allowed"]!);
            Assert.True((long)body["retryAfterSeconds"]! >= 1);
            Assert.True((bool)Rule(body, "orders-1m")["wouldReject"]!);
            Assert.Equal(0, (long)Rule(body, "orders-1m")["remaining"]!);
            Assert.NotNull(refused.Header("Retry-After"));
            Assert.NotNull(refused.Header("RateLimit-Policy"));
        }

        using var proxied = await Client.GetAsync(path, token);
        Assert.Equal(HttpStatusCode.TooManyRequests, proxied.StatusCode);
        Assert.Equal(0, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task Proxy_SpendingTheQuota_ThenCheckRefusesTheSubject()
    {
        var subject = Unique("proxy-first");
        var token = TestTokens.Create(subject, "free");

        var statuses = await Client.SendManyAsync("/api/orders/" + subject, token, PerMinute);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        using var refused = await Client.CheckAsync(token, """{ "policy": "orders" }""");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var body = await refused.JsonAsync();
        Assert.False((bool)body["allowed"]!);
        Assert.Equal(0, (long)Rule(body, "orders-1m")["remaining"]!);
        Assert.NotNull(refused.Header("Retry-After"));
    }

    [Fact]
    public async Task Check_ConsumeFalse_PeeksWithoutSpending()
    {
        var subject = Unique("peek");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/orders/" + subject;
        Assert.All(await Client.SendManyAsync(path, token, 2), s => Assert.Equal(HttpStatusCode.OK, s));

        for (var i = 0; i < 5; i++)
        {
            using var peek = await Client.CheckAsync(token, """{ "policy": "orders", "consume": false }""");
            Assert.Equal(HttpStatusCode.OK, peek.StatusCode);
            var body = await peek.JsonAsync();
            Assert.True((bool)body["allowed"]!);
            Assert.Equal(3, (long)Rule(body, "orders-1m")["remaining"]!);
            Assert.Equal(18, (long)Rule(body, "orders-1d")["remaining"]!);
            Assert.StartsWith("\"orders-1m\";r=3;", peek.Header("RateLimit"), StringComparison.Ordinal);
        }

        // Five peeks took nothing: exactly the three left are admitted.
        var after = await Client.SendManyAsync(path, token, 5);
        Assert.Equal(3, after.Count(s => s == HttpStatusCode.OK));

        // A peek at an exhausted budget says so (429) without spending anything either.
        using var exhausted = await Client.CheckAsync(token, """{ "policy": "orders", "consume": false }""");
        Assert.Equal(HttpStatusCode.TooManyRequests, exhausted.StatusCode);
        Assert.False((bool)(await exhausted.JsonAsync())["allowed"]!);
        Assert.Equal(5, _fixture.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task Check_CostAboveOne_TakesThatManyPermits()
    {
        var subject = Unique("cost");
        var token = TestTokens.Create(subject, "free");

        using var three = await Client.CheckAsync(token, """{ "policy": "orders", "cost": 3 }""");
        Assert.Equal(HttpStatusCode.OK, three.StatusCode);
        Assert.Equal(2, (long)Rule(await three.JsonAsync(), "orders-1m")["remaining"]!);

        // Two left: a cost of 3 is refused whole, taking nothing, and 2 still fit.
        using var tooMuch = await Client.CheckAsync(token, """{ "policy": "orders", "cost": 3 }""");
        Assert.Equal(HttpStatusCode.TooManyRequests, tooMuch.StatusCode);
        using var two = await Client.CheckAsync(token, """{ "policy": "orders", "cost": 2 }""");
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Assert.Equal(0, (long)Rule(await two.JsonAsync(), "orders-1m")["remaining"]!);
    }

    [Fact]
    public async Task Check_AdminNamingASubject_ReadsAndSpendsThatSubjectsBudget()
    {
        var subject = Unique("checked-by-admin");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/orders/" + subject;
        Assert.All(await Client.SendManyAsync(path, token, 2), s => Assert.Equal(HttpStatusCode.OK, s));

        using (var peek = await Client.CheckAsync(LimitsApiCalls.AdminToken(), $$"""{ "policy": "orders", "subject": "{{subject}}", "consume": false }"""))
        {
            Assert.Equal(HttpStatusCode.OK, peek.StatusCode);
            Assert.Equal(3, (long)Rule(await peek.JsonAsync(), "orders-1m")["remaining"]!);
        }

        using (var spend = await Client.CheckAsync(LimitsApiCalls.AdminToken(), $$"""{ "policy": "orders", "subject": "{{subject}}" }"""))
        {
            Assert.Equal(HttpStatusCode.OK, spend.StatusCode);
            Assert.Equal(2, (long)Rule(await spend.JsonAsync(), "orders-1m")["remaining"]!);
        }

        // The admin spent from the subject's own budget, not from the admin's.
        var after = await Client.SendManyAsync(path, token, 4);
        Assert.Equal(2, after.Count(s => s == HttpStatusCode.OK));

        // With a tier, the admin sees that tier's rules for the subject.
        using var pro = await Client.CheckAsync(LimitsApiCalls.AdminToken(), $$"""{ "policy": "orders", "subject": "{{subject}}-pro", "tier": "pro", "consume": false }""");
        Assert.Equal(HttpStatusCode.OK, pro.StatusCode);
        var proBody = await pro.JsonAsync();
        Assert.Equal("tier:pro", (string?)proBody["source"]);
        Assert.Equal(50, (long)Assert.Single(proBody["rules"]!.AsArray())!["limit"]!);
    }

    [Fact]
    public async Task Check_NonAdminNamingASubject_Is403AndSpendsNothing()
    {
        var victim = Unique("victim");
        var body = $$"""{ "policy": "orders", "subject": "{{victim}}" }""";

        using (var forbidden = await Client.CheckAsync(TestTokens.Create(Unique("nosy"), "free"), body))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Null(forbidden.Header("RateLimit"));
        }

        using (var anonymous = await Client.CheckAsync(token: null, body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var statuses = await Client.SendManyAsync("/api/orders/" + victim, TestTokens.Create(victim, "free"), PerMinute);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    private static JsonObject Rule(JsonObject body, string name) =>
        body["rules"]!.AsArray().Single(r => (string?)r!["name"] == name)!.AsObject();

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
