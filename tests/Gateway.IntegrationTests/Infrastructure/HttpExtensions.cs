using System.Net;
using System.Net.Http.Headers;

namespace Gateway.IntegrationTests.Infrastructure;

public static class HttpExtensions
{
    public static async Task<HttpResponseMessage> GetAsync(this HttpClient client, string path, string? token, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        return await client.SendAsync(request);
    }

    /// <summary>Sends <paramref name="count"/> requests one after another and returns the status codes.</summary>
    public static async Task<List<HttpStatusCode>> SendManyAsync(this HttpClient client, string path, string? token, int count, Action<HttpRequestMessage>? configure = null)
    {
        var statuses = new List<HttpStatusCode>(count);
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync(path, token, configure);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : null;
}
