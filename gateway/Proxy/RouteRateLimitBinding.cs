using System.Globalization;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// A route's rate-limit metadata, parsed once per route config. YARP replaces <see cref="RouteConfig"/> objects on
/// reload, so a weak table keyed by them never serves stale metadata and never leaks old routes.
/// </summary>
public sealed class RouteRateLimitBinding
{
    private static readonly ConditionalWeakTable<RouteConfig, RouteRateLimitBinding> Cache = new();
    private static readonly RouteRateLimitBinding Unlimited = new(null, 1);

    private RouteRateLimitBinding(string? policyName, long cost)
    {
        PolicyName = policyName;
        Cost = cost;
    }

    /// <summary>The policy limiting the route; null when the route is not limited.</summary>
    public string? PolicyName { get; }

    public long Cost { get; }

    public static RouteRateLimitBinding For(RouteConfig route) => Cache.GetValue(route, Parse);

    /// <summary>Parses the metadata, or throws naming the key; the config filter calls this so YARP refuses a bad reload.</summary>
    public static RouteRateLimitBinding Parse(RouteConfig route)
    {
        var metadata = route.Metadata;
        if (metadata is null || !metadata.TryGetValue(RouteMetadata.PolicyKey, out var policy) || string.IsNullOrWhiteSpace(policy))
        {
            return Unlimited;
        }

        long cost = 1;
        if (metadata.TryGetValue(RouteMetadata.CostKey, out var costText)
            && (!long.TryParse(costText, NumberStyles.Integer, CultureInfo.InvariantCulture, out cost) || cost < 1))
        {
            throw new InvalidOperationException(
                $"{RouteMetadata.RoutesSection}:{route.RouteId}:Metadata:{RouteMetadata.CostKey}: must be a positive integer, got '{costText}'");
        }

        return new RouteRateLimitBinding(policy.Trim(), cost);
    }
}
