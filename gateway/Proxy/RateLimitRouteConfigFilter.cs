using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// Validates each route's rate-limit metadata when YARP loads or reloads its config. Throwing here makes YARP keep
/// the routes it had (and refuse to start on the first load), so a route never serves naming a policy that does not exist.
/// </summary>
internal sealed class RateLimitRouteConfigFilter : IProxyConfigFilter
{
    private readonly IConfiguration _configuration;

    public RateLimitRouteConfigFilter(IConfiguration configuration) => _configuration = configuration;

    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => new(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        var binding = RouteRateLimitBinding.Parse(route);
        // Checked against the configuration as it is now, not the policy snapshot: both come from one file edit,
        // and YARP may see the edit before the policy snapshot is swapped.
        if (binding.PolicyName is not null
            && !_configuration.GetSection($"RateLimiting:Policies:{binding.PolicyName}").GetChildren().Any())
        {
            throw new InvalidOperationException(
                $"{RouteMetadata.RoutesSection}:{route.RouteId}:Metadata:{RouteMetadata.PolicyKey}: names policy '{binding.PolicyName}', which is not defined under RateLimiting:Policies");
        }

        return new(route);
    }
}
