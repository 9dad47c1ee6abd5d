using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Net.Http.Headers;

namespace Gateway.Identity;

/// <summary>
/// Answers 401 to a request that presents a bearer token which does not validate, on every route. Without this a
/// caller with an expired or forged token would quietly be treated as anonymous, and be limited (or let through)
/// as someone else.
/// </summary>
internal sealed class InvalidTokenMiddleware
{
    private readonly RequestDelegate _next;

    public InvalidTokenMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.User.Identity?.IsAuthenticated != true && PresentsBearerToken(context.Request))
        {
            return context.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme);
        }

        return _next(context);
    }

    private static bool PresentsBearerToken(HttpRequest request)
    {
        foreach (var value in request.Headers[HeaderNames.Authorization])
        {
            if (value is not null && value.TrimStart().StartsWith("Bearer", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
