namespace Gateway.Identity;

/// <summary>The identity part of the request pipeline, in the order it must run.</summary>
public static class IdentityApplicationBuilderExtensions
{
    public static IApplicationBuilder UseGatewayIdentity(this IApplicationBuilder app)
    {
        // Client address first: everything after it, logs included, sees the real caller.
        app.UseForwardedHeaders();
        app.UseAuthentication();
        app.UseMiddleware<InvalidTokenMiddleware>();
        app.UseAuthorization();
        return app;
    }
}
