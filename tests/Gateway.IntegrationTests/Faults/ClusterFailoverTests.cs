using System.Net;
using Gateway.IntegrationTests.Distributed;
using Gateway.IntegrationTests.Infrastructure;
using Gateway.Limiting.Storage.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.Faults;

/// <summary>
/// A Redis Cluster primary hands over to its replica (CLUSTER FAILOVER on the replica) while three gateways serve
/// steady load on a key in its slots: no 500, no client error, the upstream sees exactly the 200s, and limiting goes
/// on (requests are refused, and no more than twice the limit is admitted: the LocalFallback bound, should the
/// handover make calls miss their deadline).
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ClusterFailoverTests
{
    private const int Limit = 600;

    private readonly ITestOutputHelper _output;

    public ClusterFailoverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task PrimaryFailsOverToItsReplica_UnderLoad_NoErrorsAndLimitingContinues()
    {
        var subject = "failover-" + Guid.NewGuid().ToString("N");
        var path = "/api/failover/" + subject;
        var key = $"{RedisTestServers.KeyPrefix}{{failover|u:{subject}}}:fw:3600000000";
        using var admin = new RedisConnection(RedisTestServers.ClusterWithReplicas + ",allowAdmin=true");
        var (primary, replica) = await PrimaryAndReplicaForAsync(admin.Multiplexer, key);
        await using var gateways = await GatewayCluster.StartAsync(
            upstream =>
            {
                var config = GatewayConfig.Default(upstream).WithRedis(RedisTestServers.ClusterWithReplicas)
                    .WithPolicyRoute("failover", $$"""[ { "Algorithm": "FixedWindow", "Limit": {{Limit}}, "Window": "1h" } ]""");
                return config;
            },
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        await RedisInspector.WaitFarFromWindowBoundaryAsync(cluster: true, TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));

        var load = SteadyLoad.Start(gateways.Instances, path, TestTokens.Create(subject, "free"), clients: 6, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(10));
        // Halfway to the limit: requests still need Redis (lease refills) when the primary hands over.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var failoverAt = load.Elapsed;
        await admin.Multiplexer.GetServer(replica).ExecuteAsync("CLUSTER", "FAILOVER");
        await WaitForRoleAsync(admin.Multiplexer, replica, "master", TimeSpan.FromSeconds(30));
        var promotedAfter = load.Elapsed - failoverAt;
        await Task.Delay(TimeSpan.FromSeconds(3));
        await load.StopAsync();

        var outcomes = load.Outcomes.ToList();
        var ok = outcomes.Count(o => o.Status == HttpStatusCode.OK);
        var limited = outcomes.Count(o => o.Status == HttpStatusCode.TooManyRequests);
        _output.WriteLine($"failover {primary} -> {replica}: promoted {promotedAfter.TotalMilliseconds:F0} ms after CLUSTER FAILOVER; " +
            $"{outcomes.Count} requests: {ok} x 200, {limited} x 429, {outcomes.Count(o => o.Error is not null)} client errors; " +
            $"slowest after the failover {outcomes.Where(o => o.StartedAt >= failoverAt).Max(o => o.Latency).TotalMilliseconds:F0} ms");
        Assert.All(outcomes, o => Assert.Null(o.Error));
        Assert.Equal(outcomes.Count, ok + limited);
        Assert.Equal(ok, gateways.Upstream.Counter.ForPath(path));
        Assert.InRange(ok, Limit, 2 * Limit);
        Assert.True(outcomes.Any(o => o.StartedAt > failoverAt + promotedAfter && o.Status == HttpStatusCode.TooManyRequests), "no refusals after the failover");
    }

    private static async Task<(EndPoint Primary, EndPoint Replica)> PrimaryAndReplicaForAsync(IConnectionMultiplexer multiplexer, RedisKey key)
    {
        var primary = multiplexer.GetDatabase().IdentifyEndpoint(key) ?? throw new InvalidOperationException("no primary for the key");
        // A replica must have finished its first sync before it can take over.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var nodes = await multiplexer.GetServer(primary).ClusterNodesAsync();
            var primaryNode = nodes!.GetBySlot(key) ?? throw new InvalidOperationException("no node for the slot");
            var replicaNode = nodes.Nodes.FirstOrDefault(n => n.ParentNodeId == primaryNode.NodeId && n.IsConnected);
            if (replicaNode is not null)
            {
                var info = await multiplexer.GetServer(replicaNode.EndPoint!).InfoRawAsync("replication");
                if (info!.Contains("master_link_status:up", StringComparison.Ordinal))
                {
                    return (primaryNode.EndPoint!, replicaNode.EndPoint!);
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the primary's replica never finished syncing");
            await Task.Delay(100);
        }
    }

    private static async Task WaitForRoleAsync(IConnectionMultiplexer multiplexer, EndPoint node, string role, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!(await multiplexer.GetServer(node).InfoRawAsync("replication"))!.Contains($"role:{role}", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{node} did not become {role}");
            await Task.Delay(50);
        }
    }
}
