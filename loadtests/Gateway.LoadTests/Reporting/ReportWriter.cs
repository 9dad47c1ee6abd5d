using System.Globalization;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Reporting;

/// <summary>Writes a scenario run's report into a folder named by the scenario and the run's start: report.md and report.html.</summary>
public static class ReportWriter
{
    /// <returns>The run's folder.</returns>
    public static string Write(string reportsDirectory, ScenarioResult result)
    {
        var folder = NewFolder(reportsDirectory, $"{result.Scenario}-{result.StartedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        File.WriteAllText(Path.Combine(folder, "report.md"), MarkdownReport.Render(result));
        HtmlReport.Write(folder, result);
        return folder;
    }

    /// <summary>A folder of its own: two runs that start in the same second get <c>name</c> and <c>name-2</c>, never one folder.</summary>
    public static string NewFolder(string parent, string name)
    {
        Directory.CreateDirectory(parent);
        for (var attempt = 1; ; attempt++)
        {
            var folder = Path.Combine(parent, attempt == 1 ? name : $"{name}-{attempt}");
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
                return folder;
            }
        }
    }
}
