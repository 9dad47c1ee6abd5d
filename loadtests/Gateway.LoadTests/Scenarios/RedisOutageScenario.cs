using System.Diagnostics;
using System.Globalization;
using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// Redis goes away in the middle of a run: steady load from <c>subjects</c> subjects under their limit plus one hot
/// subject at <c>hotDemand</c> times its limit, over every gateway; at <c>outageAt</c> the store is broken (redis-server
/// killed) and at <c>outageAt + outageFor</c> restored. Passes when no request failed (no 5xx, no dropped connection)
/// and the hot subject was still refused while Redis was gone (the local fallback kept limiting). Phases are counted by
/// when responses arrive relative to the break and the restore; the gateways notice either within a probe interval
/// (500 ms), so the edges of the phases are approximate.
/// </summary>
public sealed class RedisOutageScenario : ILoadScenario
{
    private const int SteadyGroup = 0;
    private const int HotGroup = 1;
    private static readonly string[] Phases = ["before", "during", "after"];

    public string Name => "redis-outage";

    public string Description => "Redis killed in the middle of a run and restarted: no 5xx, limits still enforced on local fallback, shared again after.";

    public FleetRequirements Requirements { get; } = new(Gateways: 3, Redis: true, StoreFaults: true);

    public async Task<ScenarioResult> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var faults = context.Faults ?? throw new InvalidOperationException("The redis-outage scenario needs a store it can break: let the runner start the fleet (no --target).");
        var startedAt = DateTimeOffset.UtcNow;
        var p = context.Parameters;
        var duration = p.Duration("duration", TimeSpan.FromSeconds(30));
        var outageAt = p.Duration("outageAt", TimeSpan.FromSeconds(10));
        var outageFor = p.Duration("outageFor", TimeSpan.FromSeconds(8));
        var subjects = p.Int("subjects", 30);
        var subjectRate = p.Double("subjectRate", 5);
        var hotDemand = p.Double("hotDemand", 6);
        var tier = p.Text("tier", "pro");
        var limit = await context.ProbePolicyAsync(tier, cancellationToken).ConfigureAwait(false);

        var names = Enumerable.Range(0, subjects).Select(i => $"outage-{context.RunId}-{i}").ToArray();
        var tokens = names.Select(n => context.Tokens.For(n, tier)).ToArray();
        var hot = $"outage-hot-{context.RunId}";
        var hotToken = context.Tokens.For(hot, tier);
        var gateways = context.Gateways.Count;
        var hotRate = hotDemand * limit.RatePerSecond;
        var steadyRate = subjects * subjectRate;
        var hotShare = hotRate / (hotRate + steadyRate);
        var phase = 0;
        // [phase, group, outcome]: outcome 0 = 2xx, 1 = 429, 2 = other status.
        var counts = new long[Phases.Length, 2, 3];
        long steadyCount = 0, hotCount = 0;

        var step = new LoadStep("redis-outage", LoadShape.OpenLoop(steadyRate + hotRate, duration), n =>
        {
            if (Interleave.InShare(n, hotShare))
            {
                return new RequestSpec((int)(Interlocked.Increment(ref hotCount) % gateways), LoadTestRoutes.Path(hot), hotToken, HotGroup);
            }

            var i = Interlocked.Increment(ref steadyCount) - 1;
            var subject = (int)(i % subjects);
            return new RequestSpec((int)(i / subjects % gateways), LoadTestRoutes.Path(names[subject]), tokens[subject], SteadyGroup, subject);
        })
        {
            Groups = ["steady", "hot"],
            Observe = (request, response) =>
            {
                var outcome = response.IsSuccessStatusCode ? 0 : (int)response.StatusCode == 429 ? 1 : 2;
                Interlocked.Increment(ref counts[Volatile.Read(ref phase), request.Group, outcome]);
            },
        };

        var events = new List<ScenarioEvent>();
        var clock = Stopwatch.StartNew();
        var fault = Task.Run(async () =>
        {
            await Task.Delay(outageAt, cancellationToken).ConfigureAwait(false);
            await faults.BreakAsync(cancellationToken).ConfigureAwait(false);
            events.Add(new ScenarioEvent(step.Name, clock.Elapsed, "store broken"));
            Volatile.Write(ref phase, 1);
            try
            {
                await Task.Delay(outageFor, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Restored even when the run is cancelled mid-outage: the store is not the scenario's to keep.
                await faults.RestoreAsync(CancellationToken.None).ConfigureAwait(false);
                events.Add(new ScenarioEvent(step.Name, clock.Elapsed, "store restored"));
                Volatile.Write(ref phase, 2);
            }
        }, cancellationToken);
        RunStatistics result;
        try
        {
            result = await context.RunStepAsync(step, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // The store comes back (and a failure to break or restore it is seen) however the step ended.
            await fault.ConfigureAwait(false);
        }

        var rows = new List<IReadOnlyList<string>>();
        for (var ph = 0; ph < Phases.Length; ph++)
        {
            rows.Add([Phases[ph], N(counts[ph, SteadyGroup, 0]), N(counts[ph, SteadyGroup, 1]), N(counts[ph, SteadyGroup, 2]),
                N(counts[ph, HotGroup, 0]), N(counts[ph, HotGroup, 1]), N(counts[ph, HotGroup, 2])]);
        }

        var table = new ReportTable($"Responses by phase ({faults.Description} at {outageAt.TotalSeconds:0.#} s for {outageFor.TotalSeconds:0.#} s)",
            ["phase", "steady 2xx", "steady 429", "steady other", "hot 2xx", "hot 429", "hot other"], rows);
        // While Redis is gone the instances' fallback shares add up to the limit per window, so over the outage the hot
        // subject may get the limit once per window the outage touches, plus the limit once more for requests Redis
        // decided just before the break whose responses arrived after it. Its demand (hotDemand x the limit) is set
        // well above that, so a fallback that stopped limiting would fail this check.
        var outageWindows = (long)Math.Ceiling(outageFor.TotalSeconds / limit.WindowSeconds) + 1;
        var duringBound = limit.Quota * (outageWindows + 1);
        return new ScenarioResult(Name, Description, startedAt, [result],
        [
            new("no 5xx and no dropped requests", result.Total.ServerErrors + result.Errors == 0,
                $"{result.Total.ServerErrors} 5xx, {result.Errors} without a response, of {result.Sent}"),
            new("the hot subject is still refused during the outage", counts[1, HotGroup, 1] > 0,
                $"{counts[1, HotGroup, 0]} admitted, {counts[1, HotGroup, 1]} refused while the store was down"),
            new("the hot subject is held to the outage bound", counts[1, HotGroup, 0] <= duringBound,
                $"{counts[1, HotGroup, 0]} admitted of {counts[1, HotGroup, 0] + counts[1, HotGroup, 1]} sent during the outage; bound {duringBound} (the limit once per window the outage touches ({outageWindows}), plus once for responses decided before the break)"),
            new("steady subjects keep being served", counts[1, SteadyGroup, 0] > 0 && counts[2, SteadyGroup, 0] > 0,
                $"{counts[1, SteadyGroup, 0]} admitted during the outage, {counts[2, SteadyGroup, 0]} after"),
        ], p.Used) { Tables = [table], Events = events };
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
