using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Distributed;

/// <summary>
/// Exact mode (a policy with <c>"Leases": false</c>): three real gateway instances share one Redis (standalone or
/// Cluster) in front of one upstream; 48 concurrent clients spread over them send 3x the limit for one subject.
/// Together the instances must admit exactly what one limiter would, with one script call per decision, and the
/// upstream must see exactly the admitted requests.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ExactModeAccuracyTests
{
    private const int Limit = 60;
    private const int Clients = 48;

    public static TheoryData<bool> Topologies() => new() { false, true };

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task FixedWindow_ThreeInstances_AdmitExactlyTheLimit(bool cluster)
    {
        var (admitted, refused, upstream, decisions) = await RunAsync(cluster, "fixed",
            """[ { "Algorithm": "FixedWindow", "Limit": 60, "Window": "1h" } ]""", measureScriptCalls: !cluster);

        Assert.Equal(Limit, admitted);
        Assert.Equal((3 * Limit) - Limit, refused);
        Assert.Equal(Limit, upstream);
        if (decisions is not null)
        {
            // Exact mode: exactly one script call per decision, admitted or refused.
            Assert.Equal(3 * Limit, decisions.Value);
        }
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task SlidingWindow_ThreeInstances_AdmitExactlyTheLimit(bool cluster)
    {
        // A fresh key has no previous window to weigh, so the sliding counter is exact here.
        var (admitted, refused, upstream, _) = await RunAsync(cluster, "sliding",
            """[ { "Algorithm": "SlidingWindow", "Limit": 60, "Window": "1h" } ]""", measureScriptCalls: false);

        Assert.Equal(Limit, admitted);
        Assert.Equal(2 * Limit, refused);
        Assert.Equal(Limit, upstream);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task TokenBucket_ThreeInstances_AdmitTheBurstPlusRefill(bool cluster)
    {
        // Burst 60, refilling 1 per hour: within the test's few seconds at most one token can be added.
        var (admitted, _, upstream, _) = await RunAsync(cluster, "bucket",
            """[ { "Algorithm": "TokenBucket", "Limit": 1, "Window": "1h", "Burst": 60 } ]""", measureScriptCalls: false);

        Assert.InRange(admitted, Limit, Limit + 1);
        Assert.Equal(admitted, upstream);
    }

    private static async Task<(int Admitted, int Refused, long Upstream, long? ScriptCalls)> RunAsync(
        bool cluster, string policy, string rules, bool measureScriptCalls)
    {
        await using var gateways = await GatewayCluster.StartAsync(
            upstream => GatewayConfig.Default(upstream).WithRedis(RedisTestServers.Configuration(cluster)).WithPolicyRoute(policy, rules, leases: false),
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        var subject = $"{policy}-{Guid.NewGuid():N}";
        var token = TestTokens.Create(subject, "free");
        var path = $"/api/{policy}/{subject}";
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        if (measureScriptCalls)
        {
            // A Redis that has never seen the script answers the first EVALSHA with NOSCRIPT and gets the body once;
            // one decision on another key loads it, so what follows counts the steady state.
            using var warmUp = await gateways.Instances[0].Client.GetAsync($"/api/{policy}/warm-up", TestTokens.Create("warm-up-" + subject, "free"));
        }

        var callsBefore = measureScriptCalls ? await RedisInspector.ScriptCallsAsync() : 0;
        var statuses = await gateways.HammerAsync(path, token, Clients, 3 * Limit);
        long? calls = measureScriptCalls ? await RedisInspector.ScriptCallsAsync() - callsBefore : null;

        Assert.Equal(3 * Limit, statuses.Count);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {s}"));
        var key = $"{RedisTestServers.KeyPrefix}{{{policy}|u:{subject}}}:{KeySuffix(rules)}";
        Assert.True(await RedisInspector.TimeToLiveAsync(cluster, key) is { } ttl && ttl > TimeSpan.Zero, $"{key} has no TTL");
        return (statuses.Count(s => s == HttpStatusCode.OK), statuses.Count(s => s == HttpStatusCode.TooManyRequests),
            gateways.Upstream.Counter.ForPath(path), calls);
    }

    private static string KeySuffix(string rules) =>
        rules.Contains("FixedWindow", StringComparison.Ordinal) ? "fw:3600000000"
        : rules.Contains("SlidingWindow", StringComparison.Ordinal) ? "sw:3600000000"
        : "tb:3600000000";
}
