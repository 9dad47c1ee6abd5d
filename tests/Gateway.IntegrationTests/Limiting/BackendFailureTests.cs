using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Limiting;

/// <summary>
/// A backend that never answers: the proxy answers 502 or 503 itself. By default such requests count against the limit
/// (a failing backend also sheds retry storms); a policy with <c>RefundBackendFailures</c> gives their permits back,
/// but only when the request provably never reached a backend (refused connection, no destination).
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

    /// <summary>Routes whose requests never reach a backend: a refused connection (502), a cluster with no destination (503).</summary>
    public static TheoryData<bool, string, HttpStatusCode> NeverReached() => new()
    {
        { false, "down-refund", HttpStatusCode.BadGateway },
        { true, "down-refund", HttpStatusCode.BadGateway },
        { false, "none-refund", HttpStatusCode.ServiceUnavailable },
        { true, "none-refund", HttpStatusCode.ServiceUnavailable },
    };

    [Theory]
    [MemberData(nameof(NeverReached))]
    public async Task BackendNeverReached_WithRefund_FailedRequestsGiveTheirPermitsBack(bool redis, string route, HttpStatusCode proxyStatus)
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(Config(upstream.Address, redis));
        var subject = "down-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");

        var failed = await gateway.Client.SendManyAsync($"/api/{route}/{subject}", token, 10);

        // The proxy answered itself: nothing reached any backend.
        Assert.All(failed, s => Assert.Equal(proxyStatus, s));
        // The same policy on a healthy backend: the budget is still whole.
        var served = await gateway.Client.SendManyAsync("/api/up-refund/" + subject, token, 4);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], served);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ClientGivesUpWhileTheBackendWorks_WithRefund_StillCounts(bool redis)
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await GatewayInstance.StartAsync(Config(upstream.Address, redis));
        var subject = "abort-" + Guid.NewGuid().ToString("N");
        var path = "/api/up-refund/" + subject;
        var token = TestTokens.Create(subject, "free");

        // Each client waits 1 s for a backend that takes 5 s, then aborts: the backend received every admitted request,
        // so none of them may be refunded (a client aborting on purpose would otherwise get work for free). The backend
        // sees exactly the limit; a refund could only ever add requests it never saw.
        var aborted = 0;
        for (var i = 0; i < 6; i++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            using var request = new HttpRequestMessage(HttpMethod.Get, path + "?delayMs=5000");
            request.Headers.Authorization = new("Bearer", token);
            try
            {
                using var response = await gateway.Client.SendAsync(request, timeout.Token);
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            }
            catch (OperationCanceledException)
            {
                aborted++;
            }
        }

        Assert.InRange(aborted, 3, 6);
        Assert.Equal(3, upstream.Counter.ForPath(path));
        using var after = await gateway.Client.GetAsync(path, token);
        Assert.Equal(HttpStatusCode.TooManyRequests, after.StatusCode);
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
        config["ReverseProxy"]!["Clusters"]!["none"] = JsonNode.Parse("""{ "Destinations": { } }""");
        routes["none-refund"] = JsonNode.Parse("""{ "ClusterId": "none", "Match": { "Path": "/api/none-refund/{**rest}" }, "Metadata": { "RateLimitPolicy": "refunded" } }""");
        routes["up-refund"] = JsonNode.Parse("""{ "ClusterId": "backend", "Match": { "Path": "/api/up-refund/{**rest}" }, "Metadata": { "RateLimitPolicy": "refunded" } }""");
        var policies = config["RateLimiting"]!["Policies"]!;
        policies["counted"] = JsonNode.Parse("""{ "Tiers": { "free": [ { "Algorithm": "FixedWindow", "Limit": 3, "Window": "1m" } ] } }""");
        policies["refunded"] = JsonNode.Parse("""{ "RefundBackendFailures": true, "Tiers": { "free": [ { "Algorithm": "FixedWindow", "Limit": 3, "Window": "1m" } ] } }""");
        return config;
    }
}
