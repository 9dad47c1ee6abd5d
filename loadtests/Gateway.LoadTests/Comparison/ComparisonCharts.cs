using System.Globalization;
using Gateway.LoadTests.Reporting;
using ScottPlot;
using ScottPlot.Palettes;

namespace Gateway.LoadTests.Comparison;

/// <summary>The comparison's charts, as SVG grouped bars: requests/s of each target per workload, and each target's latency percentiles.</summary>
internal static class ComparisonCharts
{
    // Bars of a group share this much of the space between two groups' centres; the rest separates the groups.
    private const double GroupWidth = 0.8;

    private static readonly (string Name, double Percentile, Color Color)[] Percentiles =
    [
        ("p50", 50, Color.FromHex("#1f77b4")),
        ("p99", 99, Color.FromHex("#ff7f0e")),
        ("p99.9", 99.9, Color.FromHex("#d62728")),
    ];

    public static string Throughput(ComparisonReport.Input input)
    {
        var palette = new Category10();
        // The refusal workload runs only against targets that limit: no bar rather than a zero for the others.
        return GroupedBars(
            input.Workloads,
            input.Targets.Select((t, i) => (t.Name, palette.GetColor(i))).ToList(),
            (w, t) => input.Throughput.GetValueOrDefault((input.Targets[t].Name, input.Workloads[w]))?.Throughput,
            "requests per second",
            "N0");
    }

    public static string Latency(ComparisonReport.Input input) =>
        GroupedBars(
            input.Targets.Select(t => t.Name).ToList(),
            Percentiles.Select(p => (p.Name, p.Color)).ToList(),
            (t, p) => input.Latency.GetValueOrDefault(input.Targets[t].Name)?.Outcomes.PercentileMilliseconds(Percentiles[p].Percentile),
            "latency, ms",
            "F2");

    /// <param name="value">The bar of group g and series s, or null for none.</param>
    private static string GroupedBars(IReadOnlyList<string> groups, IReadOnlyList<(string Name, Color Color)> series, Func<int, int, double?> value, string yLabel, string format)
    {
        var width = GroupWidth / series.Count;
        var bars = new List<Bar>();
        for (var g = 0; g < groups.Count; g++)
        {
            for (var s = 0; s < series.Count; s++)
            {
                if (value(g, s) is { } v)
                {
                    bars.Add(new Bar
                    {
                        Position = g - (GroupWidth / 2) + (width * (s + 0.5)),
                        Size = width * 0.9,
                        Value = v,
                        FillColor = series[s].Color,
                        LineWidth = 0,
                        Label = v.ToString(format, CultureInfo.InvariantCulture),
                    });
                }
            }
        }

        using var plot = Charts.Create(string.Empty, yLabel);
        plot.Add.Bars(bars).ValueLabelStyle.FontSize = 10;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, groups.Count).Select(g => (double)g).ToArray(), [.. groups]);
        plot.Axes.SetLimits(-0.5, groups.Count - 0.5, 0, Math.Max(bars.Select(b => b.Value).DefaultIfEmpty(0).Max(), 1e-3) * 1.15);
        Charts.LegendBelow(plot, series);
        return Charts.ToSvg(plot, Charts.WideWidth);
    }
}
