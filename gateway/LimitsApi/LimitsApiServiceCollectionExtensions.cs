using Gateway.Limiting.Policies;

namespace Gateway.LimitsApi;

/// <summary>The limits API's authorization (a role claim, from <c>RateLimiting:Admin</c>) and its OpenAPI document.</summary>
public static class LimitsApiServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayLimitsApi(this IServiceCollection services, RateLimitingSettings settings)
    {
        services.AddAuthorizationBuilder().AddPolicy(
            LimitsApiEndpoints.AdminPolicy,
            policy => policy.RequireAuthenticatedUser().RequireClaim(settings.Admin.RoleClaim, settings.Admin.Role));
        services.AddOpenApi();
        return services;
    }
}
