using System.Net;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Reporting;

/// <summary>The run as an HTML page. (Charts: being added.)</summary>
public static class HtmlReport
{
    public static void Write(string folder, ScenarioResult result) =>
        File.WriteAllText(Path.Combine(folder, "report.html"), $"<!DOCTYPE html><html><body><pre>{WebUtility.HtmlEncode(MarkdownReport.Render(result))}</pre></body></html>");
}
