using System.Globalization;
using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Scenarios;

/// <summary>
/// <c>subjects</c> subjects (10,000) whose request shares follow a Zipf law (<see cref="ZipfDistribution"/>) (exponent <c>zipf</c>): a few hot subjects,
/// a long tail. Each subject belongs to a tier drawn by <c>tiers</c> (<c>free:70,pro:25,enterprise:5</c>). Reports, per
/// tier, who was admitted and refused; passes when no subject was admitted beyond its limit and nothing failed.
/// </summary>
public sealed class ZipfSubjectsScenario : ILoadScenario
{
    public string Name => "zipf";

    public string Description => "Many subjects (10,000 by default) with Zipf-distributed traffic across tiers: hot subjects limited, the long tail untouched.";

    public FleetRequirements Requirements { get; } = new();

    public async Task<ScenarioResult> RunAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var p = context.Parameters;
        var duration = p.Duration("duration", TimeSpan.FromSeconds(20));
        var rate = p.Double("rate", 1000);
        var subjects = p.Int("subjects", 10_000);
        var exponent = p.Double("zipf", 1.1);
        var tierMix = ParseTiers(p.Text("tiers", "free:70,pro:25,enterprise:5"));

        var tiers = tierMix.Select(t => t.Tier).ToArray();
        var limits = new Dictionary<string, RateLimitPolicyField>();
        foreach (var tier in tiers)
        {
            limits[tier] = await context.ProbePolicyAsync(tier, cancellationToken).ConfigureAwait(false);
        }

        var zipf = new ZipfDistribution(subjects, exponent);
        var subjectTier = Enumerable.Range(0, subjects).Select(r => TierOf(Interleave.Uniform(r, salt: 7), tierMix)).ToArray();
        var names = Enumerable.Range(0, subjects).Select(r => $"zipf-{context.RunId}-{r}").ToArray();
        // Minted before the step: signing thousands of tokens inside it would measure the load generator.
        var tokens = Enumerable.Range(0, subjects).Select(r => context.Tokens.For(names[r], tiers[subjectTier[r]])).ToArray();
        var admitted = new long[subjects];
        var refused = new long[subjects];
        var gateways = context.Gateways.Count;

        var step = new LoadStep("zipf", LoadShape.OpenLoop(rate, duration), n =>
        {
            var rank = zipf.Sample(Interleave.Uniform(n, salt: 11));
            var tier = subjectTier[rank];
            return new RequestSpec((int)(n % gateways), LoadTestRoutes.Path(names[rank]), tokens[rank], tier, rank);
        })
        {
            Groups = tiers,
            Observe = (request, response) =>
            {
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref admitted[request.Subject]);
                }
                else if ((int)response.StatusCode == 429)
                {
                    Interlocked.Increment(ref refused[request.Subject]);
                }
            },
        };
        var result = await context.RunStepAsync(step, cancellationToken).ConfigureAwait(false);

        var rows = new List<IReadOnlyList<string>>();
        var overLimit = new List<string>();
        for (var t = 0; t < tiers.Length; t++)
        {
            var members = Enumerable.Range(0, subjects).Where(r => subjectTier[r] == t).ToList();
            var seen = members.Count(r => admitted[r] + refused[r] > 0);
            var limited = members.Count(r => refused[r] > 0);
            var bound = limits[tiers[t]].AdmissionBound(result.Elapsed);
            overLimit.AddRange(members.Where(r => admitted[r] > bound).Select(r => $"{names[r]} ({tiers[t]}): {admitted[r]} > {bound}"));
            var group = result.Group(t);
            rows.Add([tiers[t], Format(members.Count), Format(seen), Format(group.Sent), Format(group.Success), Format(group.Limited), Format(limited),
                members.Count == 0 ? "-" : Format(members.Max(r => admitted[r])), Format(bound)]);
        }

        var table = new ReportTable("Per tier", ["tier", "subjects", "subjects seen", "requests", "2xx", "429", "subjects refused", "most admitted (one subject)", "bound per subject"], rows);
        return new ScenarioResult(Name, Description, startedAt, [result],
        [
            new("no subject admitted beyond its limit", overLimit.Count == 0,
                overLimit.Count == 0 ? $"hottest subject took {zipf.TopShare:P1} of the traffic" : string.Join("; ", overLimit.Take(5))),
            new("the hottest subject is limited", refused[0] > 0, $"subject of rank 1: {admitted[0]} admitted, {refused[0]} refused"),
            new("no failures", result.OtherStatus + result.Errors == 0, $"{result.OtherStatus} other statuses, {result.Errors} without a response"),
        ], p.Used) { Tables = [table] };
    }

    private static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static int TierOf(double uniform, IReadOnlyList<(string Tier, double Share)> mix)
    {
        var point = uniform * mix.Sum(m => m.Share);
        for (var i = 0; i < mix.Count; i++)
        {
            point -= mix[i].Share;
            if (point < 0)
            {
                return i;
            }
        }

        return mix.Count - 1;
    }

    private static List<(string Tier, double Share)> ParseTiers(string text)
    {
        var mix = new List<(string, double)>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = item.Split(':', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || share <= 0)
            {
                throw new ArgumentException($"Parameter 'tiers': '{item}' is not tier:share (e.g. free:70,pro:25,enterprise:5).");
            }

            mix.Add((pair[0], share));
        }

        return mix.Count > 0 ? mix : throw new ArgumentException("Parameter 'tiers': no tier given.");
    }
}
