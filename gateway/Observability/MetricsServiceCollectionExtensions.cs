using OpenTelemetry.Metrics;

namespace Gateway.Observability;

/// <summary>OpenTelemetry metrics: the limiter's meter and ASP.NET Core's (request durations), on a Prometheus endpoint.</summary>
public static class MetricsServiceCollectionExtensions
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());
        return services;
    }

    public static IEndpointRouteBuilder MapGatewayMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        return endpoints;
    }
}
