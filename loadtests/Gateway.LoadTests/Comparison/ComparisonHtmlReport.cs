using System.Globalization;
using Gateway.LoadTests.Reporting;

namespace Gateway.LoadTests.Comparison;

/// <summary>
/// The comparison as one self-contained HTML page (report.html): <see cref="ComparisonReport"/>'s Markdown as HTML, so
/// the figures and verdicts are computed in one place, then its charts.
/// </summary>
public static class ComparisonHtmlReport
{
    public static void Write(string folder, ComparisonReport.Input input)
    {
        var page = new HtmlPage("Comparison");
        MarkdownHtml.Append(page, ComparisonReport.Render(input), Verdict);
        page.Heading(2, "Charts")
            .Figures(
            [
                (ComparisonCharts.Throughput(input), string.Create(CultureInfo.InvariantCulture,
                    $"Maximum throughput (closed loop, {input.Concurrency} connections), responses per second of any status, per workload and target. The refused-subject workload runs only against targets that limit.")),
                (ComparisonCharts.Latency(input), string.Create(CultureInfo.InvariantCulture,
                    $"Latency per target, open loop at {input.LatencyRate:0} requests/s, hot subject, from each request's intended start.")),
            ]);
        page.Write(Path.Combine(folder, "report.html"));
    }

    // ComparisonReport writes its verdicts as "- met: ..." and "- NOT met: ...".
    private static string? Verdict(string item) =>
        item.StartsWith("met:", StringComparison.Ordinal) ? "pass"
        : item.StartsWith("NOT met:", StringComparison.Ordinal) ? "fail"
        : null;
}
