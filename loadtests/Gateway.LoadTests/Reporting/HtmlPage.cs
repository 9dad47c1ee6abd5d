using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.LoadTests.Scenarios;

namespace Gateway.LoadTests.Reporting;

/// <summary>
/// A self-contained HTML page, built top to bottom: styles inline and charts as inline SVG, so the file opens anywhere
/// without a network. Every text goes through <see cref="WebUtility.HtmlEncode(string)"/> here, so callers cannot
/// forget it; only the charts' SVG (<see cref="Figures"/>) is written as is.
/// </summary>
internal sealed partial class HtmlPage(string title)
{
    // Skia writes the family it drew with into each text element; a page read on a machine without it falls back to
    // a sans font rather than the browser's serif default (CSS outranks SVG presentation attributes).
    private const string Style = """
        body { font-family: system-ui, "Segoe UI", "DejaVu Sans", Arial, sans-serif; margin: 2rem; color: #222; max-width: 1400px; }
        h1 { margin-bottom: 0.2rem; }
        h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
        table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
        th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
        th { background: #f3f3f3; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .pass { color: #1a7f37; }
        .fail { color: #c62828; font-weight: bold; }
        .badge { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 0.8rem; color: #fff; font-weight: bold; }
        .badge.pass { background: #1a7f37; color: #fff; }
        .badge.fail { background: #c62828; color: #fff; }
        .muted { color: #666; }
        .warning { background: #fff4e5; border: 1px solid #f0b429; padding: 0.5rem; }
        .charts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
        figure { margin: 0; }
        figcaption { margin-top: 0.3rem; font-size: 0.85rem; color: #555; max-width: 900px; }
        svg { max-width: 100%; height: auto; }
        svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        """;

    private readonly StringBuilder _body = new();
    private int _figures;

    public HtmlPage Heading(int level, string text) => Raw($"<h{level}>{Encode(text)}</h{level}>");

    /// <param name="lines">Shown one under the other in one paragraph.</param>
    public HtmlPage Paragraph(IEnumerable<string> lines, string? cssClass = null) =>
        Raw($"<p{Class(cssClass)}>{string.Join("<br>", lines.Select(Encode))}</p>");

    public HtmlPage Paragraph(string text, string? cssClass = null) => Paragraph([text], cssClass);

    public HtmlPage Badge(string text, bool good) => Raw($"<p><span class=\"badge {(good ? "pass" : "fail")}\">{Encode(text)}</span></p>");

    public HtmlPage List(IEnumerable<(string Text, string? CssClass)> items)
    {
        _body.AppendLine("<ul>");
        foreach (var (text, cssClass) in items)
        {
            _body.AppendLine(CultureInfo.InvariantCulture, $"<li{Class(cssClass)}>{Encode(text)}</li>");
        }

        return Raw("</ul>");
    }

    public HtmlPage Table(ReportTable table) => Table(table.Columns, table.Rows);

    /// <summary>A table; cells that read as numbers are right-aligned so figures line up.</summary>
    public HtmlPage Table(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("<table><thead><tr>");
        foreach (var column in columns)
        {
            _body.Append(CultureInfo.InvariantCulture, $"<th>{Encode(column)}</th>");
        }

        _body.AppendLine("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row)
            {
                _body.Append(CultureInfo.InvariantCulture, $"<td{Class(IsNumber(cell) ? "num" : null)}>{Encode(cell)}</td>");
            }

            _body.AppendLine("</tr>");
        }

        return Raw("</tbody></table>");
    }

    /// <summary>Charts side by side (wrapping), each with its caption.</summary>
    public HtmlPage Figures(IEnumerable<(string Svg, string Caption)> figures)
    {
        if (_figures == 0 && !Charts.CanDrawText)
        {
            Paragraph("This machine has no fonts under /usr/share/fonts, so the charts have no labels (install fonts-dejavu-core).", "warning");
        }

        _body.AppendLine("<div class=\"charts\">");
        foreach (var (svg, caption) in figures)
        {
            _body.AppendLine("<figure>")
                .AppendLine(UniqueIds(svg, $"f{++_figures}-"))
                .AppendLine(CultureInfo.InvariantCulture, $"<figcaption>{Encode(caption)}</figcaption>")
                .AppendLine("</figure>");
        }

        return Raw("</div>");
    }

    public string Render() => $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{Encode(title)}</title>
        <style>
        {Style}
        </style>
        </head>
        <body>
        {_body}
        </body>
        </html>

        """;

    public void Write(string path) => File.WriteAllText(path, Render(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    private HtmlPage Raw(string html)
    {
        _body.AppendLine(html);
        return this;
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Class(string? cssClass) => cssClass is null ? string.Empty : $" class=\"{Encode(cssClass)}\"";

    private static bool IsNumber(string cell) =>
        double.TryParse(cell.TrimEnd('%', 'x'), NumberStyles.Number, CultureInfo.InvariantCulture, out _);

    // Inline SVGs share the page's id space, and every chart Skia writes names its clip paths cl_1, cl_2...: without
    // a prefix per chart, each chart would clip to the first chart's rectangles.
    private static string UniqueIds(string svg, string prefix) => IdReference().Replace(svg, m => m.Groups[1].Value + prefix);

    [GeneratedRegex("""(\bid="|url\(#|href="#)""")]
    private static partial Regex IdReference();
}
