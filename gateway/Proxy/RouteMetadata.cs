namespace Gateway.Proxy;

/// <summary>The YARP route metadata keys the gateway reads.</summary>
public static class RouteMetadata
{
    public const string RoutesSection = "ReverseProxy:Routes";

    /// <summary>Names the policy that limits the route; a route without it is not limited.</summary>
    public const string PolicyKey = "RateLimitPolicy";

    /// <summary>Permits one request of the route consumes (default 1).</summary>
    public const string CostKey = "RateLimitCost";
}
