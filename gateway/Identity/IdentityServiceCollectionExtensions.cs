using Gateway.Limiting.Policies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Identity;

/// <summary>Adds JWT bearer authentication with strict validation, and trusted-proxy handling of <c>X-Forwarded-For</c>.</summary>
public static class IdentityServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayIdentity(this IServiceCollection services, IConfiguration configuration, RateLimitingSettings rateLimiting)
    {
        var jwt = JwtBearerSettingsReader.Read(configuration);
        services.AddSingleton(jwt);

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        // Post-configure, so whatever ASP.NET Core binds from the same section, the strict rules below win.
        services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options => ApplyStrictValidation(options, jwt));
        services.AddAuthorization();

        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // ASP.NET Core trusts loopback by default; a gateway must trust only the proxies it is told about,
            // or any caller could pick its own rate-limit key with a forged header.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list defaults to 127.0.0.0/8 too; empty it in case it is still consulted.
            options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var proxy in rateLimiting.Identity.KnownProxies)
            {
                options.KnownProxies.Add(proxy);
            }

            foreach (var network in rateLimiting.Identity.KnownNetworks)
            {
                options.KnownIPNetworks.Add(network);
            }

            // Walk the chain from the right while each hop is a known proxy: the first unknown hop is the client.
            options.ForwardLimit = null;
        });

        return services;
    }

    internal static void ApplyStrictValidation(JwtBearerOptions options, JwtBearerSettings jwt)
    {
        // Keep claim names as issued ("sub", "tier"), not remapped to long XML URIs.
        options.MapInboundClaims = false;
        options.RequireHttpsMetadata = true;
        options.Authority = jwt.Authority;
        var keyIssuers = jwt.SigningKeys.ToDictionary(k => k.Key, k => k.Issuer);
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuers = jwt.ValidIssuers,
            ValidateAudience = true,
            ValidAudiences = jwt.ValidAudiences,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = jwt.SigningKeys.Select(k => k.Key).ToList(),
            // A key configured for one issuer must not vouch for another.
            IssuerSigningKeyValidatorUsingConfiguration = (key, token, _, _) =>
                key is null || !keyIssuers.TryGetValue(key, out var issuer) || issuer is null
                || string.Equals(issuer, token.Issuer, StringComparison.Ordinal),
            ValidAlgorithms = jwt.ValidAlgorithms,
            ClockSkew = jwt.ClockSkew,
            NameClaimType = "sub",
        };

        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(new JsonWebTokenHandler { MaximumTokenSizeInBytes = jwt.MaxTokenBytes, MapInboundClaims = false });
    }
}
