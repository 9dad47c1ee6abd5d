namespace Gateway.Proxy;

/// <summary>Adds YARP with routes and clusters from the <c>ReverseProxy</c> section (reloaded when the file changes).</summary>
public static class ProxyServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<RateLimitRouteConfigFilter>();
        return services;
    }
}
