using System.Globalization;
using Gateway.LoadTests.Running;
using Gateway.LoadTests.Scenarios;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Gateway.LoadTests.Reporting;

/// <summary>
/// The charts of one step, as SVG: latency percentiles and throughput by outcome over time, from the step's per-second
/// timeline, and its outcome totals. On the time charts, x is seconds since the step's start and slice i (responses
/// completed in [i, i + 1) s) is drawn at i + 0.5, so a scenario event at +10.0 s falls on the boundary of slices 9 and
/// 10, where its effect starts; events are dashed vertical lines.
/// </summary>
internal static class TimelineCharts
{
    private const string TimeLabel = "seconds since the step's start";

    // A spread wider than this (a stall beside a sub-millisecond p50) reads on a log axis, where the p50 stays visible;
    // a narrower one reads better on a linear axis from zero, where a change of a few milliseconds shows as such.
    private const double LogScaleSpread = 20;

    private static readonly (string Name, double Percentile, Color Color)[] Percentiles =
    [
        ("p50", 50, Color.FromHex("#1f77b4")),
        ("p99", 99, Color.FromHex("#ff7f0e")),
        ("p99.9", 99.9, Color.FromHex("#d62728")),
    ];

    private static readonly (string Name, Func<OutcomeStatistics, long> Count, Color Color)[] Outcomes =
    [
        ("2xx", s => s.Success, Charts.Success),
        ("429", s => s.Limited, Charts.Limited),
        ("other status", s => s.OtherStatus, Charts.OtherStatus),
        ("errors (no response)", s => s.Errors, Charts.Errors),
    ];

    /// <summary>The step's three charts with their captions; the time charts only when some response completed.</summary>
    public static IReadOnlyList<(string Svg, string Caption)> For(RunStatistics step, IReadOnlyList<ScenarioEvent> events)
    {
        var timeline = step.Timeline;
        var charts = new List<(string, string)>();
        if (timeline.Any(s => s.LatencyCount > 0))
        {
            var (svg, log) = Latency(timeline, events);
            charts.Add((svg, $"Latency of the responses completed in each second: p50, p99 and p99.9, ms{(log ? " on a log scale" : string.Empty)}."));
            charts.Add((Throughput(timeline, events), "Requests completed in each second by outcome, stacked (errors: no response). The last second may be partial."));
        }

        charts.Add((Totals(step.Total), "All requests of the step by outcome."));
        return charts;
    }

    private static (string Svg, bool Log) Latency(IReadOnlyList<OutcomeStatistics> timeline, IReadOnlyList<ScenarioEvent> events)
    {
        // Seconds without a response have no latency: the line joins across them, and the throughput chart shows the
        // gap. Every other latency is at least 1 µs (OutcomeStatistics clamps), so its log is finite.
        var seconds = Enumerable.Range(0, timeline.Count).Where(i => timeline[i].LatencyCount > 0).ToArray();
        var xs = seconds.Select(i => i + 0.5).ToArray();
        var values = Percentiles
            .Select(p => seconds.Select(i => timeline[i].PercentileMilliseconds(p.Percentile)).ToArray())
            .ToArray();
        var lowest = values.Min(v => v.Min());
        var highest = values.Max(v => v.Max());
        var log = highest / lowest > LogScaleSpread;

        using var plot = Charts.Create(TimeLabel, log ? "latency, ms (log scale)" : "latency, ms");
        for (var p = 0; p < Percentiles.Length; p++)
        {
            var line = plot.Add.Scatter(xs, log ? values[p].Select(Math.Log10).ToArray() : values[p], Percentiles[p].Color);
            line.LineWidth = 2;
            line.MarkerSize = 4;
        }

        if (log)
        {
            plot.Axes.Left.TickGenerator = LogTicks(lowest, highest);
        }
        else
        {
            plot.Axes.SetLimitsY(0, highest * 1.1);
        }

        Charts.LegendBelow(plot, Percentiles.Select(p => (p.Name, p.Color)));
        TimeAxis(plot, events, timeline.Count);
        return (Charts.ToSvg(plot, Charts.WideWidth), log);
    }

