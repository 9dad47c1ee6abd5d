using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>
/// Two rules hammered concurrently from three instances in lease mode: a refused request never takes from any rule,
/// and once the instances stop (giving unused leased permits back) the hourly counter holds exactly what was admitted.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class AllOrNothingRaceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoRules_UnderRace_RefusedRequestsConsumeNothing(bool cluster)
    {
        await using var gateways = await GatewayCluster.StartAsync(
            upstream => GatewayConfig.Default(upstream).WithRedis(RedisTestServers.Configuration(cluster)).WithPolicyRoute("race",
                """[ { "Algorithm": "FixedWindow", "Limit": 10, "Window": "1s" }, { "Algorithm": "FixedWindow", "Limit": 50, "Window": "1h" } ]"""),
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        var subject = "race-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");
        var path = "/api/race/" + subject;
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var statuses = await gateways.HammerAsync(path, token, clients: 48, total: 300);

        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        // Permits still sitting in leases are consumed in Redis but not admitted: stopping gives them back (each lease
        // ends with its second; its hourly share goes back to the hour that is still open).
        await gateways.StopGatewaysAsync();
        var hourCount = await RedisInspector.CounterAsync(cluster, $"{RedisTestServers.KeyPrefix}{{race|u:{subject}}}:fw:3600000000");
        // The per-second rule refused most requests; had any of them taken from the hourly rule, it would count more.
        // (Requests ride on several seconds: a handful of per-second windows of 10 each, at most 50 in the hour.)
        Assert.Equal(admitted, hourCount);
        Assert.InRange(admitted, 10, 50);
        Assert.Equal(admitted, gateways.Upstream.Counter.ForPath(path));
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) > 0);
    }
}
