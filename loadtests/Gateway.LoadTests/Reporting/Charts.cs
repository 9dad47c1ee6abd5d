using ScottPlot;
using SkiaSharp;

namespace Gateway.LoadTests.Reporting;

/// <summary>
/// What every chart of the reports shares: one look (sans font, legend below the data), rendering to SVG for a page,
/// the outcome colours, and whether this machine can draw text at all.
/// </summary>
internal static class Charts
{
    public const int WideWidth = 900;
    public const int NarrowWidth = 440;
    public const int Height = 340;

    // ScottPlot's own sans detection looks for Windows and macOS families and, on Linux, falls back to the first
    // family it finds (DejaVu Serif here).
    private static readonly string SansFamily =
        new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica" }.FirstOrDefault(SKFontManager.Default.FontFamilies.Contains) ?? Fonts.Default;

    public static Color Success { get; } = Color.FromHex("#2ca02c");

    public static Color Limited { get; } = Color.FromHex("#ff7f0e");

    public static Color OtherStatus { get; } = Color.FromHex("#9467bd");

    public static Color Errors { get; } = Color.FromHex("#d62728");

    /// <summary>
    /// SkiaSharp's Linux build without dependencies finds fonts only under /usr/share/fonts; with none there, ScottPlot
    /// draws every chart without a single label, silently. The page says so instead (fonts-dejavu-core fixes it).
    /// </summary>
    public static bool CanDrawText => SKTypeface.Default.GlyphCount > 0;

    public static Plot Create(string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(SansFamily);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        return plot;
    }

    /// <summary>A legend below the data, in a row, so it never hides a line or a bar.</summary>
    public static void LegendBelow(Plot plot, IEnumerable<(string Label, Color Color)> items)
    {
        foreach (var (label, color) in items)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = label, FillColor = color, LineColor = color, LineWidth = 0 });
        }

        plot.ShowLegend(Edge.Bottom).Padding = new PixelPadding(0);
        plot.Legend.Orientation = Orientation.Horizontal;
    }

    /// <summary>
    /// The chart as an SVG element to put inline in a page: without the XML declaration (meaningless inside HTML),
    /// with a viewBox so it scales down on a narrow screen.
    /// </summary>
    public static string ToSvg(Plot plot, int width, int height = Height)
    {
        var svg = plot.GetSvgXml(width, height);
        var start = svg.IndexOf("<svg ", StringComparison.Ordinal) + "<svg ".Length;
        return $"<svg viewBox=\"0 0 {width} {height}\" {svg[start..]}";
    }
}
