using Gateway.Limiting.Storage.Redis;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>
/// The Redis servers test.sh started (standalone and a 3-master Cluster on loopback), and one shared connection to
/// each. Tests fail, rather than skip, when they are missing: a distributed test that does not run proves nothing.
/// </summary>
public static class RedisTestServers
{
    public const string StandaloneVariable = "GATEWAY_TEST_REDIS";
    public const string ClusterVariable = "GATEWAY_TEST_REDIS_CLUSTER";

    /// <summary>Six nodes: three primaries with a replica each, for the failover test only.</summary>
    public const string ClusterWithReplicasVariable = "GATEWAY_TEST_REDIS_CLUSTER_HA";

    /// <summary>Every key the tests write starts with this; test.sh checks afterwards that each has a TTL.</summary>
    public const string KeyPrefix = "gwtest:";

    private static readonly Lazy<RedisConnection> StandaloneConnection = new(() => new RedisConnection(Standalone));
    private static readonly Lazy<RedisConnection> ClusterConnection = new(() => new RedisConnection(Cluster));
    private static readonly Lazy<RedisConnection> StandaloneAdmin = new(() => new RedisConnection(Standalone + ",allowAdmin=true"));
    private static readonly Lazy<RedisConnection> ClusterAdmin = new(() => new RedisConnection(Cluster + ",allowAdmin=true"));

    public static string Standalone => Require(StandaloneVariable);

    public static string Cluster => Require(ClusterVariable);

    public static string ClusterWithReplicas => Require(ClusterWithReplicasVariable);

    internal static RedisConnection Connection(bool cluster) => cluster ? ClusterConnection.Value : StandaloneConnection.Value;

    /// <summary>A connection allowed to run server commands (TIME, INFO), for inspecting what the gateway did.</summary>
    internal static RedisConnection AdminConnection(bool cluster) => cluster ? ClusterAdmin.Value : StandaloneAdmin.Value;

    public static string Configuration(bool cluster) => cluster ? Cluster : Standalone;

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: run the tests through ./test.sh, which starts Redis standalone and Cluster on loopback.");
}
