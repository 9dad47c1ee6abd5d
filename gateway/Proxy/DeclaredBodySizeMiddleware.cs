using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>
/// Refuses, with 413, a request whose declared <c>Content-Length</c> is over the server's body size limit, before
/// anything is forwarded. Kestrel enforces the limit only when the body is read, and the proxy sends the request
/// line and headers to the backend before it reads the body: without this the backend would see the request start.
/// Refused before the rate limiter, so it costs the caller no permit.
/// </summary>
internal sealed class DeclaredBodySizeMiddleware
{
    private readonly RequestDelegate _next;

    public DeclaredBodySizeMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        if (limit is { } max && context.Request.ContentLength > max)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return Task.CompletedTask;
        }

        return _next(context);
    }
}
