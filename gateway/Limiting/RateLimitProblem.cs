using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Limiting.Storage;

namespace Gateway.Limiting;

/// <summary>Writes <c>application/problem+json</c> bodies (RFC 9457) for the limiter's own refusals.</summary>
internal static class RateLimitProblem
{
    public const string ContentType = "application/problem+json";

    // A JSON body, never embedded in HTML: no need to escape quotes and apostrophes into \u0027.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteRejectionAsync(HttpContext context, RateLimitDecision decision, long retryAfterSeconds)
    {
        var rule = decision.DecidingRule;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.ContentType = ContentType;
        await using var writer = new Utf8JsonWriter(response.Body, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", "https://www.rfc-editor.org/rfc/rfc6585#section-4");
        writer.WriteString("title", "Too Many Requests");
        writer.WriteNumber("status", StatusCodes.Status429TooManyRequests);
        writer.WriteString(
            "detail",
            $"Rate limit '{rule.Name}' of policy '{decision.Rules.PolicyName}' exceeded: {rule.Limit} per {rule.WindowText}. Retry in {retryAfterSeconds} s.");
        writer.WriteString("policy", decision.Rules.PolicyName);
        writer.WriteString("rule", rule.Name);
        writer.WriteString("algorithm", rule.Algorithm.ToString());
        writer.WriteNumber("limit", rule.Limit);
        writer.WriteString("window", rule.WindowText);
        writer.WriteNumber("retryAfter", retryAfterSeconds);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = ContentType;
        await using var writer = new Utf8JsonWriter(response.Body, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("title", title);
        writer.WriteNumber("status", status);
        writer.WriteString("detail", detail);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }
}
