using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>Gateway clocks skewed by minutes change nothing: decisions and Retry-After come from Redis's clock.</summary>
[Collection(DistributedCollection.Name)]
public sealed class ClockDriftTests
{
    [Fact]
    public async Task SkewedInstances_AdmitExactlyTheLimit_AndAgreeOnRetryAfter()
    {
        var skews = new[] { TimeSpan.FromSeconds(-90), TimeSpan.Zero, TimeSpan.FromSeconds(90) };
        await using var gateways = await GatewayCluster.StartAsync(
            upstream => GatewayConfig.Default(upstream).WithRedis(RedisTestServers.Standalone)
                .WithPolicyRoute("drift", """[ { "Algorithm": "FixedWindow", "Limit": 30, "Window": "1h" } ]"""),
            skews);
        var subject = "drift-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/drift/" + subject;
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var statuses = await gateways.HammerAsync(path, token, clients: 48, total: 90);

        Assert.Equal(30, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(30, gateways.Upstream.Counter.ForPath(path));
        var retryAfters = new List<long>();
        foreach (var instance in gateways.Instances)
        {
            using var refused = await instance.Client.GetAsync(path, token);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            retryAfters.Add(long.Parse(refused.Header("Retry-After")!));
        }

        Assert.InRange(retryAfters.Max() - retryAfters.Min(), 0, 1);
    }
}
