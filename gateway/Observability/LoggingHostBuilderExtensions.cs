using Serilog;

namespace Gateway.Observability;

/// <summary>Serilog from the <c>Serilog</c> section (levels, sinks, format), with a console sink when none is configured.</summary>
public static class LoggingHostBuilderExtensions
{
    public static WebApplicationBuilder AddGatewayLogging(this WebApplicationBuilder builder)
    {
        // preserveStaticLogger: each host logs through its own logger, not the process-wide Log.Logger (which the last
        // host to start would own: several gateways in one process, as the tests run them, would log into each other).
        builder.Services.AddSerilog(
            (services, logger) =>
            {
                logger.ReadFrom.Configuration(builder.Configuration)
                    .ReadFrom.Services(services)
                    .Enrich.FromLogContext();
                if (!builder.Configuration.GetSection("Serilog:WriteTo").GetChildren().Any())
                {
                    logger.WriteTo.Console();
                }
            },
            preserveStaticLogger: true);
        return builder;
    }

    /// <summary>One structured line per request, with route, status and elapsed time.</summary>
    public static IApplicationBuilder UseGatewayRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            // This host's logger (the static one is not this host's: see AddGatewayLogging).
            options.Logger = app.ApplicationServices.GetService<Serilog.ILogger>();
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
