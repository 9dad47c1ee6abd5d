using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Limiting;

/// <summary>
/// A backend that never answers: the proxy answers 502 itself. By default such requests count against the limit
/// (a failing backend also sheds retry storms); a policy with <c>RefundBackendFailures</c> gives their permits back.
/// On the in-memory store and on Redis with leases.
/// </summary>
public sealed class BackendFailureTests
{
    public static TheoryData<bool> Stores() => new() { false, true };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task BackendDown_ByDefault_FailedRequestsCount(bool redis)
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(Config(upstream.Address, redis));
        var subject = "down-" + Guid.NewGuid().ToString("N");

        var statuses = await gateway.Client.SendManyAsync("/api/down-count/" + subject, TestTokens.Create(subject, "free"), 5);

        Assert.Equal([HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task BackendDown_WithRefund_FailedRequestsGiveTheirPermitsBack(bool redis)
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(Config(upstream.Address, redis));
        var subject = "down-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");

        var failed = await gateway.Client.SendManyAsync("/api/down-refund/" + subject, token, 10);

        Assert.All(failed, s => Assert.Equal(HttpStatusCode.BadGateway, s));
        // The same policy on a healthy backend: the budget is still whole.
        var served = await gateway.Client.SendManyAsync("/api/up-refund/" + subject, token, 4);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], served);
    }

    private static JsonObject Config(Uri upstream, bool redis)
    {
        var config = GatewayConfig.Default(upstream);
        if (redis)
        {
            config.WithRedis(RedisTestServers.Standalone);
        }

        // Port 1 on loopback refuses connections: the proxy answers 502 without any backend response.
        config["ReverseProxy"]!["Clusters"]!["down"] = JsonNode.Parse("""{ "Destinations": { "d1": { "Address": "http://127.0.0.1:1/" } } }""");
        var routes = config["ReverseProxy"]!["Routes"]!;
        routes["down-count"] = JsonNode.Parse("""{ "ClusterId": "down", "Match": { "Path": "/api/down-count/{**rest}" }, "Metadata": { "RateLimitPolicy": "counted" } }""");
        routes["down-refund"] = JsonNode.Parse("""{ "ClusterId": "down", "Match": { "Path": "/api/down-refund/{**rest}" }, "Metadata": { "RateLimitPolicy": "refunded" } }""");
        routes["up-refund"] = JsonNode.Parse("""{ "ClusterId": "backend", "Match": { "Path": "/api/up-refund/{**rest}" }, "Metadata": { "RateLimitPolicy": "refunded" } }""");
        var policies = config["RateLimiting"]!["Policies"]!;
        policies["counted"] = JsonNode.Parse("""{ "Tiers": { "free": [ { "Algorithm": "FixedWindow", "Limit": 3, "Window": "1m" } ] } }""");
        policies["refunded"] = JsonNode.Parse("""{ "RefundBackendFailures": true, "Tiers": { "free": [ { "Algorithm": "FixedWindow", "Limit": 3, "Window": "1m" } ] } }""");
        return config;
    }
}
