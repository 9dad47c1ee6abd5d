using System.Globalization;
using System.Text;
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

        text.AppendLine().AppendLine("## Steps").AppendLine();
        AppendTable(text, StepTable.Columns, StepTable.Rows(result.Steps));
        text.AppendLine()
            .AppendLine("Latency counts from each request's intended start in open-loop steps (a stalled server shows in the tail); requests/s counts responses of any status.");
        foreach (var table in result.Tables)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {table.Title}").AppendLine();
            AppendTable(text, table.Columns, table.Rows);
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

    private static void AppendTable(StringBuilder text, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"| {string.Join(" | ", columns)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"|{string.Concat(columns.Select(_ => "---|"))}");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {string.Join(" | ", row)} |");
        }
    }
}
