using System.Net;
using System.Text.Json.Nodes;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>The OpenAPI document is served at <c>/openapi/v1.json</c>, without a token, and describes the limits API.</summary>
public sealed class OpenApiTests : IClassFixture<LimitsApiGateway>
{
    private readonly LimitsApiGateway _fixture;

    public OpenApiTests(LimitsApiGateway fixture) => _fixture = fixture;

    [Fact]
    public async Task OpenApiDocument_IsServed_AndListsEveryLimitsApiOperation()
    {
        using var response = await _fixture.Client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();
        var expected = new Dictionary<string, string[]>
        {
            ["/v1/limits/check"] = ["post"],
            ["/admin/subjects/{id}/usage"] = ["get"],
            ["/admin/subjects/{id}/reset"] = ["post"],
            ["/admin/overrides/{id}"] = ["get", "put", "delete"],
        };
        foreach (var (path, methods) in expected)
        {
            Assert.True(paths.ContainsKey(path), $"the document lacks {path}; it has: {string.Join(", ", paths.Select(p => p.Key))}");
            foreach (var method in methods)
            {
                Assert.True(paths[path]!.AsObject().ContainsKey(method), $"the document lacks {method.ToUpperInvariant()} {path}");
            }
        }

        // The check operation documents both of its answers.
        var check = paths["/v1/limits/check"]!["post"]!["responses"]!.AsObject();
        Assert.True(check.ContainsKey("200"));
        Assert.True(check.ContainsKey("429"));
    }
}
