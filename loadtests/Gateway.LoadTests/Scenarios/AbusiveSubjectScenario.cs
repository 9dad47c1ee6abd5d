using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// One abusive subject at <c>abuseFactor</c> times its limit beside <c>wellBehaved</c> subjects at
/// <c>wellBehavedRate</c> each (under their limit). First the well-behaved alone (the baseline), then with the abuser.
/// Passes when the well-behaved see no 429 in either phase, their p99 moves by at most <c>latencyTolerance</c>, and the
/// abuser is held to its limit.
/// </summary>
public sealed class AbusiveSubjectScenario : ILoadScenario
{
    private const int WellBehavedGroup = 0;
    private const int AbuserGroup = 1;

    public string Name => "abusive";

    public string Description => "One subject far over its limit (10x by default) beside well-behaved subjects: they must see no 429 and no latency change.";

    public FleetRequirements Requirements { get; } = new();

    public async Task<ScenarioResult> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var p = context.Parameters;
        var phase = p.Duration("phaseDuration", TimeSpan.FromSeconds(10));
        var wellBehaved = p.Int("wellBehaved", 20);
        var wellBehavedRate = p.Double("wellBehavedRate", 4);
        var abuseFactor = p.Double("abuseFactor", 10);
        var tier = p.Text("tier", "pro");
        var tolerance = p.Duration("latencyTolerance", TimeSpan.FromMilliseconds(2));
        var limit = await context.ProbePolicyAsync(tier, cancellationToken).ConfigureAwait(false);

        var names = Enumerable.Range(0, wellBehaved).Select(i => $"polite-{context.RunId}-{i}").ToArray();
        var tokens = names.Select(n => context.Tokens.For(n, tier)).ToArray();
        var abuser = $"abuser-{context.RunId}";
        var abuserToken = context.Tokens.For(abuser, tier);
        var gateways = context.Gateways.Count;
        var politeRate = wellBehaved * wellBehavedRate;
        var abuserRate = abuseFactor * limit.RatePerSecond;
        string[] groups = ["well-behaved", "abuser"];

        RequestSpec Polite(long n)
        {
            var subject = (int)(n % wellBehaved);
            return new RequestSpec((int)(n / wellBehaved % gateways), LoadTestRoutes.Path(names[subject]), tokens[subject], WellBehavedGroup, subject);
        }

        var baseline = await context.RunStepAsync(
            new LoadStep("baseline", LoadShape.OpenLoop(politeRate, phase), Polite) { Groups = groups }, cancellationToken).ConfigureAwait(false);

        var abuserShare = abuserRate / (abuserRate + politeRate);
        long politeCount = 0, abuserCount = 0;
        var withAbuser = await context.RunStepAsync(
            new LoadStep("with-abuser", LoadShape.OpenLoop(politeRate + abuserRate, phase), n =>
                Interleave.InShare(n, abuserShare)
                    ? new RequestSpec((int)(Interlocked.Increment(ref abuserCount) % gateways), LoadTestRoutes.Path(abuser), abuserToken, AbuserGroup)
                    : Polite(Interlocked.Increment(ref politeCount) - 1))
            { Groups = groups },
            cancellationToken).ConfigureAwait(false);

        var before = baseline.Group(WellBehavedGroup);
        var during = withAbuser.Group(WellBehavedGroup);
        var abusive = withAbuser.Group(AbuserGroup);
        var p99Change = during.PercentileMilliseconds(99) - before.PercentileMilliseconds(99);
        var bound = limit.AdmissionBound(withAbuser.Elapsed);
        return new ScenarioResult(Name, Description, startedAt, [baseline, withAbuser],
        [
            new("well-behaved subjects see no 429", before.Limited + during.Limited == 0,
                $"{before.Limited} in the baseline, {during.Limited} beside the abuser ({wellBehavedRate:0.##}/s each; limit {limit.RatePerSecond:0.##}/s)"),
            new("well-behaved p99 unchanged", p99Change <= tolerance.TotalMilliseconds,
                $"p99 {before.PercentileMilliseconds(99):F2} ms alone, {during.PercentileMilliseconds(99):F2} ms beside the abuser ({p99Change:+0.00;-0.00} ms; tolerance {tolerance.TotalMilliseconds:0.##} ms)"),
            new("abuser held to its limit", abusive.Success <= bound && abusive.Limited > 0,
                $"abuser sent {abusive.Sent} ({abuserRate:0.#}/s, {abuseFactor:0.#}x its limit): {abusive.Success} admitted (bound {bound} for {withAbuser.Elapsed.TotalSeconds:F1} s), {abusive.Limited} refused"),
            new("no failures", baseline.OtherStatus + baseline.Errors + withAbuser.OtherStatus + withAbuser.Errors == 0,
                $"{baseline.OtherStatus + withAbuser.OtherStatus} other statuses, {baseline.Errors + withAbuser.Errors} without a response"),
        ], p.Used);
    }
}
