using System.Text;

namespace Gateway.Proxy;

/// <summary>Adds YARP with routes and clusters from the <c>ReverseProxy</c> section (reloaded when the file changes).</summary>
public static class ProxyServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddConfigFilter<RateLimitRouteConfigFilter>()
            // Kestrel accepts UTF-8 in request header values; the outgoing client defaults to ASCII only and would
            // turn any such header into a 502. Forward what Kestrel accepted, byte for byte.
            .ConfigureHttpClient(static (_, handler) => handler.RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8);
        return services;
    }
}
