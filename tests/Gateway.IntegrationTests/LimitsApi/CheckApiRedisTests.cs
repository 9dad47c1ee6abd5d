using System.Net;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// <c>POST /v1/limits/check</c> on three instances sharing Redis (leases on): a budget spent through the check API
/// on one instance is spent for the proxy on the others, and the other way round; a peek spends nothing anywhere.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class CheckApiRedisTests : IClassFixture<LimitsApiCluster>
{
    private const string Policy = LimitsApiCluster.CheckPolicy;
    private const int Limit = LimitsApiCluster.Limit;
    private static readonly string Spend = $$"""{ "policy": "{{Policy}}" }""";
    private static readonly string Peek = $$"""{ "policy": "{{Policy}}", "consume": false }""";

    private readonly LimitsApiCluster _fixture;

    public CheckApiRedisTests(LimitsApiCluster fixture) => _fixture = fixture;

    private GatewayInstance A => _fixture.Instances[0];

    [Fact]
    public async Task Check_SpendingOnOneInstance_ThenTheProxyOnEveryInstanceRefuses()
    {
        var subject = "redis-check-first-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = $"/api/{Policy}/{subject}";
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        for (var i = 1; i <= Limit; i++)
        {
            using var allowed = await A.Client.CheckAsync(token, Spend);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.True((bool)(await allowed.JsonAsync())["allowed"]!);
            Assert.Equal($"\"{Policy}-1h\";q={Limit};w=3600", allowed.Header("RateLimit-Policy"));
        }

        using (var refused = await A.Client.CheckAsync(token, Spend))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var body = await refused.JsonAsync();
            Assert.False((bool)body["allowed"]!);
            Assert.Equal(0, (long)Rule(body)["remaining"]!);
            Assert.NotNull(refused.Header("Retry-After"));
        }

        Assert.All(await ClusterTraffic.RoundsAsync(_fixture.Instances, path, token, rounds: 2), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.Equal(0, _fixture.Cluster.Upstream.Counter.ForPath(path));
    }

    [Fact]
    public async Task Proxy_SpendingAcrossInstances_ThenCheckOnEveryInstanceRefuses()
    {
        var subject = "redis-proxy-first-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var admitted = await ClusterTraffic.AdmitAsync(_fixture.Instances, $"/api/{Policy}/{subject}", token, Limit);
        Assert.Equal(Limit, admitted.Sum());

        foreach (var instance in _fixture.Instances)
        {
            using var refused = await instance.Client.CheckAsync(token, Spend);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.False((bool)(await refused.JsonAsync())["allowed"]!);
        }
    }

    [Fact]
    public async Task Check_PeeksOnEveryInstance_SpendNothing()
    {
        var subject = "redis-peek-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = $"/api/{Policy}/{subject}";
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        for (var round = 0; round < 5; round++)
        {
            foreach (var instance in _fixture.Instances)
            {
                using var peek = await instance.Client.CheckAsync(token, Peek);
                Assert.Equal(HttpStatusCode.OK, peek.StatusCode);
                Assert.Equal(Limit, (long)Rule(await peek.JsonAsync())["remaining"]!);
            }
        }

        // Fifteen peeks later the whole budget is there, and no more than it.
        var admitted = await ClusterTraffic.AdmitAsync(_fixture.Instances, path, token, Limit);
        Assert.Equal(Limit, admitted.Sum());
        Assert.All(await ClusterTraffic.RoundsAsync(_fixture.Instances, path, token, rounds: 2), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        using var exhausted = await A.Client.CheckAsync(token, Peek);
        Assert.Equal(HttpStatusCode.TooManyRequests, exhausted.StatusCode);
        Assert.Equal(0, (long)Rule(await exhausted.JsonAsync())["remaining"]!);
    }

    private static JsonObject Rule(JsonObject body) => Assert.Single(body["rules"]!.AsArray())!.AsObject();
}
