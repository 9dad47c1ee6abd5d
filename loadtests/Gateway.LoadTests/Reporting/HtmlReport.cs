using System.Globalization;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Reporting;

/// <summary>
/// A scenario run as one self-contained HTML page (report.html): what ran and where, its checks, the steps table and
/// the scenario's tables, then per step its charts over time (<see cref="TimelineCharts"/>) with the events marked.
/// </summary>
public static class HtmlReport
{
    public static void Write(string folder, ScenarioResult result) =>
        Render(result).Write(Path.Combine(folder, "report.html"));

    private static HtmlPage Render(ScenarioResult result)
    {
        var page = new HtmlPage($"Load test: {result.Scenario}")
            .Heading(1, $"Load test: {result.Scenario}")
            .Badge(result.Passed ? "all checks passed" : "FAILED", result.Passed)
            .Paragraph(result.Description)
            .Paragraph([$"Started {result.StartedAt.ToString("u", CultureInfo.InvariantCulture)}.", result.Environment], "muted")
            .Heading(2, "Parameters")
            .Table(["parameter", "value"], result.Parameters.Select(p => (IReadOnlyList<string>)[p.Key, p.Value]))
            .Heading(2, $"Checks: {(result.Passed ? "all passed" : "FAILED")}")
            .List(result.Checks.Select(c => ($"{(c.Passed ? "PASS" : "FAIL")} {c.Name}: {c.Detail}", (string?)(c.Passed ? "pass" : "fail"))))
            .Heading(2, "Steps")
            .Table(StepTable.Columns, StepTable.Rows(result.Steps))
            .Paragraph("Latency counts from each request's intended start in open-loop steps (a stalled server shows in the tail); requests/s counts responses of any status.", "muted");

        foreach (var table in result.Tables)
        {
            page.Heading(2, table.Title).Table(table);
        }

        if (result.Events.Count > 0)
        {
            page.Heading(2, "Events")
                .List(result.Events.Select(e => (string.Create(CultureInfo.InvariantCulture, $"{e.Step} +{e.At.TotalSeconds:F1} s: {e.Label}"), (string?)null)));
        }

        page.Heading(2, "Charts");
        foreach (var step in result.Steps)
        {
            page.Heading(3, $"Step {step.Step.Name}: {step.Step.Shape.Describe()}")
                .Figures(TimelineCharts.For(step, result.Events.Where(e => e.Step == step.Step.Name).ToList()));
        }

        return page;
    }
}
