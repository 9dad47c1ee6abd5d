using System.Globalization;
using Gateway.Limiting.Resilience;
using StackExchange.Redis;

namespace Gateway.Limiting.Storage.Redis;

/// <summary>
/// The primaries a decision may need, each with a key in a slot it owns: the one server of a standalone Redis, or on a
/// Cluster every primary that holds slots. Throws when some slot has no reachable primary (a decision on that slot
/// could not be made), and has the client read the topology again, so a probe after a failover finds the promoted
/// replica rather than keep knocking at the dead primary.
/// </summary>
internal static class RedisPrimaries
{
    private const int SlotCount = 16384;

    public static IReadOnlyList<(IServer Server, RedisKey ProbeKey)> Find(ConnectionMultiplexer multiplexer, string keyPrefix)
    {
        var connected = multiplexer.GetServers().Where(static s => s.IsConnected).ToList();
        if (connected.Count == 0)
        {
            throw new StoreUnavailableException("No Redis server is connected.");
        }

        if (connected[0].ServerType != ServerType.Cluster)
        {
            var primaries = connected.Where(static s => !s.IsReplica).ToList();
            if (primaries.Count == 0)
            {
                throw new StoreUnavailableException("Connected only to replicas: no server accepts writes.");
            }

            return primaries.Select(s => (s, (RedisKey)(keyPrefix + "probe"))).ToList();
        }

        // The client's own view of the topology (CLUSTER NODES needs admin mode): it follows MOVED replies and its
        // periodic checks, and is asked to read the topology again whenever this probe finds it wanting.
        var nodes = connected[0].ClusterConfiguration ?? throw Reconfigure(multiplexer, "the Cluster topology is not known yet");
        var owners = nodes.Nodes.Where(static n => !n.IsReplica && n.Slots.Count > 0).ToList();
        var covered = owners.Sum(static n => n.Slots.Sum(static r => r.To - r.From + 1));
        if (covered < SlotCount)
        {
            throw Reconfigure(multiplexer, $"only {covered} of {SlotCount} Cluster slots have a primary");
        }

        var found = new List<(IServer, RedisKey)>(owners.Count);
        foreach (var node in owners)
        {
            var server = node.EndPoint is { } endPoint ? multiplexer.GetServer(endPoint) : null;
            if (server is null || !server.IsConnected || server.IsReplica)
            {
                // A primary that died (its replica may be promoted by now), or a promoted node still known as a replica.
                throw Reconfigure(multiplexer, $"Cluster primary {node.EndPoint?.ToString() ?? node.NodeId} is not connected as a primary");
            }

            found.Add((server, KeyInSlots(multiplexer, keyPrefix, node.Slots)));
        }

        return found;
    }

    private static StoreUnavailableException Reconfigure(ConnectionMultiplexer multiplexer, string problem)
    {
        // Fire and forget, but observed: a failed reconfiguration is retried by the next probe.
        _ = multiplexer.ReconfigureAsync("probe: " + problem)
            .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return new StoreUnavailableException(problem + "; reading the topology again.");
    }

    /// <summary>A probe key whose hash tag puts it in one of <paramref name="slots"/>.</summary>
    private static RedisKey KeyInSlots(ConnectionMultiplexer multiplexer, string keyPrefix, IList<SlotRange> slots)
    {
        for (var i = 0; ; i++)
        {
            RedisKey key = string.Concat(keyPrefix, "probe:{", i.ToString(CultureInfo.InvariantCulture), "}");
            var slot = multiplexer.HashSlot(key);
            if (slots.Any(r => slot >= r.From && slot <= r.To))
            {
                return key;
            }
        }
    }
}
