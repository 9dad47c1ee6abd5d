using System.Globalization;
using StackExchange.Redis;

namespace Gateway.IntegrationTests.Infrastructure;

/// <summary>Reads Redis directly: its clock, stored counters, TTLs and command statistics.</summary>
public static class RedisInspector
{
    /// <summary>Waits until Redis's clock is at least <paramref name="margin"/> away from a <paramref name="window"/> boundary.</summary>
    public static async Task WaitFarFromWindowBoundaryAsync(bool cluster, TimeSpan window, TimeSpan margin)
    {
        var server = Server(cluster);
        while (true)
        {
            var now = await server.TimeAsync();
            var intoWindow = TimeSpan.FromTicks((now - DateTime.UnixEpoch).Ticks % window.Ticks);
            if (intoWindow >= TimeSpan.FromSeconds(1) && window - intoWindow >= margin)
            {
                return;
            }

            await Task.Delay(window - intoWindow + TimeSpan.FromSeconds(1));
        }
    }

    public static async Task<long> CounterAsync(bool cluster, string key)
    {
        var value = await RedisTestServers.Connection(cluster).Database.HashGetAsync(key, "c");
        return value.IsNull ? 0 : long.Parse(value.ToString(), CultureInfo.InvariantCulture);
    }

    public static async Task<TimeSpan?> TimeToLiveAsync(bool cluster, string key) =>
        await RedisTestServers.Connection(cluster).Database.KeyTimeToLiveAsync(key);

    /// <summary>Script calls (EVALSHA + EVAL) the standalone server has run so far.</summary>
    public static async Task<long> ScriptCallsAsync()
    {
        var info = await Server(cluster: false).InfoAsync("commandstats");
        long calls = 0;
        foreach (var entry in info.SelectMany(group => group))
        {
            if (entry.Key is "cmdstat_evalsha" or "cmdstat_eval")
            {
                var field = entry.Value.Split(',').First(part => part.StartsWith("calls=", StringComparison.Ordinal));
                calls += long.Parse(field["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    private static IServer Server(bool cluster)
    {
        var multiplexer = RedisTestServers.AdminConnection(cluster).Multiplexer;
        return multiplexer.GetServer(multiplexer.GetEndPoints()[0]);
    }
}
