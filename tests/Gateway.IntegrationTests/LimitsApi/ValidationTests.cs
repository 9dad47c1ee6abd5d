using System.Net;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.LimitsApi;

/// <summary>
/// A bad body is a 400 <c>application/problem+json</c> whose <c>errors</c> object names the bad field, with the same
/// key paths as a bad <c>appsettings.json</c> (<c>Policies:orders:0:Window</c>); nothing is spent or stored.
/// </summary>
public sealed class ValidationTests : IClassFixture<LimitsApiGateway>
{
    private const string GoodRule = """{ "Algorithm": "FixedWindow", "Limit": 9, "Window": "1m" }""";

    private readonly LimitsApiGateway _fixture;

    public ValidationTests(LimitsApiGateway fixture) => _fixture = fixture;

    private HttpClient Client => _fixture.Client;

    public static TheoryData<string, string, string> BadCheckBodies() => new()
    {
        { "malformed JSON", """{ "policy": "orders", """, "body" },
        { "empty body", "", "body" },
        { "not an object", "[1, 2]", "body" },
        { "missing policy", """{ "cost": 1 }""", "policy" },
        { "empty policy", """{ "policy": "  " }""", "policy" },
        { "unknown policy", """{ "policy": "no-such-policy" }""", "policy" },
        { "cost 0", """{ "policy": "orders", "cost": 0 }""", "cost" },
        { "negative cost", """{ "policy": "orders", "cost": -2 }""", "cost" },
        { "cost not a number", """{ "policy": "orders", "cost": "lots" }""", "cost" },
        { "consume not a boolean", """{ "policy": "orders", "consume": "maybe" }""", "consume" },
        { "tier without subject", """{ "policy": "orders", "tier": "pro" }""", "tier" },
    };

    [Theory]
    [MemberData(nameof(BadCheckBodies))]
    public async Task Check_BadBody_Is400ProblemNamingTheField(string name, string json, string field)
    {
        var subject = $"bad-check-{Guid.NewGuid():N}";
        var token = TestTokens.Create(subject, "free");

        using var response = await Client.CheckAsync(token, json);

        await AssertValidationProblemAsync(response, field, name);
        // Nothing was spent: the whole minute's budget is still there.
        var statuses = await Client.SendManyAsync("/api/orders/" + subject, token, 5);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task Check_AdminWithEmptySubject_Is400NamingSubject()
    {
        using var response = await Client.CheckAsync(LimitsApiCalls.AdminToken(), """{ "policy": "orders", "subject": "" }""");

        await AssertValidationProblemAsync(response, "subject", "empty subject");
    }

    public static TheoryData<string, string, string> BadOverrideDocuments() => new()
    {
        { "malformed JSON", """{ "Policies": { "orders": [ """, "body" },
        { "empty body", "", "body" },
        { "no policies", "{}", "Policies" },
        { "unknown policy", $$"""{ "Policies": { "no-such-policy": [ {{GoodRule}} ] } }""", "Policies:no-such-policy" },
        { "unknown top-level field", $$"""{ "Policies": { "orders": [ {{GoodRule}} ] }, "Owner": "ops" }""", "Owner" },
        { "unknown rule field", """{ "Policies": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 9, "Window": "1m", "Limt": 9 } ] } }""", "Policies:orders:0:Limt" },
        { "bad window", """{ "Policies": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 9, "Window": "soon" } ] } }""", "Policies:orders:0:Window" },
        { "bad window in second rule", $$"""{ "Policies": { "orders": [ {{GoodRule}}, { "Algorithm": "FixedWindow", "Limit": 90, "Window": "-1h" } ] } }""", "Policies:orders:1:Window" },
        { "limit 0", """{ "Policies": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 0, "Window": "1m" } ] } }""", "Policies:orders:0:Limit" },
        { "unknown algorithm", """{ "Policies": { "orders": [ { "Algorithm": "Leaky", "Limit": 9, "Window": "1m" } ] } }""", "Policies:orders:0:Algorithm" },
        { "rules not a list", """{ "Policies": { "orders": { "Algorithm": "FixedWindow", "Limit": 9, "Window": "1m" } } }""", "Policies:orders:Algorithm" },
        { "bad ExpiresAt", $$"""{ "Policies": { "orders": [ {{GoodRule}} ] }, "ExpiresAt": "next tuesday" }""", "ExpiresAt" },
    };

    [Theory]
    [MemberData(nameof(BadOverrideDocuments))]
    public async Task PutOverride_BadDocument_Is400ProblemNamingTheField_AndStoresNothing(string name, string json, string field)
    {
        var subject = $"bad-override-{Guid.NewGuid():N}";

        using var response = await Client.PutOverrideAsync(subject, json);

        await AssertValidationProblemAsync(response, field, name);
        using var stored = await Client.SendJsonAsync(HttpMethod.Get, "/admin/overrides/" + subject, LimitsApiCalls.AdminToken());
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
        var usage = await Client.PolicyUsageAsync(subject, "orders");
        Assert.Equal("tier:free", (string?)usage["source"]);
        Assert.False((bool)usage["overrideActive"]!);
    }

    [Fact]
    public async Task PutOverride_BadDocumentOverAGoodOne_KeepsTheGoodOne()
    {
        var subject = $"kept-override-{Guid.NewGuid():N}";
        using (var good = await Client.PutOverrideAsync(subject, $$"""{ "Policies": { "orders": [ {{GoodRule}} ] } }"""))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        }

        using var bad = await Client.PutOverrideAsync(subject, """{ "Policies": { "orders": [ { "Algorithm": "FixedWindow", "Limit": 99, "Window": "1 fortnight" } ] } }""");

        await AssertValidationProblemAsync(bad, "Policies:orders:0:Window", "bad window over a good override");
        Assert.Equal(9, await Client.AppliedLimitAsync(subject, "orders"));
    }

    [Theory]
    [InlineData("GET", "/admin/subjects/someone/usage?policy=no-such-policy")]
    [InlineData("POST", "/admin/subjects/someone/reset?policy=no-such-policy")]
    public async Task AdminEndpoint_UnknownPolicyParameter_Is400NamingPolicy(string method, string path)
    {
        using var response = await Client.SendJsonAsync(new HttpMethod(method), path, LimitsApiCalls.AdminToken());

        await AssertValidationProblemAsync(response, "policy", path);
    }

    private static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field, string because)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{because}: expected 400, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var fields = await response.ErrorFieldsAsync();
        Assert.True(fields.Contains(field), $"{because}: expected errors naming '{field}', got {text}");
        Assert.Equal(400, (int)(await response.JsonAsync())["status"]!);
    }
}
