using System.Net;
using System.Text.RegularExpressions;
using Gateway.IntegrationTests.Infrastructure;

namespace Gateway.IntegrationTests.Observability;

/// <summary>/metrics (Prometheus, from OpenTelemetry) counts decisions by policy, rule source and outcome, and never names a subject.</summary>
public sealed partial class MetricsTests
{
    [Fact]
    public async Task ScriptedRun_DecisionCountersMatch_AndNoLabelCarriesTheSubject()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        // Its own policy name: other gateways in this test process share the meter, not this label.
        var policy = "metrics-" + Guid.NewGuid().ToString("N")[..12];
        await using var gateway = await GatewayInstance.StartAsync(GatewayConfig.Default(upstream.Address)
            .WithPolicyRoute(policy, """[ { "Algorithm": "FixedWindow", "Limit": 10, "Window": "1m" } ]"""));
        var subject = "metrics-subject-" + Guid.NewGuid().ToString("N");

        var statuses = await gateway.Client.SendManyAsync($"/api/{policy}/x", TestTokens.Create(subject, "free"), 15);
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));

        using var response = await gateway.Client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, Counter(text, policy, "allowed"));
        Assert.Equal(5, Counter(text, policy, "limited"));
        Assert.DoesNotContain(subject, text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    private static long Counter(string exposition, string policy, string outcome)
    {
        foreach (Match line in DecisionLine().Matches(exposition))
        {
            var labels = line.Groups["labels"].Value;
            if (labels.Contains($"policy=\"{policy}\"", StringComparison.Ordinal) && labels.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal))
            {
                return (long)double.Parse(line.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [GeneratedRegex(@"^gateway_ratelimit_decisions_total\{(?<labels>[^}]*)\} (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex DecisionLine();
}
