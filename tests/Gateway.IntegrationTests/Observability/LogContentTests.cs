using System.Collections.Concurrent;
using System.Net;
using Gateway.Identity;
using Gateway.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace Gateway.IntegrationTests.Observability;

/// <summary>What the logs say about a refused request: policy, rule and a hash of the subject; never the subject or the token.</summary>
public sealed class LogContentTests
{
    [Fact]
    public async Task RejectedRequest_LogsPolicyRuleAndHashedSubject_NeverTheSubjectOrToken()
    {
        var sink = new CollectingSink();
        await using var upstream = await UpstreamServer.StartAsync();
        var config = GatewayConfig.Default(upstream.Address);
        config["Serilog"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "MinimumLevel": { "Default": "Information" } }""");
        // The gateway's Serilog reads sinks from its services: this one keeps every event for the test.
        await using var gateway = await GatewayInstance.StartAsync(config, b => b.ConfigureTestServices(s => s.AddSingleton<ILogEventSink>(sink)));
        var subject = "log-subject-" + Guid.NewGuid().ToString("N");
        var token = TestTokens.Create(subject, "free");

        var statuses = await gateway.Client.SendManyAsync("/api/orders/1", token, 6);

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        var rejected = Assert.Single(sink.Events, e => e.MessageTemplate.Text.StartsWith("Rejected", StringComparison.Ordinal));
        var text = rejected.RenderMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("orders", text, StringComparison.Ordinal);
        Assert.Contains("orders-1m", text, StringComparison.Ordinal);
        Assert.Contains(SubjectKey.ForLog(SubjectKey.ForSubject(subject)), text, StringComparison.Ordinal);
        var everything = string.Join('\n', sink.Events.Select(e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)
            + string.Join(' ', e.Properties.Select(p => p.Value.ToString()))));
        Assert.DoesNotContain(subject, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(token, everything, StringComparison.Ordinal);
        // Request lines carry the trace id, to join them with traces and other services' logs.
        Assert.Contains(sink.Events, e => e.MessageTemplate.Text.StartsWith("HTTP", StringComparison.Ordinal) && e.TraceId is not null);
    }

    private sealed class CollectingSink : ILogEventSink
    {
        private readonly ConcurrentQueue<LogEvent> _events = new();

        public IReadOnlyCollection<LogEvent> Events => _events;

        public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);
    }
}
