using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// Steady load under the limit: <c>subjects</c> subjects of one tier share an open-loop <c>rate</c> (optionally ramped to
/// <c>rampTo</c>), each below its limit, spread over every gateway. Passes when nothing is refused and nothing fails.
/// </summary>
public sealed class SteadyScenario : ILoadScenario
{
    public string Name => "steady";

    public string Description => "Steady open-loop load under every subject's limit: no 429, no errors, the latency of the allow path.";

    public FleetRequirements Requirements { get; } = new();

    public async Task<ScenarioResult> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var p = context.Parameters;
        var duration = p.Duration("duration", TimeSpan.FromSeconds(20));
        var rate = p.Double("rate", 400);
        var rampTo = p.Double("rampTo", rate);
        var subjects = p.Int("subjects", 100);
        var tier = p.Text("tier", "pro");
        var limit = await context.ProbePolicyAsync(tier, cancellationToken).ConfigureAwait(false);

        var names = Enumerable.Range(0, subjects).Select(i => $"steady-{context.RunId}-{i}").ToArray();
        var tokens = names.Select(n => context.Tokens.For(n, tier)).ToArray();
        var gateways = context.Gateways.Count;
        var step = new LoadStep("steady", LoadShape.Ramp(rate, rampTo, duration), n =>
        {
            var subject = (int)(n % subjects);
            return new RequestSpec((int)(n / subjects % gateways), LoadTestRoutes.Path(names[subject]), tokens[subject], 0, subject);
        });
        var result = await context.RunStepAsync(step, cancellationToken).ConfigureAwait(false);

        var perSubject = Math.Max(rate, rampTo) / subjects;
        return new ScenarioResult(Name, Description, startedAt, [result],
        [
            new("every subject stays under its limit", perSubject <= limit.RatePerSecond,
                $"{perSubject:0.##} requests/s per subject at the peak; limit {limit.Quota} per {limit.WindowSeconds} s ({limit.RatePerSecond:0.##}/s)"),
            new("no request refused", result.Limited == 0, $"{result.Limited} of {result.Sent} answered 429"),
            new("no failures", result.OtherStatus + result.Errors == 0, $"{result.OtherStatus} other statuses, {result.Errors} without a response"),
        ], p.Used);
    }
}
