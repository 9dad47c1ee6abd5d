using System.Collections.Concurrent;
using System.Globalization;
using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// Several gateway instances behind round-robin (each subject's requests rotate over every instance), sharing one Redis:
/// <c>subjects</c> subjects of a fixed-window tier (<c>metered</c>: 200 per 10 s) at <c>demand</c> times their limit.
/// Each admitted request is assigned to its window by the reset time the gateway reported; the report prints admitted
/// vs limit for every subject and window. Passes when no window admitted more than the limit.
/// </summary>
public sealed class RoundRobinAccuracyScenario : ILoadScenario
{
    public string Name => "round-robin";

    public string Description => "Three gateway instances behind round-robin on one Redis: admitted vs limit in every window.";

    public FleetRequirements Requirements { get; } = new(Gateways: 3, Redis: true);

    public async Task<ScenarioResult> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var p = context.Parameters;
        var duration = p.Duration("duration", TimeSpan.FromSeconds(30));
        var subjects = p.Int("subjects", 5);
        var demand = p.Double("demand", 3);
        var tier = p.Text("tier", "metered");
        var limit = await context.ProbePolicyAsync(tier, cancellationToken).ConfigureAwait(false);
        if (limit.Burst > 0)
        {
            throw new ArgumentException($"Parameter 'tier': {tier} is a token bucket; the per-window accuracy check needs a window rule.");
        }

        var names = Enumerable.Range(0, subjects).Select(i => $"rr-{context.RunId}-{i}").ToArray();
        var tokens = names.Select(n => context.Tokens.For(n, tier)).ToArray();
        var gateways = context.Gateways.Count;
        var admitted = new ConcurrentDictionary<(int Subject, long Window), long>();
        var unplaced = 0L;
        var rate = subjects * limit.RatePerSecond * demand;

        var step = new LoadStep("round-robin", LoadShape.OpenLoop(rate, duration), n =>
        {
            // Target from n / subjects, not n: with n mod gateways, a subject count that is a multiple of the instance
            // count would pin every subject to one instance, and the check would pass without shared counters.
            var subject = (int)(n % subjects);
            return new RequestSpec((int)(n / subjects % gateways), LoadTestRoutes.Path(names[subject]), tokens[subject], 0, subject);
        })
        {
            Observe = (request, response) =>
            {
                if (!response.IsSuccessStatusCode)
                {
                    return;
                }

                // The window ends at now + t (t rounded up to whole seconds); windows are aligned on multiples of their
                // length, so rounding the end to the nearest multiple names the window unless the clocks differ by w/2.
                if (RateLimitPolicyField.ResetSeconds(response) is { } reset)
                {
                    var end = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + reset;
                    admitted.AddOrUpdate((request.Subject, (long)Math.Round(end / limit.WindowSeconds)), 1, (_, c) => c + 1);
                }
                else
                {
                    Interlocked.Increment(ref unplaced);
                }
            },
        };
        var result = await context.RunStepAsync(step, cancellationToken).ConfigureAwait(false);

        var windows = admitted.Keys.Select(k => k.Window).Distinct().Order().ToList();
        var rows = new List<IReadOnlyList<string>>();
        var over = new List<string>();
        for (var s = 0; s < subjects; s++)
        {
            var row = new List<string> { names[s] };
            foreach (var window in windows)
            {
                var count = admitted.GetValueOrDefault((s, window));
                row.Add(count.ToString(CultureInfo.InvariantCulture));
                if (count > limit.Quota)
                {
                    over.Add($"{names[s]} window {window}: {count} > {limit.Quota}");
                }
            }

            rows.Add(row);
        }

        // Windows the run covered from start to end (not the partial first and last) show the accuracy under demand.
        var full = windows.Count > 2 ? windows.Skip(1).SkipLast(1).ToList() : [];
        var fullAdmitted = full.Sum(w => Enumerable.Range(0, subjects).Sum(s => admitted.GetValueOrDefault((s, w))));
        var fullLimit = (long)full.Count * subjects * limit.Quota;
        var columns = new List<string> { "subject" };
        columns.AddRange(windows.Select(w => DateTimeOffset.FromUnixTimeSeconds((w - 1) * limit.WindowSeconds).ToString("HH:mm:ss", CultureInfo.InvariantCulture)));
        var table = new ReportTable($"Admitted per window (limit {limit.Quota} per {limit.WindowSeconds} s; columns: window start, UTC)", columns, rows);
        return new ScenarioResult(Name, Description, startedAt, [result],
        [
            new("no window admitted more than its limit", over.Count == 0 && unplaced == 0,
                over.Count == 0 ? $"{windows.Count} windows x {subjects} subjects, {gateways} instances, demand {demand:0.#}x the limit" : string.Join("; ", over.Take(5))),
            new("full windows reach their limit", full.Count == 0 || fullAdmitted >= fullLimit * 0.95,
                full.Count == 0 ? "no window was covered from start to end (run longer than two windows)" : $"{fullAdmitted} admitted of {fullLimit} allowed in {full.Count} full windows ({(double)fullAdmitted / fullLimit:P1})"),
            new("no failures", result.OtherStatus + result.Errors == 0, $"{result.OtherStatus} other statuses, {result.Errors} without a response"),
        ], p.Used) { Tables = [table] };
    }
}
