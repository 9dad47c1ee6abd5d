using Gateway.Limiting;
using Gateway.Limiting.Policies;

namespace Gateway.Proxy;

/// <summary>Maps the proxy, with the rate limiter inside YARP's pipeline where the matched route is known.</summary>
public static class ProxyEndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapGatewayProxy(this IEndpointRouteBuilder endpoints)
    {
        // Created now rather than on the first limited request, so it watches for config edits from start-up on.
        endpoints.ServiceProvider.GetRequiredService<RateLimitingSettingsProvider>();
        endpoints.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<DeclaredBodySizeMiddleware>();
            // Limit before choosing a destination: a refused request must cost the backend nothing.
            proxy.UseMiddleware<RateLimitMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return endpoints;
    }
}
