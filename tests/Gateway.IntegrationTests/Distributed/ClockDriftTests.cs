using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>
/// Gateway clocks skewed by minutes change nothing: decisions and Retry-After come from Redis's clock, and leases
/// measure only durations on each gateway's monotonic clock. In lease mode the instances admit at most the limit and
/// strand under 1%; in exact mode, exactly the limit.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ClockDriftTests
{
    [Theory]
    [InlineData(false, 30)]
    [InlineData(true, 300)]
    public async Task SkewedInstances_AdmitTheLimit_AndAgreeOnRetryAfter(bool leases, int limit)
    {
        var skews = new[] { TimeSpan.FromSeconds(-90), TimeSpan.Zero, TimeSpan.FromSeconds(90) };
        await using var gateways = await GatewayCluster.StartAsync(
            upstream => GatewayConfig.Default(upstream).WithRedis(RedisTestServers.Standalone)
                .WithPolicyRoute("drift", $$"""[ { "Algorithm": "FixedWindow", "Limit": {{limit}}, "Window": "1h" } ]""", leases),
            skews);
        var subject = "drift-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/drift/" + subject;
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: false, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var statuses = await gateways.HammerAsync(path, token, clients: 48, total: 3 * limit);

        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(admitted, leases ? limit * 99 / 100 : limit, limit);
        Assert.Equal(admitted, gateways.Upstream.Counter.ForPath(path));
        var retryAfters = new List<long>();
        foreach (var instance in gateways.Instances)
        {
            // An instance may still hold a permit or two in its lease; past those it refuses like the others.
            for (var attempt = 0; attempt <= limit - admitted; attempt++)
            {
                using var response = await instance.Client.GetAsync(path, token);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    retryAfters.Add(long.Parse(response.Header("Retry-After")!));
                    break;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                admitted++;
            }
        }

        Assert.True(admitted <= limit, $"admitted {admitted} of {limit}");
        Assert.Equal(3, retryAfters.Count);
        Assert.InRange(retryAfters.Max() - retryAfters.Min(), 0, 1);
    }
}
