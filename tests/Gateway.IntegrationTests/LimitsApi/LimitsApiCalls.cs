using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>Calls of the limits API (check, usage, overrides, reset) as a client sends them, and readers of the answers.</summary>
internal static class LimitsApiCalls
{
    /// <summary>A token with the default admin role claim (<c>role</c> = <c>admin</c>).</summary>
    public static string AdminToken(string subject = "ops-admin") =>
        TestTokens.Create(subject, "pro", extraClaims: new Dictionary<string, object> { ["role"] = "admin" });

    public static async Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string path, string? token, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> CheckAsync(this HttpClient client, string? token, string json) =>
        client.SendJsonAsync(HttpMethod.Post, "/v1/limits/check", token, json);

    public static Task<HttpResponseMessage> PutOverrideAsync(this HttpClient client, string subject, string json, string? token = null) =>
        client.SendJsonAsync(HttpMethod.Put, "/admin/overrides/" + Uri.EscapeDataString(subject), token ?? AdminToken(), json);

    public static Task<HttpResponseMessage> DeleteOverrideAsync(this HttpClient client, string subject, string? token = null) =>
        client.SendJsonAsync(HttpMethod.Delete, "/admin/overrides/" + Uri.EscapeDataString(subject), token ?? AdminToken());

    public static Task<HttpResponseMessage> ResetAsync(this HttpClient client, string subject, string? policy = null, string? token = null) =>
        client.SendJsonAsync(
            HttpMethod.Post,
            $"/admin/subjects/{Uri.EscapeDataString(subject)}/reset" + (policy is null ? string.Empty : "?policy=" + Uri.EscapeDataString(policy)),
            token ?? AdminToken());

    /// <summary>The usage of one policy for a subject, as <c>GET /admin/subjects/{id}/usage?policy=</c> reports it.</summary>
    public static async Task<JsonObject> PolicyUsageAsync(this HttpClient client, string subject, string policy)
    {
        using var response = await client.SendJsonAsync(
            HttpMethod.Get, $"/admin/subjects/{Uri.EscapeDataString(subject)}/usage?policy={Uri.EscapeDataString(policy)}", AdminToken());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        return Assert.Single(body["policies"]!.AsArray())!.AsObject();
    }

    /// <summary>The limit of the (single) rule the policy's usage shows: what this instance applies to the subject now.</summary>
    public static async Task<long> AppliedLimitAsync(this HttpClient client, string subject, string policy) =>
        (long)Assert.Single((await client.PolicyUsageAsync(subject, policy))["rules"]!.AsArray())!["limit"]!;

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>The field names of a validation problem's <c>errors</c> object.</summary>
    public static async Task<IReadOnlyList<string>> ErrorFieldsAsync(this HttpResponseMessage response) =>
        (await response.JsonAsync())["errors"]?.AsObject().Select(static e => e.Key).ToList() ?? [];
}
