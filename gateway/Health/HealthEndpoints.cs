using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>
/// <c>/healthz</c>: the process is alive (no check runs). <c>/readyz</c>: the store's state, as JSON; 200 when
/// Healthy or Degraded. Both are outside the proxy: never rate limited, never authenticated.
/// </summary>
public static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    private const string ReadyTag = "ready";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IServiceCollection AddGatewayHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = static _ => false }).AllowAnonymous();
        endpoints.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReportAsync,
        }).AllowAnonymous();
        return endpoints;
    }

    private static async Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        // Built in memory, then written asynchronously: serializing the data values straight into the response would
        // flush synchronously, which Kestrel refuses.
        var buffer = new ArrayBufferWriter<byte>(512);
        await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteReport(writer, report);
        }

        try
        {
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The prober gave up (a short timeout during start-up): nothing to answer, and no error to log.
        }
    }

    private static void WriteReport(Utf8JsonWriter writer, HealthReport report)
    {
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", entry.Status.ToString());
            writer.WriteString("description", entry.Description);
            foreach (var (key, value) in entry.Data)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
