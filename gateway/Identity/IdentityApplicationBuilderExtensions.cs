using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Gateway.Identity;

/// <summary>The identity part of the request pipeline, in the order it must run.</summary>
public static class IdentityApplicationBuilderExtensions
{
    public static IApplicationBuilder UseGatewayIdentity(this IApplicationBuilder app)
    {
        // Client address first: everything after it, logs included, sees the real caller. ASP.NET Core's middleware
        // trusts every peer when it knows no proxy at all, so without configured proxies it must not run.
        var forwarded = app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (forwarded.KnownProxies.Count > 0 || forwarded.KnownIPNetworks.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseAuthentication();
        app.UseMiddleware<InvalidTokenMiddleware>();
        app.UseAuthorization();
        return app;
    }
}
