using System.Globalization;
using System.Text;

namespace Gateway.LoadTests.Comparison;

/// <summary>The comparison as Markdown: one row per target, ratios to the limiting-off gateway, and the targets' verdicts.</summary>
public static class ComparisonReport
{
    private const string Leases = "redis-leases";

    public static string Render(Input input)
    {
        var hot = input.Workloads[0];
        var mix = input.Workloads[1];
        var refused = input.Workloads[2];
        Measurement? Get(string target, string workload) => input.Throughput.GetValueOrDefault((target, workload));
        var baselineHot = Get(ComparisonTarget.Baseline, hot)!;
        var baselineMix = Get(ComparisonTarget.Baseline, mix)!;
        var baselineLatency = input.Latency[ComparisonTarget.Baseline];

        var text = new StringBuilder()
            .AppendLine("# Comparison: upstream direct, limiting off, in-memory, Redis exact, Redis with leases")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Started {input.StartedAt:u}. {input.Machine}")
            .AppendLine(CultureInfo.InvariantCulture, $"Throughput: closed loop, {input.Concurrency} connections, {input.Rounds} interleaved rounds of {input.Seconds.TotalSeconds:0.#} s per target and workload; requests/s over all rounds (slowest-fastest round), ratio = median of per-round ratios to limiting off. Latency: open loop at {input.LatencyRate:0} requests/s (half the limiting-off maximum unless --latency-rate), hot subject, from each request's intended start, percentiles over all rounds.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"| target | hot subject req/s | x limiting off | {mix} req/s | x limiting off | 429 path req/s | p50 ms | p99 ms | p99.9 ms | Redis calls/request (hot / mix / 429) |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var target in input.Targets)
        {
            var h = Get(target.Name, hot)!;
            var m = Get(target.Name, mix)!;
            var r = Get(target.Name, refused);
            var l = input.Latency[target.Name];
            var calls = target.UsesRedis ? $"{h.RedisCallsPerRequest:0.0000} / {m.RedisCallsPerRequest:0.0000} / {r?.RedisCallsPerRequest:0.0000}" : "-";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {target.Name} | {h.Throughput:N0} {Range(h)} | {h.MedianRatioTo(baselineHot):0.00} | {m.Throughput:N0} {Range(m)} | {m.MedianRatioTo(baselineMix):0.00} | {(r is null ? "-" : r.Throughput.ToString("N0", CultureInfo.InvariantCulture))} | {l.Outcomes.PercentileMilliseconds(50):F2} | {l.Outcomes.PercentileMilliseconds(99):F2} | {l.Outcomes.PercentileMilliseconds(99.9):F2} | {calls} |");
        }

        var failures = input.Throughput.Values.Sum(v => v.Outcomes.OtherStatus + v.Outcomes.Errors) + input.Latency.Values.Sum(v => v.Outcomes.OtherStatus + v.Outcomes.Errors);
        var leasesHot = Get(Leases, hot)!;
        var leasesMix = Get(Leases, mix)!;
        var leasesRefused = Get(Leases, refused)!;
        var leasesLatency = input.Latency[Leases];
        // Per round, like the throughput ratios: one noisy round must not decide the verdict.
        var p99Gap = leasesLatency.MedianP99GapTo(baselineLatency);
        text.AppendLine()
            .AppendLine("Targets (Redis with leases against limiting off):")
            .AppendLine()
            .AppendLine(Verdict(leasesHot.MedianRatioTo(baselineHot) >= 0.9, $"throughput, hot subject >= 0.9x: {leasesHot.MedianRatioTo(baselineHot):0.00}x"))
            .AppendLine(Verdict(leasesMix.MedianRatioTo(baselineMix) >= 0.9, $"throughput, {mix} >= 0.9x: {leasesMix.MedianRatioTo(baselineMix):0.00}x"))
            .AppendLine(Verdict(p99Gap <= 1, $"p99 within 1 ms at {input.LatencyRate:0} req/s: {p99Gap:+0.00;-0.00} ms (median of per-round differences; over all rounds {leasesLatency.Outcomes.PercentileMilliseconds(99):F2} vs {baselineLatency.Outcomes.PercentileMilliseconds(99):F2} ms)"))
            .AppendLine(Verdict(leasesHot.RedisCallsPerRequest <= 0.05, $"Redis calls per request, hot subject <= 0.05: {leasesHot.RedisCallsPerRequest:0.0000}"))
            .AppendLine(Verdict(leasesRefused.Throughput >= leasesHot.Throughput, $"429 path at least as fast as the allow path: {leasesRefused.Throughput:N0} vs {leasesHot.Throughput:N0} req/s"))
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Responses other than 2xx/429, and requests without a response, over the whole run: {failures}.")
            .AppendLine()
            .AppendLine("Redis calls are script calls (EVAL/EVALSHA) counted by the redis-server around each step; idle gateways' background calls fall in too.");
        return text.ToString();
    }

    /// <summary>The rounds' spread, so noise on a shared machine is visible next to the figure.</summary>
    private static string Range(Measurement m) =>
        m.Rounds < 2 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"({m.RoundThroughputs.Min():N0}-{m.RoundThroughputs.Max():N0})");

    private static string Verdict(bool met, string text) => $"- {(met ? "met" : "NOT met")}: {text}";

    public sealed record Input(
        IReadOnlyList<ComparisonTarget> Targets,
        IReadOnlyList<string> Workloads,
        IReadOnlyDictionary<(string Target, string Workload), Measurement> Throughput,
        IReadOnlyDictionary<string, Measurement> Latency,
        double LatencyRate,
        int Rounds,
        TimeSpan Seconds,
        int Concurrency,
        DateTimeOffset StartedAt,
        string Machine);
}
