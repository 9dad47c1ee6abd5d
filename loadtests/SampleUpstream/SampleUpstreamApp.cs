using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SampleUpstream;

/// <summary>
/// A small API to put behind the gateway: every path answers 200 with a JSON echo. <c>GET /__upstream/stats</c>
/// tells how many requests arrived (tests compare it with what the gateway admitted); <c>POST /__upstream/reset</c>
/// clears the counts. <c>?delayMs=N</c> simulates a slow backend.
/// </summary>
public static class SampleUpstreamApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args.Where(a => a != "--verbose").ToArray());
        builder.Logging.SetMinimumLevelFromArgs(args);
        builder.Services.AddSingleton<RequestCounter>();
        var app = builder.Build();
        var counter = app.Services.GetRequiredService<RequestCounter>();

        app.MapGet("/__upstream/stats", () => Results.Json(new Stats(counter.Total, counter.ByPath), StatsJsonContext.Default.Stats));
        app.MapPost("/__upstream/reset", () =>
        {
            counter.Reset();
            return Results.NoContent();
        });
        app.Map("/{**path}", async (HttpContext context) =>
        {
            var path = context.Request.Path.Value ?? "/";
            counter.Record(path);
            if (int.TryParse(context.Request.Query["delayMs"], out var delay) && delay is > 0 and <= 10_000)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            return Results.Json(
                new Echo("sample-upstream", context.Request.Method, path, context.Request.Headers["X-Forwarded-For"].ToString()),
                StatsJsonContext.Default.Echo);
        });
        return app;
    }
}
