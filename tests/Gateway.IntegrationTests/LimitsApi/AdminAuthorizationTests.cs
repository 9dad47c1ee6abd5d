using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// Every admin endpoint answers 401 without a token (or with one that does not validate), 403 to a token without the
/// admin role claim (<c>role</c> = <c>admin</c>), and does its job for an admin. A refused call changes nothing.
/// </summary>
public sealed class AdminAuthorizationTests : IClassFixture<LimitsApiGateway>
{
    private const string OverrideDocument = """{ "Policies": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 9, "Window": "1m" } ] } }""";

    private readonly LimitsApiGateway _fixture;

    public AdminAuthorizationTests(LimitsApiGateway fixture) => _fixture = fixture;

    private HttpClient Client => _fixture.Client;

    /// <summary>Endpoint name, method, path (with {s} for a subject of the test's own), body, what an admin gets.</summary>
    public static TheoryData<string, string, string, string?, HttpStatusCode> AdminEndpoints() => new()
    {
        { "usage", "GET", "/admin/subjects/{s}/usage", null, HttpStatusCode.OK },
        { "usage of one policy", "GET", "/admin/subjects/{s}/usage?policy=orders", null, HttpStatusCode.OK },
        { "reset", "POST", "/admin/subjects/{s}/reset", null, HttpStatusCode.OK },
        { "reset of one policy", "POST", "/admin/subjects/{s}/reset?policy=orders", null, HttpStatusCode.OK },
        { "get absent override", "GET", "/admin/overrides/{s}", null, HttpStatusCode.NotFound },
        { "put override", "PUT", "/admin/overrides/{s}", OverrideDocument, HttpStatusCode.OK },
        { "delete absent override", "DELETE", "/admin/overrides/{s}", null, HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task AdminEndpoint_ByCaller_NoToken401_NonAdmin403_Admin(string name, string method, string pathTemplate, string? body, HttpStatusCode forAdmin)
    {
        var subject = $"authz-{name.Replace(' ', '-')}-{Guid.NewGuid():N}";
        var path = pathTemplate.Replace("{s}", subject, StringComparison.Ordinal);
        var httpMethod = new HttpMethod(method);

        using (var anonymous = await Client.SendJsonAsync(httpMethod, path, token: null, body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.StartsWith("Bearer", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        using (var forged = await Client.SendJsonAsync(httpMethod, path, TestTokens.Unsigned("mallory", "pro"), body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        foreach (var (caller, token) in NonAdminTokens())
        {
            using var refused = await Client.SendJsonAsync(httpMethod, path, token, body);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{name}, {caller}: expected 403, got {(int)refused.StatusCode}");
        }

        // None of the refused calls stored an override.
        using (var stored = await Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken()))
        {
            Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
        }

        using var admitted = await Client.SendJsonAsync(httpMethod, path, LimitsApiCalls.AdminToken(), body);
        Assert.Equal(forAdmin, admitted.StatusCode);
    }

    [Fact]
    public async Task AdminToken_RoleAmongSeveral_IsAdmin()
    {
        // A role claim issued as a JSON array becomes one claim per value: "admin" among them is enough.
        var token = TestTokens.Create("ops-multi-role", "pro", extraClaims: new Dictionary<string, object> { ["role"] = new[] { "auditor", "admin" } });

        using var response = await Client.SendJsonAsync(HttpMethod.Get, "/admin/subjects/someone/usage?policy=orders", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OverrideLifecycle_ByAdmin_PutGetDeleteAnswer200_200_204_ThenGone404()
    {
        var subject = "authz-lifecycle-" + Guid.NewGuid().ToString("N");

        using (var put = await Client.PutOverrideAsync(subject, OverrideDocument))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var get = await Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken()))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("application/json", get.Content.Headers.ContentType?.MediaType);
            // The document comes back as it was stored.
            Assert.Equal(OverrideDocument, await get.Content.ReadAsStringAsync());
        }

        using (var delete = await Client.DeleteOverrideAsync(subject))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using (var gone = await Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken()))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        using var again = await Client.DeleteOverrideAsync(subject);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    private static IEnumerable<(string Caller, string Token)> NonAdminTokens()
    {
        yield return ("no role claim", TestTokens.Create("plain-user", "pro"));
        yield return ("another role", TestTokens.Create("viewer", "pro", extraClaims: new Dictionary<string, object> { ["role"] = "viewer" }));
        // Claim values are compared exactly: "Admin" is not "admin".
        yield return ("role in other case", TestTokens.Create("case-user", "pro", extraClaims: new Dictionary<string, object> { ["role"] = "Admin" }));
        // The right value under another claim type is not the role claim.
        yield return ("admin under another claim", TestTokens.Create("scope-user", "pro", extraClaims: new Dictionary<string, object> { ["scope"] = "admin" }));
    }
}
