using Gateway.LoadTests.Hosting;

namespace Gateway.LoadTests.Comparison;

/// <summary>One thing the comparison measures: a name, its address, whether it limits, and whether it talks to Redis.</summary>
public sealed record ComparisonTarget(string Name, Uri Address, bool Limits, bool UsesRedis)
{
    /// <summary>The gateway configurations compared, besides the upstream itself.</summary>
    public static IReadOnlyList<(GatewayProcessOptions Options, bool Limits)> Gateways { get; } =
    [
        // Limiting off: the same gateway, routes, token validation and logging, with the route's policy emptied.
        (new GatewayProcessOptions("limiting-off", Redis: false) { Settings = new Dictionary<string, string> { ["ReverseProxy:Routes:bench:Metadata:RateLimitPolicy"] = string.Empty } }, false),
        (new GatewayProcessOptions("in-memory", Redis: false), true),
        // Their own keys: the two Redis configurations share the server, never counters.
        (new GatewayProcessOptions("redis-exact", Redis: true, Leases: false) { KeyPrefix = "bench-exact:" }, true),
        (new GatewayProcessOptions("redis-leases", Redis: true, Leases: true) { KeyPrefix = "bench-leases:" }, true),
    ];

    public const string Baseline = "limiting-off";
}