    /// <summary>
    /// ScottPlot has no log axis: the data is log10 and the ticks say what it stands for, labelled at 1, 2 and 5 of
    /// each decade (decades alone would leave a p50 between 2 and 6 ms unreadable).
    /// </summary>
    private static NumericManual LogTicks(double lowest, double highest)
    {
        var ticks = new NumericManual();
        for (var decade = (int)Math.Floor(Math.Log10(lowest)); decade <= (int)Math.Ceiling(Math.Log10(highest)); decade++)
        {
            for (var m = 1; m <= 9; m++)
            {
                var value = m * Math.Pow(10, decade);
                if (m is 1 or 2 or 5)
                {
                    ticks.AddMajor(Math.Log10(value), value.ToString("0.###", CultureInfo.InvariantCulture));
                }
                else
                {
                    ticks.AddMinor(Math.Log10(value));
                }
            }
        }

        return ticks;
    }

    private static string Throughput(IReadOnlyList<OutcomeStatistics> timeline, IReadOnlyList<ScenarioEvent> events)
    {
        var bars = new List<Bar>();
        long highest = 1;
        for (var i = 0; i < timeline.Count; i++)
        {
            long stacked = 0;
            foreach (var (_, count, color) in Outcomes)
            {
                var n = count(timeline[i]);
                if (n > 0)
                {
                    bars.Add(new Bar { Position = i + 0.5, Size = 0.9, ValueBase = stacked, Value = stacked + n, FillColor = color, LineWidth = 0 });
                    stacked += n;
                }
            }

            highest = Math.Max(highest, stacked);
        }

        using var plot = Charts.Create(TimeLabel, "requests per second");
        plot.Add.Bars(bars);
        plot.Axes.SetLimitsY(0, highest * 1.1);
        Charts.LegendBelow(plot, Outcomes.Select(o => (o.Name, o.Color)));
        TimeAxis(plot, events, timeline.Count);
        return Charts.ToSvg(plot, Charts.WideWidth);
    }

    private static string Totals(OutcomeStatistics total)
    {
        var bars = Outcomes.Select((o, i) => new Bar
        {
            Position = i,
            Value = o.Count(total),
            FillColor = o.Color,
            LineWidth = 0,
            Label = o.Count(total).ToString("N0", CultureInfo.InvariantCulture),
        }).ToList();

        using var plot = Charts.Create(string.Empty, "requests");
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new NumericManual(
            Enumerable.Range(0, Outcomes.Length).Select(i => (double)i).ToArray(),
            Outcomes.Select(o => o.Name.Replace(" (no response)", string.Empty, StringComparison.Ordinal)).ToArray());
        plot.Axes.SetLimits(-0.6, Outcomes.Length - 0.4, 0, Math.Max(1, bars.Max(b => b.Value)) * 1.15);
        return Charts.ToSvg(plot, Charts.NarrowWidth);
    }

    /// <summary>
    /// The x axis of a time chart: whole seconds over the whole timeline and every event; the events as dashed lines
    /// labelled above the data, where the room is kept on every time chart so a step's two charts line up.
    /// </summary>
    private static void TimeAxis(Plot plot, IReadOnlyList<ScenarioEvent> events, int seconds)
    {
        plot.Axes.Top.MinimumSize = 24;
        plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        foreach (var e in events)
        {
            var line = plot.Add.VerticalLine(e.At.TotalSeconds, 1.5f, Color.FromHex("#444444"), LinePattern.Dashed);
            line.Text = $"{e.Label} (+{e.At.TotalSeconds:0.0} s)";
            line.LabelOppositeAxis = true;
            line.LabelFontSize = 11;
        }

        plot.Axes.SetLimitsX(0, Math.Max(seconds, events.Count == 0 ? 0 : Math.Ceiling(events.Max(e => e.At.TotalSeconds))));
    }
}
