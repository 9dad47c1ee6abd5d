using Gateway.Health;
using Gateway.Hosting;
using Gateway.Identity;
using Gateway.Limiting;
using Gateway.Limiting.Policies;
using Gateway.LimitsApi;
using Gateway.Observability;
using Gateway.Proxy;

if (DevTokenCommand.IsInvoked(args))
{
    return DevTokenCommand.Run(args);
}

if (HealthProbeCommand.IsInvoked(args))
{
    return await HealthProbeCommand.RunAsync(args);
}

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Configuration.AddGatewayAppSettings(builder.Environment);
    var rateLimiting = RateLimitingSettingsReader.Read(builder.Configuration);

    builder.AddGatewayLogging();
    builder.Services.AddGatewayIdentity(builder.Configuration, rateLimiting);
    builder.Services.AddGatewayRateLimiting(rateLimiting);
    builder.Services.AddGatewayProxy(builder.Configuration);
    builder.Services.AddGatewayHealth();
    builder.Services.AddGatewayLimitsApi(rateLimiting);
    builder.Services.AddGatewayMetrics();

    var app = builder.Build();
    app.UseGatewayRequestLogging();
    app.UseGatewayIdentity();
    app.MapGatewayHealth();
    app.MapGatewayMetrics();
    app.MapOpenApi();
    app.MapLimitsApi();
    app.MapGatewayProxy();
    await app.RunAsync();
    return 0;
}
catch (GatewayConfigurationException e)
{
    // A bad config stops start-up with one clear message naming the keys, not a stack trace.
    Console.Error.WriteLine(e.Message);
    return 2;
}

/// <summary>The gateway's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
