using System.Globalization;
using System.Text;

namespace Gateway.LoadTests;

/// <summary>Writes a run's summary as Markdown into a folder named by the scenario and the time of the run.</summary>
public static class MarkdownReport
{
    public static string Write(string reportsDirectory, string scenario, LoadShape shape, RunStatistics statistics, DateTimeOffset startedAt)
    {
        var folder = Path.Combine(reportsDirectory, $"{scenario}-{startedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "report.md");
        File.WriteAllText(path, Render(scenario, shape, statistics, startedAt));
        return path;
    }

    public static string Render(string scenario, LoadShape shape, RunStatistics s, DateTimeOffset startedAt)
    {
        var load = shape.Mode == LoadMode.Open
            ? $"open loop, {shape.Rate.ToString(CultureInfo.InvariantCulture)} requests/s"
            : $"closed loop, {shape.Concurrency} clients";
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Load test: {scenario}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Started {startedAt:u}; {load}; {s.Elapsed.TotalSeconds:F1} s.")
            .AppendLine()
            .AppendLine("| sent | 2xx | 429 | other status | errors | requests/s | p50 ms | p99 ms | p99.9 ms | max ms |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Sent} | {s.Success} | {s.Limited} | {s.OtherStatus} | {s.Errors} | {s.Throughput:F0} | {s.PercentileMilliseconds(50):F2} | {s.PercentileMilliseconds(99):F2} | {s.PercentileMilliseconds(99.9):F2} | {s.PercentileMilliseconds(100):F2} |")
            .AppendLine()
            .AppendLine("Latency is measured from each request's intended start (open loop), so a stalled server shows in the tail.");
        return text.ToString();
    }
}
