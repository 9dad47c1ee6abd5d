using System.Globalization;
using System.Text;
using Gateway.LoadTests.Running;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Reporting;

/// <summary>A scenario run as Markdown: parameters, checks, one line of statistics per step and group, the scenario's tables.</summary>
public static class MarkdownReport
{
    public static string Render(ScenarioResult result)
    {
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Load test: {result.Scenario}")
            .AppendLine()
            .AppendLine(result.Description)
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Started {result.StartedAt:u}. {result.Environment}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Parameters: {string.Join(", ", result.Parameters.Select(p => $"`{p.Key}={p.Value}`"))}")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"## Checks: {(result.Passed ? "all passed" : "FAILED")}")
            .AppendLine();
        foreach (var check in result.Checks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {(check.Passed ? "PASS" : "FAIL")} {check.Name}: {check.Detail}");
        }

        text.AppendLine()
            .AppendLine("## Steps")
            .AppendLine()
            .AppendLine("| step | group | load | sent | 2xx | 429 | other status | errors | requests/s | p50 ms | p99 ms | p99.9 ms | max ms |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var step in result.Steps)
        {
            AppendRow(text, step.Step.Name, "all", step.Step.Shape.Describe(), step.Total, step.Elapsed);
            if (step.Step.Groups.Count > 1)
            {
                for (var g = 0; g < step.Step.Groups.Count; g++)
                {
                    AppendRow(text, step.Step.Name, step.Step.Groups[g], string.Empty, step.Group(g), step.Elapsed);
                }
            }
        }

        text.AppendLine()
            .AppendLine("Latency counts from each request's intended start in open-loop steps (a stalled server shows in the tail); requests/s counts responses of any status.");
        foreach (var table in result.Tables)
        {
            text.AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"## {table.Title}")
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"| {string.Join(" | ", table.Columns)} |")
                .AppendLine(CultureInfo.InvariantCulture, $"|{string.Concat(table.Columns.Select(_ => "---|"))}");
            foreach (var row in table.Rows)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {string.Join(" | ", row)} |");
            }
        }

        if (result.Events.Count > 0)
        {
            text.AppendLine().AppendLine("## Events").AppendLine();
            foreach (var e in result.Events)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {e.Step} +{e.At.TotalSeconds:F1} s: {e.Label}");
            }
        }

        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string step, string group, string load, OutcomeStatistics s, TimeSpan elapsed) =>
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {step} | {group} | {load} | {s.Sent} | {s.Success} | {s.Limited} | {s.OtherStatus} | {s.Errors} | {(elapsed > TimeSpan.Zero ? (s.Completed - s.Errors) / elapsed.TotalSeconds : 0):F0} | {s.PercentileMilliseconds(50):F2} | {s.PercentileMilliseconds(99):F2} | {s.PercentileMilliseconds(99.9):F2} | {s.PercentileMilliseconds(100):F2} |");
}
