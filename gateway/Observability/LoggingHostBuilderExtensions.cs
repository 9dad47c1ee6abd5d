using Serilog;

namespace Gateway.Observability;

/// <summary>Serilog from the <c>Serilog</c> section (levels, sinks, format), with a console sink when none is configured.</summary>
public static class LoggingHostBuilderExtensions
{
    public static WebApplicationBuilder AddGatewayLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext();
            if (!builder.Configuration.GetSection("Serilog:WriteTo").GetChildren().Any())
            {
                logger.WriteTo.Console();
            }
        });
        return builder;
    }

    /// <summary>One structured line per request, with route, status and elapsed time.</summary>
    public static IApplicationBuilder UseGatewayRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                diagnostics.Set("ClientAddress", context.Connection.RemoteIpAddress?.ToString());
                var route = context.GetEndpoint()?.DisplayName;
                if (route is not null)
                {
                    diagnostics.Set("Endpoint", route);
                }
            };
        });
}
