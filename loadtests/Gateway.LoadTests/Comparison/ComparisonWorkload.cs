using Gateway.LoadTests.Identity;
using Gateway.LoadTests.Running;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Comparison;

/// <summary>
/// What the comparison sends, on the <c>bench</c> route (limits no load here reaches, except tier refused): one hot
/// subject; 10,000 subjects in a Zipf mix across tiers; one refused subject (the 429 path).
/// </summary>
public sealed record ComparisonWorkload(string Name, Func<long, RequestSpec> Plan, bool RefusalPath = false)
{
    public static ComparisonWorkload HotSubject(TokenIssuer tokens, string runId)
    {
        var token = tokens.For($"bench-hot-{runId}", "pro");
        var path = $"/bench/hot-{runId}";
        return new ComparisonWorkload("hot subject", _ => new RequestSpec(0, path, token));
    }

    public static ComparisonWorkload ZipfMix(TokenIssuer tokens, string runId, int subjects = 10_000)
    {
        string[] tiers = ["free", "pro", "enterprise"];
        var zipf = new ZipfDistribution(subjects, 1.1);
        var paths = Enumerable.Range(0, subjects).Select(r => $"/bench/mix-{runId}-{r}").ToArray();
        // Minted up front: signing 10,000 tokens inside the measurement would measure the load generator.
        var subjectTokens = Enumerable.Range(0, subjects).Select(r => tokens.For($"bench-mix-{runId}-{r}", tiers[r % tiers.Length])).ToArray();
        return new ComparisonWorkload($"{subjects:N0}-subject mix", n =>
        {
            var rank = zipf.Sample(Interleave.Uniform(n, salt: 3));
            return new RequestSpec(0, paths[rank], subjectTokens[rank], 0, rank);
        });
    }

    public static ComparisonWorkload Refused(TokenIssuer tokens, string runId)
    {
        var token = tokens.For($"bench-refused-{runId}", "refused");
        var path = $"/bench/refused-{runId}";
        return new ComparisonWorkload("refused subject (429 path)", _ => new RequestSpec(0, path, token), RefusalPath: true);
    }
}
