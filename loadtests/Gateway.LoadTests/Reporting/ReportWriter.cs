using System.Globalization;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Reporting;

/// <summary>Writes a scenario run's report into a folder named by the scenario and the run's start: report.md and report.html.</summary>
public static class ReportWriter
{
    /// <returns>The run's folder.</returns>
    public static string Write(string reportsDirectory, ScenarioResult result)
    {
        var folder = Path.Combine(reportsDirectory, $"{result.Scenario}-{result.StartedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.md"), MarkdownReport.Render(result));
        HtmlReport.Write(folder, result);
        return folder;
    }
}
