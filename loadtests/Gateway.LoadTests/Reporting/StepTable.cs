using System.Globalization;
using Gateway.LoadTests.Running;

namespace Gateway.LoadTests.Reporting;

/// <summary>
/// The steps table of both reports: one row per step and, when a step has several groups, one per group.
/// </summary>
internal static class StepTable
{
    public static IReadOnlyList<string> Columns { get; } =
        ["step", "group", "load", "sent", "2xx", "429", "other status", "errors", "requests/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms"];

    public static IReadOnlyList<IReadOnlyList<string>> Rows(IEnumerable<RunStatistics> steps)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var step in steps)
        {
            rows.Add(Row(step.Step.Name, "all", step.Step.Shape.Describe(), step.Total, step.Elapsed));
            if (step.Step.Groups.Count > 1)
            {
                for (var g = 0; g < step.Step.Groups.Count; g++)
                {
                    rows.Add(Row(step.Step.Name, step.Step.Groups[g], string.Empty, step.Group(g), step.Elapsed));
                }
            }
        }

        return rows;
    }

    private static string[] Row(string step, string group, string load, OutcomeStatistics s, TimeSpan elapsed) =>
    [
        step, group, load, F(s.Sent), F(s.Success), F(s.Limited), F(s.OtherStatus), F(s.Errors),
        F(elapsed > TimeSpan.Zero ? (s.Completed - s.Errors) / elapsed.TotalSeconds : 0, "F0"),
        F(s.PercentileMilliseconds(50), "F2"), F(s.PercentileMilliseconds(99), "F2"), F(s.PercentileMilliseconds(99.9), "F2"), F(s.PercentileMilliseconds(100), "F2"),
    ];

    private static string F(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
