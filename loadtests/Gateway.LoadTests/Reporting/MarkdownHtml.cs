namespace Gateway.LoadTests.Reporting;

/// <summary>
/// The little Markdown the reports write (headings, pipe tables, bullet lists, paragraphs), appended to an
/// <see cref="HtmlPage"/>: a report rendered as Markdown becomes the top of its HTML page with its figures computed
/// once, in one place. Anything else is kept as plain text.
/// </summary>
internal static class MarkdownHtml
{
    /// <param name="itemClass">A CSS class for a list item (e.g. to colour verdicts), or null.</param>
    public static void Append(HtmlPage page, string markdown, Func<string, string?>? itemClass = null)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length;)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                i++;
            }
            else if (line.StartsWith('#'))
            {
                var level = line.TakeWhile(c => c == '#').Count();
                page.Heading(Math.Min(level, 6), line[level..].Trim());
                i++;
            }
            else if (line.StartsWith('|'))
            {
                var rows = Block(lines, ref i, l => l.StartsWith('|')).Select(Cells).ToList();
                // The second line is the |---| separator under the header.
                page.Table(rows[0], rows.Skip(2));
            }
            else if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                page.List(Block(lines, ref i, l => l.StartsWith("- ", StringComparison.Ordinal)).Select(l => (l[2..], itemClass?.Invoke(l[2..]))));
            }
            else
            {
                page.Paragraph(Block(lines, ref i, l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('|') && !l.StartsWith("- ", StringComparison.Ordinal)));
            }
        }
    }

    private static List<string> Block(string[] lines, ref int i, Func<string, bool> belongs)
    {
        var block = new List<string>();
        for (; i < lines.Length && belongs(lines[i]); i++)
        {
            block.Add(lines[i]);
        }

        return block;
    }

    private static string[] Cells(string row) => row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
}
